// The keyword table's rows for virtual servers, real servers and checkers (keepalived's
// check_*.c), and every refused form.
#include <array>

#include "conf/keyword_rows.h"

namespace keel::conf {

namespace {

using namespace rows;  // NOLINT(google-build-using-namespace): the table's vocabulary
using B = Block;

constexpr Blocks kTop = in(B::Top);
constexpr Blocks kVs = in(B::VirtualServer);
constexpr Blocks kRs = in(B::RealServer);
constexpr Blocks kUrl = in(B::Url);
constexpr Blocks kUdp = in(B::UdpCheck);
constexpr Blocks kSsl = in(B::Ssl);
constexpr Blocks kLevels = B::VirtualServer | B::RealServer;  // set at both, inherited (§3.1)

constexpr std::string_view kFwmark =
    "fwmark services need the IPVS data plane (XDP runs before netfilter sets the mark, and the "
    "proxy sees no marks); set keel_dataplane ipvs, or use an address and port";
constexpr std::string_view kTunnel =
    "the tunnel type and checksum options are the kernel's IPVS's; set keel_dataplane ipvs, or "
    "remove them (XDP chooses its own encapsulation, docs/dataplane.md)";
constexpr std::string_view kIpvsOnly =
    "it configures the kernel's IPVS, which keel programs with keel_dataplane ipvs only; set "
    "keel_dataplane ipvs, or remove it";

constexpr std::array kRows = {
    // -- blocks ----------------------------------------------------------------------------
    implemented("virtual_server", kTop,
                "IP PORT, group NAME, or fwmark N with keel_dataplane ipvs"),
    implemented("virtual_server_group", kTop,
                "address ranges with a port, and fwmark N with keel_dataplane ipvs"),
    // -- virtual_server --------------------------------------------------------------------
    implemented("lb_algo", kVs,
                "every IPVS scheduler; how the XDP data plane approximates lc/wlc and friends is "
                "in docs/load-balancing.md"),
    implemented("lvs_sched", kVs),
    implemented("lb_kind", kVs,
                "NAT, DR, TUN; TUN's type and checksum options with keel_dataplane ipvs"),
    implemented("lvs_method", kLevels),
    implemented("protocol", kVs, "TCP, UDP; SCTP with keel_dataplane ipvs"),
    implemented("persistence_timeout", kVs),
    implemented("persistence_granularity", kVs,
                "an IPv4 netmask (255.255.255.0) or an IPv6 prefix length (64)"),
    implemented("ops", kVs),
    implemented("quorum", kVs),
    implemented("hysteresis", kVs),
    implemented("quorum_up", kVs),
    implemented("quorum_down", kVs),
    implemented("sorry_server", kVs),
    implemented("sorry_server_lvs_method", kVs),
    implemented("ha_suspend", kVs),
    implemented("real_server", kVs),
    implemented("sh-port", kVs),
    implemented("sh-fallback", kVs),
    implemented("mh-port", kVs),
    implemented("mh-fallback", kVs),
    implemented("flag-1", kVs, "sh-fallback or mh-fallback"),
    implemented("flag-2", kVs, "sh-port or mh-port"),
    warned("flag-3", kVs, "no IPVS scheduler uses the third flag"),
    implemented("weight", kLevels),
    implemented("inhibit_on_failure", kLevels),
    implemented("virtualhost", kLevels | B::HttpGet | B::SslGet | B::Url),
    implemented("alpha", kLevels | kCheckers | B::BfdCheck),
    implemented("connect_timeout", kLevels | kConnecting),
    implemented("retry", kLevels | kCheckers),
    implemented("delay_before_retry", kLevels | kCheckers),
    implemented("delay_loop", kLevels | kCheckers),
    implemented("warmup", kLevels | kCheckers),
    refused("omega", kVs,
            "keel does not run quorum_down and notify_down scripts at stop yet; remove it"),
    refused("sorry_server_inhibit", kVs,
            "keel does not keep a failed sorry server at weight 0 yet; remove it"),
    refused("persistence_engine", kVs, "keel has no persistence engines (SIP) yet; remove it"),
    refused("ip_family", kVs,
            "keel takes a fwmark service's family from its real servers (IPv4 without any); "
            "remove it"),
    warned("hashed", kVs, "IPVS's hashed flag has no effect on a service"),
    warned("snmp_name", kLevels, "keel has no SNMP agent"),
    // -- real_server -----------------------------------------------------------------------
    implemented("notify_up", kRs),
    implemented("notify_down", kRs),
    implemented("uthreshold", kRs, "the proxy and IPVS data planes: refused with XDP"),
    implemented("lthreshold", kRs, "the proxy and IPVS data planes: refused with XDP"),
    implemented("HTTP_GET", kRs),
    implemented("SSL_GET", kRs),
    implemented("TCP_CHECK", kRs),
    implemented("SMTP_CHECK", kRs),
    implemented("DNS_CHECK", kRs),
    implemented("MISC_CHECK", kRs),
    implemented("UDP_CHECK", kRs),
    implemented("PING_CHECK", kRs),
    implemented("FILE_CHECK", kRs,
                "the track file is read once a second (keepalived: inotify); a missing or "
                "non-numeric file counts as 0"),
    implemented("BFD_CHECK", kRs,
                "UP while the bfd_instance's session is Up; DOWN from the session's first "
                "report that it is not (keel reports a session's state at once)"),
    // -- checkers --------------------------------------------------------------------------
    implemented("connect_ip", kConnecting | B::SmtpHost),
    implemented("connect_port", kConnecting | B::SmtpHost),
    implemented("bindto", kConnecting | B::SmtpHost),
    implemented("bind_port", kConnecting | B::SmtpHost),
    implemented("bind_if", kConnecting | B::SmtpHost),
    implemented("fwmark", kConnecting | B::SmtpHost, "the mark on the checker's own packets"),
    implemented("log_all_failures", kCheckers),
    implemented("url", kHttp),
    implemented("http_protocol", kHttp),
    implemented("enable_sni", kHttp),
    implemented("nb_get_retry", kHttp, "deprecated: retry"),
    implemented("fast_recovery", kHttp,
                "keel always checks every url in one attempt, without keepalived's delay_loop "
                "between urls: fast_recovery's behaviour, with or without it"),
    implemented("path", kUrl),
    implemented("digest", kUrl),
    implemented("status_code", kUrl),
    implemented("regex", kUrl,
                "PCRE2, matched as the body streams in; a bad pattern is a config error"),
    implemented("regex_no_match", kUrl),
    implemented("regex_options", kUrl, "keepalived's option names; an unknown one is an error"),
    implemented("regex_stack", kUrl, "the PCRE2 JIT stack, per checker"),
    implemented("regex_min_offset", kUrl, "an offset into the body (chunk framing removed)"),
    implemented("regex_max_offset", kUrl,
                "the last body offset a match may start at; below regex_min_offset is an error"),
    implemented("helo_name", in(B::SmtpCheck)),
    implemented("host", in(B::SmtpCheck), "deprecated: one SMTP_CHECK per host"),
    implemented("type", in(B::DnsCheck)),
    implemented("name", in(B::DnsCheck)),
    implemented("misc_path", in(B::MiscCheck)),
    implemented("misc_timeout", in(B::MiscCheck)),
    implemented("misc_dynamic", in(B::MiscCheck)),
    implemented("user", in(B::MiscCheck)),
    implemented("payload", kUdp),
    implemented("require_reply", kUdp,
                "the length bounds apply to every required reply (keepalived: only with reply "
                "data), as keepalived.conf(5) documents"),
    implemented("min_reply_length", kUdp),
    implemented("max_reply_length", kUdp),
    implemented("track_file", in(B::FileCheck)),
    implemented("weight", in(B::FileCheck),
                "value x weight is added to the real server's weight (held at 0 and above); "
                "at or below -2147483648 the real server is down"),
    implemented("name", in(B::BfdCheck),
                "a bfd_instance the checkers hear (not `vrrp` only); else an error"),
    // -- SSL -------------------------------------------------------------------------------
    implemented("SSL", kTop, "the files every SSL_GET loads; a bad file is a config error"),
    implemented("ca", kSsl,
                "SSL_GET verifies the real server's certificate against it (keepalived loads it "
                "and verifies nothing)"),
    implemented("certificate", kSsl, "presented to real servers that ask; needs key"),
    implemented("key", kSsl, "PEM; encrypted with password"),
    implemented("password", kSsl),
};

constexpr std::array kForms = {
    RefusedForm{"auth_type", "AH",
                "keel does not send or check the IPsec-AH header yet (its peers would drop every "
                "advert and each become MASTER); use PASS or no authentication"},
    RefusedForm{"virtual_server", "fwmark", kFwmark},
    RefusedForm{"virtual_server_group", "fwmark", kFwmark},
    RefusedForm{"protocol", "SCTP",
                "only the IPVS data plane forwards SCTP (XDP and the proxy forward TCP and UDP); "
                "set keel_dataplane ipvs, or use TCP or UDP"},
    RefusedForm{"lb_kind", "TUN options", kTunnel},
    RefusedForm{"sorry_server_lvs_method", "TUN options",
                "the sorry server takes the virtual server's tunnel options; remove them here"},
    RefusedForm{"lvs_sync_daemon", "without keel_dataplane ipvs", kIpvsOnly},
    RefusedForm{"lvs_timeouts", "without keel_dataplane ipvs", kIpvsOnly},
    RefusedForm{"virtual_ipaddress", "brd",
                "keel adds a virtual address without a broadcast address yet; remove it"},
    RefusedForm{"virtual_ipaddress", "scope",
                "keel adds virtual addresses with global scope only yet; remove it"},
    RefusedForm{"virtual_ipaddress", "peer",
                "keel adds no peer addresses yet; use a plain IP[/LEN]"},
    RefusedForm{"virtual_ipaddress", "address flags",
                "home, -nodad, mngtmpaddr, noprefixroute, autojoin and preferred_lft are not set "
                "by keel yet; remove them"},
    RefusedForm{"virtual_ipaddress", "use_vmac", "keel has no VMAC interfaces yet; remove it"},
    RefusedForm{"unicast_peer", "min_ttl/max_ttl",
                "keel does not check the TTL of unicast adverts yet; remove them"},
    RefusedForm{"vrrp_strict / strict_mode", "without accept",
                "strict mode would filter traffic to the VIPs (keepalived's no_accept, through "
                "iptables/nftables), which keel does not do yet; add `accept` to the instance"},
    RefusedForm{"uthreshold / lthreshold", "with the XDP data plane",
                "the XDP data plane does not count a real server's connections yet; set "
                "keel_dataplane proxy or ipvs, or remove them"},
};

}  // namespace

std::span<const KeywordRow> lvsKeywordRows() { return kRows; }
std::span<const RefusedForm> refusedForms() { return kForms; }

}  // namespace keel::conf
