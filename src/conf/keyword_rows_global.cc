// The keyword table's rows for the top level and global_defs (keepalived's global_parser.c).
#include <array>

#include "conf/keyword_rows.h"

namespace keel::conf {

namespace {

using namespace rows;  // NOLINT(google-build-using-namespace): the table's vocabulary
using B = Block;

constexpr Blocks kTop = in(B::Top);
constexpr Blocks kGlobal = in(B::GlobalDefs);

constexpr std::string_view kMailNotSent =
    "keel mails VRRP instance transitions only (docs/mail.md); sync group, virtual server and "
    "real server changes are in the log, the notify scripts and the notify FIFOs";
constexpr std::string_view kSnmp =
    "keel has no SNMP agent; its state is served as Prometheus metrics (keel_metrics_listen, "
    "docs/metrics.md) and by keelctl";
constexpr std::string_view kOneProcess =
    "keel runs as one process, keeld: keepalived's per-process settings (names, scheduling of the "
    "checker process) have nothing to apply to";
constexpr std::string_view kBfdNice =
    "keel does not set the BFD thread's nice value; use bfd_rt_priority, which runs the BFD "
    "thread SCHED_RR (docs/bfd.md) and outranks every nice value";
constexpr std::string_view kRtTime =
    "RLIMIT_RTTIME is per process in Linux, and keel is one process: vrrp_rlimit_rttime sets it "
    "for every real-time thread, the BFD one included";
constexpr std::string_view kVrrpNice =
    "keel does not set the VRRP thread's nice value; the thread runs SCHED_RR priority 1 by "
    "default (vrrp_rt_priority, docs/vrrp.md), which no nice value outranks; remove it";
constexpr std::string_view kAutoPriority =
    "keel does not raise the VRRP thread's priority on its own; it runs at vrrp_rt_priority "
    "(SCHED_RR 1 by default, docs/vrrp.md); use vrrp_rt_priority";
constexpr std::string_view kBuffers = "keel sizes its own netlink and socket buffers";
constexpr std::string_view kFilters =
    "keel installs no iptables, ipset or nftables rules yet (so vrrp_strict without accept, which "
    "would filter traffic to the VIPs, is refused too); remove it";
constexpr std::string_view kScripts =
    "keel does not run startup, shutdown or FIFO-reader scripts yet; start them from the service "
    "manager (systemd ExecStartPre=/ExecStopPost=) instead";
constexpr std::string_view kGarp =
    "keel does not implement it yet: GARP/NA are sent as vrrp_garp_master_* and "
    "garp_lower_prio_repeat say, all at once; remove it";
constexpr std::string_view kStatic =
    "keel does not manage static addresses, routes or rules (nor track_group) yet; configure them "
    "with the system's network configuration";
constexpr std::string_view kLinkbeat =
    "keel learns link state from rtnetlink events only and reacts to a change at once; remove it";
constexpr std::string_view kIpvsTable =
    "acts on the kernel's IPVS table with the IPVS data plane; XDP and the proxy hold only keel's "
    "own services, from start to stop (docs/dataplane.md)";
constexpr std::string_view kReloadTime =
    "keel does not schedule reloads; send SIGHUP or run `keelctl reload` at the time wanted";

constexpr std::array kRows = {
    // -- top level -------------------------------------------------------------------------
    implemented("global_defs", kTop),
    implemented("instance", kTop,
                "names the runtime directory (a reload cannot move it; docs/operations.md)"),
    refused("net_namespace", kTop,
            "keel does not switch network namespace from the configuration; start keeld with "
            "-s NAME (--namespace NAME)"),
    refused("net_namespace_ipvs", kTop,
            "keel's data plane runs in keeld's own network namespace; remove it"),
    warned("namespace_with_ipsets", kTop, "keel creates no ipsets"),
    warned("use_pid_dir", kTop,
           "keeld's pid file is RUNTIME_DIR/keeld.pid, or -p FILE (docs/operations.md)"),
    warned("child_wait_time", kTop, kOneProcess),
    refused("linkbeat_use_polling", kTop | B::Instance, kLinkbeat),
    refused("linkbeat_interfaces", kTop, kLinkbeat),
    refused("interface_up_down_delays", kTop, kLinkbeat),
    refused("static_ipaddress", kTop, kStatic),
    refused("static_routes", kTop, kStatic),
    refused("static_rules", kTop, kStatic),
    refused("track_group", kTop, kStatic),
    refused("garp_group", kTop, kGarp),
    // -- global_defs -----------------------------------------------------------------------
    implemented("router_id", kGlobal,
                "names the director in keel's dumps (keeld -d, keelctl dump) and in the subject "
                "of alert mails"),
    implemented("script_user", kGlobal),
    implemented("enable_script_security", kGlobal),
    implemented("notify_fifo", kGlobal),
    implemented("vrrp_notify_fifo", kGlobal),
    implemented("lvs_notify_fifo", kGlobal),
    refused("notify_fifo_script", kGlobal, kScripts),
    refused("vrrp_notify_fifo_script", kGlobal, kScripts),
    refused("lvs_notify_fifo_script", kGlobal, kScripts),
    refused("startup_script", kGlobal, kScripts),
    refused("startup_script_timeout", kGlobal, kScripts),
    refused("shutdown_script", kGlobal, kScripts),
    refused("shutdown_script_timeout", kGlobal, kScripts),
    implemented("vrrp_mcast_group4", kGlobal),
    implemented("vrrp_mcast_group6", kGlobal),
    implemented("vrrp_version", kGlobal),
    implemented("vrrp_garp_master_delay", kGlobal),
    implemented("vrrp_garp_master_repeat", kGlobal),
    implemented("vrrp_garp_master_refresh", kGlobal),
    implemented("vrrp_garp_master_refresh_repeat", kGlobal),
    implemented("vrrp_garp_lower_prio_repeat", kGlobal),
    refused("vrrp_garp_lower_prio_delay", kGlobal, kGarp),
    refused("vrrp_garp_interval", kGlobal, kGarp),
    refused("vrrp_gna_interval", kGlobal, kGarp),
    refused("vrrp_garp_extra_if", kGlobal, kGarp),
    warned("vrrp_min_garp", kGlobal,
           "it only lowers the number of GARP/NA sent; keel sends vrrp_garp_master_repeat of them"),
    implemented("vrrp_skip_check_adv_addr", kGlobal),
    implemented("vrrp_strict", kGlobal,
                "the advert checks; refused without `accept` in the instance, since keel does not "
                "filter traffic to the VIPs as keepalived's iptables/nftables rules do"),
    implemented("vrrp_check_unicast_src", kGlobal),
    implemented("vrrp_down_timer_adverts", kGlobal),
    implemented("vrrp_higher_prio_send_advert", kGlobal, "never with vrrp_strict, as keepalived"),
    implemented("vrrp_lower_prio_no_advert", kGlobal, "always with vrrp_strict, as keepalived"),
    refused("vrrp_notify_priority_changes", kGlobal,
            "keel writes no priority-change lines to the notify FIFO yet; remove it"),
    refused("vrrp_startup_delay", kGlobal,
            "keel starts VRRP at once (as BACKUP, after Master_Down_Interval); remove it"),
    refused("default_interface", kGlobal,
            "keel does not use a default interface yet; name each vrrp_instance's `interface` "
            "and each virtual address's `dev`"),
    refused("dynamic_interfaces", kGlobal,
            "keel needs every configured interface to exist when it starts or reloads; create the "
            "interfaces first"),
    refused("disable_local_igmp", kGlobal,
            "keel always joins the VRRP multicast group (IGMP/MLD reports are sent); remove it"),
    refused("vrrp_iptables", kGlobal, kFilters),
    refused("vrrp_ipsets", kGlobal, kFilters),
    refused("nftables", kGlobal, kFilters),
    refused("nftables_priority", kGlobal, kFilters),
    refused("nftables_ifindex", kGlobal, kFilters),
    refused("nftables_counters", kGlobal, kFilters),
    refused("nftables_ipvs", kGlobal, kFilters),
    refused("nftables_ipvs_priority", kGlobal, kFilters),
    refused("nftables_ipvs_start_fwmark", kGlobal, kFilters),
    implemented("vrrp_rt_priority", kGlobal,
                "the VRRP thread's SCHED_RR priority; keel's default is 1, and 0 (a keel "
                "extension) keeps normal scheduling (docs/vrrp.md)"),
    refused("vrrp_priority", kGlobal, kVrrpNice),
    implemented("vrrp_cpu_affinity", kGlobal, "the VRRP thread's CPUs"),
    implemented("vrrp_no_swap", kGlobal, "keeld's memory is locked (mlockall)"),
    refused("max_auto_priority", kGlobal, kAutoPriority),
    refused("min_auto_priority_delay", kGlobal, kAutoPriority),
    implemented("vrrp_rlimit_rtime", kGlobal, "RLIMIT_RTTIME for the real-time VRRP thread"),
    implemented("vrrp_rlimit_rttime", kGlobal, "RLIMIT_RTTIME for the real-time VRRP thread"),
    warned("vrrp_process_name", kGlobal, kOneProcess),
    warned("checker_process_name", kGlobal, kOneProcess),
    warned("lvs_process_name", kGlobal, kOneProcess),
    warned("bfd_process_name", kGlobal, kOneProcess),
    warned("process_name", kGlobal, kOneProcess),
    warned("process_names", kGlobal, kOneProcess),
    warned("checker_priority", kGlobal, kOneProcess),
    warned("checker_rt_priority", kGlobal, kOneProcess),
    warned("checker_cpu_affinity", kGlobal, kOneProcess),
    warned("checker_no_swap", kGlobal, kOneProcess),
    warned("checker_rlimit_rtime", kGlobal, kOneProcess),
    warned("checker_rlimit_rttime", kGlobal, kOneProcess),
    refused("bfd_priority", kGlobal, kBfdNice),
    implemented("bfd_rt_priority", kGlobal,
                "the BFD thread's SCHED_RR priority; unset, it runs with normal scheduling"),
    implemented("bfd_cpu_affinity", kGlobal, "the BFD thread's CPUs"),
    implemented("bfd_no_swap", kGlobal, "keeld's memory is locked (mlockall)"),
    warned("bfd_rlimit_rtime", kGlobal, kRtTime),
    warned("bfd_rlimit_rttime", kGlobal, kRtTime),
    warned("vrrp_netlink_cmd_rcv_bufs", kGlobal, kBuffers),
    warned("vrrp_netlink_cmd_rcv_bufs_force", kGlobal, kBuffers),
    warned("vrrp_netlink_monitor_rcv_bufs", kGlobal, kBuffers),
    warned("vrrp_netlink_monitor_rcv_bufs_force", kGlobal, kBuffers),
    warned("lvs_netlink_cmd_rcv_bufs", kGlobal, kBuffers),
    warned("lvs_netlink_cmd_rcv_bufs_force", kGlobal, kBuffers),
    warned("lvs_netlink_monitor_rcv_bufs", kGlobal, kBuffers),
    warned("lvs_netlink_monitor_rcv_bufs_force", kGlobal, kBuffers),
    warned("process_monitor_rcv_bufs", kGlobal, kBuffers),
    warned("process_monitor_rcv_bufs_force", kGlobal, kBuffers),
    warned("vrrp_rx_bufs_policy", kGlobal, kBuffers),
    warned("vrrp_rx_bufs_multiplier", kGlobal, kBuffers),
    implemented("notification_email", kGlobal, "docs/mail.md"),
    implemented("notification_email_from", kGlobal),
    implemented("smtp_server", kGlobal, "a host name is resolved once, when keeld reads it"),
    implemented("smtp_helo_name", kGlobal),
    implemented("smtp_connect_timeout", kGlobal, "bounds the connect and each server reply"),
    implemented("smtp_alert", kGlobal | B::Instance,
                "VRRP instance transitions; in global_defs also the default of the alerts keel "
                "does not send"),
    warned("smtp_alert", B::SyncGroup | B::VirtualServer | B::RealServer, kMailNotSent),
    implemented("smtp_alert_vrrp", kGlobal),
    warned("smtp_alert_checker", kGlobal, kMailNotSent),
    implemented("no_email_faults", kGlobal),
    warned("no_checker_emails", kGlobal, kMailNotSent),
    warned("enable_snmp_vrrp", kGlobal, kSnmp),
    warned("enable_snmp_checker", kGlobal, kSnmp),
    warned("enable_snmp_rfc", kGlobal, kSnmp),
    warned("enable_snmp_rfcv2", kGlobal, kSnmp),
    warned("enable_snmp_rfcv3", kGlobal, kSnmp),
    warned("enable_snmp_keepalived", kGlobal, kSnmp),
    warned("enable_traps", kGlobal, kSnmp),
    warned("snmp_socket", kGlobal, kSnmp),
    warned("enable_dbus", kGlobal, "keel has no DBus interface; keelctl talks to keeld"),
    warned("dbus_service_name", kGlobal, "keel has no DBus interface; keelctl talks to keeld"),
    warned("vmac_prefix", kGlobal, "it names VMAC interfaces, and use_vmac is refused"),
    warned("vmac_addr_prefix", kGlobal, "it names VMAC interfaces, and use_vmac is refused"),
    warned("vrrp_vmac_garp_intvl", kGlobal, "it times VMAC GARPs, and use_vmac is refused"),
    implemented("checker_log_all_failures", kGlobal, "log_all_failures for every checker"),
    warned("log_unknown_vrids", kGlobal, "logging only: keel counts adverts of unknown VRIDs"),
    implemented("lvs_flush", kGlobal, kIpvsTable),
    implemented("lvs_flush_on_stop", kGlobal, kIpvsTable),
    implemented("lvs_flush_onstop", kGlobal, kIpvsTable),
    implemented("lvs_sync_daemon", kGlobal,
                "the kernel's sync daemon, following its VRRP instance: with keel_dataplane ipvs "
                "only (docs/dataplane.md, \"The sync daemon\")"),
    implemented("lvs_timeouts", kGlobal, "IPVS's timeouts: with keel_dataplane ipvs only"),
    refused("rs_init_notifies", kGlobal,
            "keel does not run real-server notify scripts at start yet; remove it"),
    refused("include_check", kGlobal,
            "use the include variants (includer, includem, includew, includeb, includea) or "
            "keeld -e for the checks wanted"),
    implemented("reload_check_config", kGlobal,
                "keel always checks a new configuration completely before it applies any of it; "
                "a log file argument is not written"),
    warned("reload_file", kGlobal,
           "keel reads the configuration off its event loop and logs when a reload is complete; "
           "it creates no reload file"),
    refused("reload_time_file", kGlobal, kReloadTime),
    refused("reload_repeat", kGlobal, kReloadTime),
    warned("config_save_dir", kGlobal, "keel keeps no copies of the files it reads"),
    warned("tmp_config_directory", kGlobal, "keel writes no temporary configuration files"),
    warned("data_use_instance", kGlobal,
           "keel's dumps are named by the runtime directory, which `instance` chooses"),
    warned("umask", kGlobal, "use keeld -u (--umask)"),
    warned("random_seed", kGlobal, "keel's ${_RANDOM} is seeded by keeld"),
    warned("fifo_write_vrrp_states_on_reload", kGlobal,
           "keel keeps every instance's state across a reload and writes no state lines for it"),
    extension("keel_dataplane", kGlobal,
              "auto | xdp | ipvs | proxy: the data plane (docs/dataplane.md)"),
    extension("keel_proxy_workers", kGlobal,
              "the proxy data plane's worker threads; 0: one per CPU (docs/dataplane.md)"),
    extension("keel_metrics_listen", kGlobal,
              "ADDRESS:PORT where GET /metrics is served (docs/metrics.md)"),
    extension("keel_proxy_client_prefix", kGlobal,
              "V4 V6: the prefix lengths that count as one client for the proxy's per-client "
              "limits (docs/dataplane.md)"),
};

}  // namespace

std::span<const KeywordRow> globalKeywordRows() { return kRows; }

}  // namespace keel::conf
