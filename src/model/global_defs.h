// global_defs { ... } (docs/reference/keepalived.md §1.6): process-wide settings with keepalived's
// defaults. Plain value; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "model/common.h"

namespace keel::model {

// keel extension `keel_dataplane`: which data plane forwards the virtual servers
// (docs/dataplane.md). Auto: XDP when keeld is root and the program loads, else IPVS when the
// kernel has it, else the proxy.
enum class DataplaneKind : std::uint8_t { Auto, Xdp, Proxy, Ipvs };

// lvs_sync_daemon IF [inst] VI [id N] [maxlen N] [port N] [ttl N] [group ADDR]
// (docs/reference/keepalived.md §1.6): the kernel's IPVS connection sync daemon on IF, master
// while VRRP instance VI is MASTER and backup otherwise. Zero and unset: the kernel's defaults.
struct LvsSyncDaemon {
  std::string interface;
  std::string instance;
  std::optional<int> sync_id;  // unset: the instance's virtual_router_id
  int max_len = 0;
  int port = 0;
  int ttl = 0;
  std::optional<base::IpAddress> group;

  friend bool operator==(const LvsSyncDaemon&, const LvsSyncDaemon&) = default;
};

// lvs_timeouts [tcp S] [tcpfin S] [udp S]: IPVS's protocol timeouts; 0 leaves one unchanged.
struct LvsTimeouts {
  int tcp = 0;
  int tcp_fin = 0;
  int udp = 0;

  friend bool operator==(const LvsTimeouts&, const LvsTimeouts&) = default;
};

struct GlobalDefs {
  std::string router_id;  // conf: router_id; empty: the local host name
  std::vector<std::string> notification_email;
  std::string notification_email_from;  // empty: <user>@<host name>
  std::string smtp_server;              // host or address; empty: no mail
  std::uint16_t smtp_server_port = 25;
  std::string smtp_helo_name;
  Duration smtp_connect_timeout = std::chrono::seconds(30);
  // The defaults of every smtp_alert below them (docs/mail.md); unset: not given.
  std::optional<bool> smtp_alert;
  std::optional<bool> smtp_alert_vrrp;
  std::optional<bool> smtp_alert_checker;
  bool no_email_faults = false;  // no mail for a VRRP FAULT state
  // The BFD thread (src/bfd/engine_thread.h): SCHED_RR priority 1..99 (unset: normal
  // scheduling), the CPUs it may run on, mlockall.
  std::optional<int> bfd_rt_priority;
  std::vector<int> bfd_cpu_affinity;
  bool bfd_no_swap = false;
  Script script_user;  // only user/group are used
  bool enable_script_security = false;
  Script notify_fifo;  // argv[0] is the FIFO path; user/group own it
  Script vrrp_notify_fifo;
  Script lvs_notify_fifo;

  base::IpAddress vrrp_mcast_group4 = base::IpAddress::v4(0xe0000012);  // 224.0.0.18
  base::IpAddress vrrp_mcast_group6 = base::IpAddress::fromV6Bytes(
      {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12});  // ff02::12
  std::string default_interface = "eth0";
  int vrrp_version = 2;
  Duration vrrp_garp_master_delay = std::chrono::seconds(5);
  int vrrp_garp_master_repeat = 5;
  Duration vrrp_garp_master_refresh{};  // zero: no refresh
  int vrrp_garp_master_refresh_repeat = 1;
  std::optional<Duration> vrrp_garp_lower_prio_delay;  // unset: vrrp_garp_master_delay
  std::optional<int> vrrp_garp_lower_prio_repeat;      // unset: vrrp_garp_master_repeat
  Duration vrrp_garp_interval{};
  Duration vrrp_gna_interval{};
  bool vrrp_skip_check_adv_addr = false;
  bool vrrp_strict = false;
  // keel checks unicast sources by default (docs/vrrp.md); `vrrp_check_unicast_src off` turns
  // it off. keepalived's default is off.
  bool vrrp_check_unicast_src = true;
  int vrrp_down_timer_adverts = 3;
  bool vrrp_lower_prio_no_advert = false;     // a MASTER hearing a lower priority stays silent
  bool vrrp_higher_prio_send_advert = false;  // a MASTER sends one advert before yielding
  // The VRRP thread (src/vrrp/engine_thread.h): SCHED_RR priority 1..99 (0: normal scheduling;
  // unset: keel's default), the CPUs it may run on, mlockall, and RLIMIT_RTTIME in µs.
  std::optional<int> vrrp_rt_priority;
  std::vector<int> vrrp_cpu_affinity;
  bool vrrp_no_swap = false;
  std::optional<std::uint64_t> vrrp_rlimit_rttime;
  bool checker_log_all_failures = false;
  bool lvs_flush = false;
  bool lvs_flush_on_stop = false;
  std::optional<LvsSyncDaemon> lvs_sync_daemon;
  LvsTimeouts lvs_timeouts;
  std::optional<std::uint32_t> random_seed;
  DataplaneKind dataplane = DataplaneKind::Auto;  // keel extension: keel_dataplane
  int proxy_workers = 0;  // keel extension: keel_proxy_workers; 0: one per CPU
  // keel extension keel_proxy_client_prefix V4 V6: the prefix lengths that name one client for
  // the proxy's per-client limits (docs/dataplane.md, "Limits").
  int proxy_client_prefix4 = 32;
  int proxy_client_prefix6 = 64;
  // keel extension: where GET /metrics is served ("127.0.0.1:9100"); empty: not served.
  std::string keel_metrics_listen;

  friend bool operator==(const GlobalDefs&, const GlobalDefs&) = default;
};

}  // namespace keel::model
