// The VRRP part of a configuration (docs/reference/keepalived.md §1.8-1.10): scripts and files that
// instances track, sync groups and instances, with keepalived's defaults. Plain values; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/address.h"
#include "model/common.h"

namespace keel::model {

// vrrp_script NAME { ... }
struct VrrpScript {
  std::string name;
  Script script;
  Duration interval = std::chrono::seconds(1);
  std::optional<Duration> timeout;  // unset: interval
  int weight = 0;                   // 0: failure means FAULT
  bool weight_reverse = false;
  int rise = 1;
  int fall = 1;
  bool init_fail = false;

  friend bool operator==(const VrrpScript&, const VrrpScript&) = default;
};

// track_file NAME { ... } (also vrrp_track_file)
struct TrackFile {
  std::string name;
  std::string file;
  int weight = 1;
  bool weight_reverse = false;
  std::optional<std::int64_t> init_file;  // create the file with this value when missing
  bool init_file_overwrite = false;

  friend bool operator==(const TrackFile&, const TrackFile&) = default;
};

struct Notify {
  Script master;  // conf: notify_master
  Script backup;
  Script fault;
  Script stop;
  Script any;  // conf: notify (arguments appended, docs/reference/keepalived.md §2.11)

  friend bool operator==(const Notify&, const Notify&) = default;
};

// vrrp_sync_group NAME { ... }
struct SyncGroup {
  std::string name;
  std::vector<std::string> members;  // conf: group { VI_1 VI_2 }
  std::vector<TrackRef> track_interface;
  std::vector<TrackRef> track_script;
  std::vector<TrackRef> track_file;
  std::vector<TrackRef> track_bfd;
  // sync_group_tracking_weight (or the deprecated global_tracking): members keep their own
  // weighted trackers; without it keepalived ignores them (vrrp/tracking.h effectiveTracks()).
  bool tracking_weight = false;
  Notify notify;
  std::optional<bool> smtp_alert;  // unset: smtp_alert_vrrp, else smtp_alert, else off

  friend bool operator==(const SyncGroup&, const SyncGroup&) = default;
};

enum class InitialState { Backup, Master };
enum class AuthType { None, Pass, Ah };

// One entry of virtual_ipaddress / virtual_ipaddress_excluded.
struct VirtualIp {
  base::Prefix address;  // a bare address is /32 (/128)
  std::optional<base::IpAddress> broadcast;
  std::string dev;    // empty: the instance's interface
  std::string scope;  // empty: global
  std::string label;
  bool no_track = false;
  friend bool operator==(const VirtualIp&, const VirtualIp&) = default;
};

struct UnicastPeer {
  base::IpAddress address;
  std::optional<int> min_ttl;
  std::optional<int> max_ttl;

  friend bool operator==(const UnicastPeer&, const UnicastPeer&) = default;
};

// vrrp_instance NAME { ... }
struct VrrpInstance {
  std::string name;
  InitialState state = InitialState::Backup;
  std::string interface;
  int virtual_router_id = 0;  // 1..255, required
  int priority = 100;         // 255: the address owner
  Duration advert_int = std::chrono::seconds(1);
  int version = 0;  // 0: global vrrp_version (IPv6 instances are always 3)
  AuthType auth_type = AuthType::None;
  std::string auth_pass;  // at most 8 characters (keepalived truncates with a warning)
  std::vector<VirtualIp> virtual_ipaddress;
  std::vector<VirtualIp> virtual_ipaddress_excluded;
  std::optional<base::IpAddress> unicast_src_ip;  // also mcast_src_ip
  std::vector<UnicastPeer> unicast_peer;
  int unicast_ttl = 255;
  bool unicast_fault_no_peer = false;
  std::vector<TrackRef> track_interface;
  std::vector<TrackRef> track_script;
  std::vector<TrackRef> track_file;
  std::vector<TrackRef> track_bfd;  // bfd_instance names (model/bfd.h)
  bool dont_track_primary = false;
  bool nopreempt = false;
  Duration preempt_delay{};
  std::optional<bool> skip_check_adv_addr;      // unset: global
  std::optional<bool> strict_mode;              // unset: global vrrp_strict
  bool check_unicast_src = false;               // or global vrrp_check_unicast_src
  std::optional<int> down_timer_adverts;        // unset: global vrrp_down_timer_adverts
  std::optional<bool> lower_prio_no_advert;     // unset: global vrrp_lower_prio_no_advert
  std::optional<bool> higher_prio_send_advert;  // unset: global vrrp_higher_prio_send_advert
  std::optional<Duration> garp_master_delay;    // unset: global
  std::optional<int> garp_master_repeat;
  std::optional<Duration> garp_master_refresh;
  std::optional<int> garp_master_refresh_repeat;
  std::optional<Duration> garp_lower_prio_delay;
  std::optional<int> garp_lower_prio_repeat;
  Notify notify;
  std::optional<bool> smtp_alert;  // unset: smtp_alert_vrrp, else smtp_alert, else off
  bool accept = true;              // no_accept clears it

  friend bool operator==(const VrrpInstance&, const VrrpInstance&) = default;
};

}  // namespace keel::model
