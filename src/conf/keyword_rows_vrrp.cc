// The keyword table's rows for VRRP (keepalived's vrrp_parser.c, track_file.c, bfd_parser.c).
#include <array>

#include "conf/keyword_rows.h"

namespace keel::conf {

namespace {

using namespace rows;  // NOLINT(google-build-using-namespace): the table's vocabulary
using B = Block;

constexpr Blocks kTop = in(B::Top);
constexpr Blocks kVi = in(B::Instance);
constexpr Blocks kSg = in(B::SyncGroup);
constexpr Blocks kScript = in(B::VrrpScript);
constexpr Blocks kFile = in(B::TrackFile);

constexpr std::string_view kVmac =
    "keel has no VMAC or ipvlan interfaces yet: the VIPs would sit on the interface itself with "
    "its own MAC address; remove it";
constexpr std::string_view kRoutes =
    "keel does not add or remove routes and rules with the state yet; configure them with the "
    "system's network configuration or a notify script";
constexpr std::string_view kTrackProcess =
    "keel does not track processes yet; use a vrrp_script that checks the process (for "
    "example `pidof NAME`)";
constexpr Blocks kBfd = in(B::BfdInstance);
constexpr std::string_view kGroupTrack =
    "applies to every member, with its weight; without sync_group_tracking_weight a member's own "
    "weighted trackers are ignored, as keepalived does (docs/vrrp.md)";
constexpr std::string_view kGarpGroup = "garp_group is refused (see it)";
constexpr std::string_view kTrackGroup = "track_group is refused (see it)";

constexpr std::array kRows = {
    // -- blocks ----------------------------------------------------------------------------
    implemented("vrrp_instance", kTop),
    implemented("vrrp_sync_group", kTop),
    implemented("vrrp_script", kTop),
    implemented("track_file", kTop | B::Instance),
    implemented("vrrp_track_file", kTop),
    refused("vrrp_track_process", kTop, kTrackProcess),
    implemented("bfd_instance", kTop,
                "a BFD session on a thread of keeld's (docs/bfd.md); keeld -B leaves it out"),
    // -- vrrp_instance ---------------------------------------------------------------------
    implemented("state", kVi),
    implemented("interface", kVi),
    implemented("virtual_router_id", kVi),
    implemented("priority", kVi),
    implemented("advert_int", kVi),
    implemented("version", kVi),
    implemented("authentication", kVi),
    implemented("auth_type", in(B::Authentication), "PASS; AH is refused"),
    implemented("auth_pass", in(B::Authentication)),
    implemented("virtual_ipaddress", kVi,
                "IP[/LEN] with dev and label; the other options are refused (see below)"),
    implemented("virtual_ipaddress_excluded", kVi),
    implemented("mcast_src_ip", kVi),
    implemented("unicast_src_ip", kVi),
    implemented("unicast_peer", kVi, "min_ttl and max_ttl are refused"),
    implemented("track_interface", kVi),
    implemented("track_script", kVi),
    implemented("dont_track_primary", kVi),
    implemented("nopreempt", kVi),
    implemented("preempt", kVi),
    implemented("preempt_delay", kVi),
    implemented("skip_check_adv_addr", kVi),
    implemented("strict_mode", kVi,
                "the advert checks; refused without `accept`, since keel does not filter traffic "
                "to the VIPs as keepalived's iptables/nftables rules do"),
    implemented("accept", kVi, "keel's MASTER always accepts traffic to the VIPs it holds"),
    implemented("garp_master_delay", kVi),
    implemented("garp_master_repeat", kVi),
    implemented("garp_master_refresh", kVi),
    implemented("garp_master_refresh_repeat", kVi),
    implemented("garp_lower_prio_repeat", kVi),
    implemented("notify_master", kVi | B::SyncGroup),
    implemented("notify_backup", kVi | B::SyncGroup),
    implemented("notify_fault", kVi | B::SyncGroup),
    implemented("notify_stop", kVi | B::SyncGroup),
    implemented("notify", kVi | B::SyncGroup),
    refused("no_accept", kVi,
            "keel's MASTER always accepts traffic to the VIPs it holds (it installs no filter); "
            "remove it"),
    refused("garp_lower_prio_delay", kVi,
            "keel sends the GARP/NA burst after a lower-priority advert at once; remove it"),
    refused("garp_extra_if", kVi,
            "keel sends GARP/NA only on the interfaces of the instance's VIPs; remove it"),
    refused("unicast_ttl", kVi, "keel sends unicast adverts with TTL 255 and does not set it yet"),
    refused("unicast_fault_no_peer", kVi,
            "keel does not go to FAULT for a unicast instance without peers yet; remove it"),
    implemented("check_unicast_src", kVi,
                "on for every instance unless vrrp_check_unicast_src off"),
    implemented("down_timer_adverts", kVi, "3 in strict mode"),
    implemented("higher_prio_send_advert", kVi, "never in strict mode, as keepalived"),
    implemented("lower_prio_no_advert", kVi, "always in strict mode, as keepalived"),
    refused("mcast_dst_ip", kVi,
            "keel sends adverts to vrrp_mcast_group4/6 only; set those in global_defs"),
    refused("native_ipv6", kVi,
            "keel chooses an instance's address family from its virtual addresses; remove it"),
    refused("old_unicast_checksum", kVi,
            "keel computes unicast checksums as RFC 5798 says (keepalived's current way) only"),
    refused("promote_secondaries", kVi,
            "keel does not set promote_secondaries on the interface yet; set the sysctl "
            "(net.ipv4.conf.IF.promote_secondaries=1) yourself"),
    refused("track_src_ip", kVi,
            "keel does not go to FAULT when the source address goes away yet; remove it"),
    refused("notify_deleted", kVi,
            "keel reports a removed instance's state as FAULT, keepalived's default; remove it"),
    refused("notify_master_rx_lower_pri", kVi,
            "keel writes a MASTER_RX_LOWER_PRI line to the notify FIFO but runs no script for it "
            "yet"),
    refused("notify_priority_changes", kVi | B::SyncGroup,
            "keel writes no priority-change lines to the notify FIFO yet; remove it"),
    refused("use_vmac", kVi, kVmac),
    refused("use_vmac_addr", kVi, kVmac),
    refused("vmac_xmit_base", kVi, kVmac),
    refused("use_ipvlan", kVi, kVmac),
    warned("vmac_garp_intvl", kVi, "it times VMAC GARPs, and use_vmac is refused"),
    refused("virtual_routes", kVi, kRoutes),
    refused("virtual_rules", kVi, kRoutes),
    refused("vrf", kVi, "keel does not bind instances to a VRF yet; remove it"),
    refused("track_process", kVi | B::SyncGroup, kTrackProcess),
    implemented("track_bfd", kVi, "FAULT or a weight as keepalived 2.2.7 (docs/bfd.md)"),
    refused("lvs_sync_daemon_interface", kVi,
            "keepalived's deprecated form; use global_defs lvs_sync_daemon IF VI (with "
            "keel_dataplane ipvs)"),
    warned("kernel_rx_buf_size", kVi, "keel sizes its own socket buffers"),
    warned("debug", kVi, "use keeld -D for detailed logs"),
    // -- vrrp_sync_group -------------------------------------------------------------------
    implemented("group", kSg),
    implemented("track_interface", kSg, kGroupTrack),
    implemented("track_script", kSg, kGroupTrack),
    implemented("track_file", kSg, kGroupTrack),
    implemented("track_bfd", kSg, kGroupTrack),
    implemented("global_tracking", kSg, "deprecated, warned: sync_group_tracking_weight"),
    implemented("sync_group_tracking_weight", kSg,
                "the members keep their own weighted trackers (keepalived warns it may not work)"),
    // -- vrrp_script, track_file -----------------------------------------------------------
    implemented("script", kScript),
    implemented("interval", kScript),
    implemented("timeout", kScript),
    implemented("weight", kScript | B::TrackFile | B::BfdInstance),
    implemented("rise", kScript),
    implemented("fall", kScript),
    implemented("user", kScript),
    implemented("init_fail", kScript),
    implemented("file", kFile),
    implemented("init_file", kFile),
    // -- bfd_instance ----------------------------------------------------------------------
    implemented("neighbor_ip", kBfd),
    implemented("neighbour_ip", kBfd),
    implemented("source_ip", kBfd),
    implemented("min_rx", kBfd),
    implemented("min_tx", kBfd),
    implemented("idle_tx", kBfd),
    implemented("multiplier", kBfd),
    implemented("passive", kBfd),
    implemented("ttl", kBfd,
                "keel sends 255 (IPv4 and IPv6, RFC 5881 §5); it sets the receive check"),
    implemented("hoplimit", kBfd, "as ttl"),
    implemented("max_hops", kBfd),
    implemented("vrrp", kBfd),
    implemented("checker", kBfd),
    // -- refused blocks' keywords ----------------------------------------------------------
    refused("process", in(B::TrackProcess), kTrackProcess),
    refused("param_match", in(B::TrackProcess), kTrackProcess),
    refused("full_command", in(B::TrackProcess), kTrackProcess),
    refused("quorum", in(B::TrackProcess), kTrackProcess),
    refused("quorum_max", in(B::TrackProcess), kTrackProcess),
    refused("delay", in(B::TrackProcess), kTrackProcess),
    refused("fork_delay", in(B::TrackProcess), kTrackProcess),
    refused("terminate_delay", in(B::TrackProcess), kTrackProcess),
    refused("weight", in(B::TrackProcess), "its block is refused"),
    refused("garp_interval", in(B::GarpGroup), kGarpGroup),
    refused("gna_interval", in(B::GarpGroup), kGarpGroup),
    refused("interface", in(B::GarpGroup), kGarpGroup),
    refused("interfaces", in(B::GarpGroup), kGarpGroup),
    refused("group", in(B::TrackGroup), kTrackGroup),
};

}  // namespace

std::span<const KeywordRow> vrrpKeywordRows() { return kRows; }

}  // namespace keel::conf
