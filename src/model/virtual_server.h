// The load-balancing part of a configuration (docs/reference/keepalived.md §1.11-1.14): virtual
// server groups, virtual servers, real servers and their checkers, with keepalived's defaults and
// inheritance already applied (VS -> RS -> checker), so consumers read final values. Plain values;
// any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/address.h"
#include "base/tls_files.h"
#include "model/common.h"

namespace keel::model {

using Protocol = base::IpProtocol;
enum class Forwarding { Nat, Dr, Tun };

// `lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` (keepalived 2.x): the
// tunnel a TUN real is reached through.
enum class TunnelType { Ipip, Gue, Gre };
enum class TunnelChecksum { NoCsum, Csum, RemCsum };
struct TunnelOptions {
  TunnelType type = TunnelType::Ipip;
  std::uint16_t port = 0;  // GUE's UDP port
  TunnelChecksum checksum = TunnelChecksum::NoCsum;

  friend bool operator==(const TunnelOptions&, const TunnelOptions&) = default;
};

// The timing and behaviour every checker shares, resolved from checker, real server and virtual
// server settings (docs/reference/keepalived.md §3.1).
struct CheckTiming {
  Duration connect_timeout = std::chrono::seconds(5);
  int retry = 1;
  Duration delay_before_retry = std::chrono::seconds(1);
  Duration delay_loop = std::chrono::seconds(60);
  std::optional<Duration> warmup;  // unset: delay_loop
  bool alpha = false;
  bool log_all_failures = false;

  friend bool operator==(const CheckTiming&, const CheckTiming&) = default;
};

// Where a connecting checker connects from and to; unset fields mean the real server's own.
struct CheckTarget {
  std::optional<base::IpAddress> connect_ip;
  std::optional<std::uint16_t> connect_port;
  std::optional<base::IpAddress> bindto;
  std::optional<std::uint16_t> bind_port;
  std::string bind_if;
  std::optional<std::uint32_t> fwmark;

  friend bool operator==(const CheckTarget&, const CheckTarget&) = default;
};

struct StatusRange {
  int low = 200;
  int high = 299;
  friend bool operator==(const StatusRange&, const StatusRange&) = default;
};

// A url's regex (docs/health-checks.md, "regex"): the body must match `pattern` (must not, with
// no_match), the match starting between min_offset and max_offset (body offsets, inclusive).
struct HttpRegex {
  std::string pattern;
  std::vector<std::string> options;         // keepalived's regex_options names
  bool no_match = false;                    // conf: regex_no_match
  std::uint64_t min_offset = 0;             // conf: regex_min_offset
  std::optional<std::uint64_t> max_offset;  // conf: regex_max_offset; unset: anywhere
  // conf: regex_stack START MAX, the PCRE2 JIT stack's sizes in bytes; unset: PCRE2's default.
  std::optional<std::pair<std::size_t, std::size_t>> stack;

  friend bool operator==(const HttpRegex&, const HttpRegex&) = default;
};

struct HttpUrl {
  std::string path;
  std::string digest;                     // 32 hex digits (MD5 of the body) or empty
  std::vector<StatusRange> status_codes;  // empty: 200-299
  std::string virtualhost;                // empty: the checker's
  std::optional<HttpRegex> regex;

  friend bool operator==(const HttpUrl&, const HttpUrl&) = default;
};

// HTTP_GET and SSL_GET.
struct HttpCheck {
  bool tls = false;  // SSL_GET
  std::vector<HttpUrl> urls;
  std::string virtualhost;            // empty: real server's, then virtual server's
  std::string http_protocol = "1.0";  // 1.0, 1.0C or 1.1
  bool enable_sni = false;
  bool fast_recovery = false;  // keel checks every url in one attempt with or without it
  base::TlsFiles ssl;          // SSL_GET: the top-level SSL block's files (conf copies them in)

  friend bool operator==(const HttpCheck&, const HttpCheck&) = default;
};
struct TcpCheck {
  friend bool operator==(const TcpCheck&, const TcpCheck&) = default;
};
struct SmtpCheck {
  std::string helo_name = "smtpchecker.keepalived.org";

  friend bool operator==(const SmtpCheck&, const SmtpCheck&) = default;
};
struct DnsCheck {
  std::string type = "SOA";
  std::string name = ".";

  friend bool operator==(const DnsCheck&, const DnsCheck&) = default;
};
struct MiscCheck {
  Script path;                      // conf: misc_path
  std::optional<Duration> timeout;  // unset: delay_loop
  bool dynamic = false;

  friend bool operator==(const MiscCheck&, const MiscCheck&) = default;
};
struct UdpCheck {
  std::vector<std::uint8_t> payload;  // empty: keel's filler text
  bool require_reply = false;
  // require_reply's data: a reply must match it over the shorter of the two, ignoring the bits
  // set in reply_mask (one octet per octet of reply_data; conf: X nibbles).
  std::vector<std::uint8_t> reply_data;
  std::vector<std::uint8_t> reply_mask;
  int min_reply_length = 0;
  int max_reply_length = 255;

  friend bool operator==(const UdpCheck&, const UdpCheck&) = default;
};
struct PingCheck {
  friend bool operator==(const PingCheck&, const PingCheck&) = default;
};
// FILE_CHECK: follows a top-level track_file (model/vrrp.h) by name.
struct FileCheck {
  std::string track_file;
  std::optional<int> weight;  // unset: the track_file's weight and reverse
  bool weight_reverse = false;

  friend bool operator==(const FileCheck&, const FileCheck&) = default;
};

// BFD_CHECK: follows a bfd_instance's session (model/bfd.h) by name; up while it is Up.
struct BfdCheck {
  std::string name;

  friend bool operator==(const BfdCheck&, const BfdCheck&) = default;
};

struct Checker {
  std::variant<HttpCheck, TcpCheck, SmtpCheck, DnsCheck, MiscCheck, UdpCheck, PingCheck, FileCheck,
               BfdCheck>
      kind;
  CheckTiming timing;
  CheckTarget target;

  friend bool operator==(const Checker&, const Checker&) = default;
};

struct RealServer {
  base::IpAddress address;
  std::uint16_t port = 0;
  int weight = 1;
  std::optional<Forwarding> forwarding;  // unset: the virtual server's
  std::optional<TunnelOptions> tunnel;   // with its own lvs_method TUN; unset: the server's
  bool inhibit_on_failure = false;
  Script notify_up;
  Script notify_down;
  int uthreshold = 0;
  int lthreshold = 0;
  // unset: smtp_alert_checker, else smtp_alert, else on (keepalived keeps this default for
  // compatibility; every other smtp_alert defaults to off)
  std::optional<bool> smtp_alert;
  std::vector<Checker> checkers;  // none: always up

  friend bool operator==(const RealServer&, const RealServer&) = default;
};

struct SorryServer {
  base::IpAddress address;
  std::uint16_t port = 0;
  bool inhibit = false;
  std::optional<Forwarding> forwarding;

  friend bool operator==(const SorryServer&, const SorryServer&) = default;
};

// What a virtual server listens on: `IP [PORT]`, `fwmark N` or `group NAME`.
struct VsAddress {
  base::IpAddress address;
  std::uint16_t port = 0;
  friend bool operator==(const VsAddress&, const VsAddress&) = default;
};
struct VsFwmark {
  std::uint32_t mark = 0;
  friend bool operator==(const VsFwmark&, const VsFwmark&) = default;
};
struct VsGroup {
  std::string name;
  friend bool operator==(const VsGroup&, const VsGroup&) = default;
};

struct VirtualServer {
  std::variant<VsAddress, VsFwmark, VsGroup> key;
  Protocol protocol = Protocol::Tcp;
  std::string scheduler = "wlc";             // conf: lb_algo / lvs_sched
  Forwarding forwarding = Forwarding::Nat;   // conf: lb_kind / lvs_method
  TunnelOptions tunnel;                      // conf: lb_kind TUN's options
  std::vector<std::string> scheduler_flags;  // sh-port, sh-fallback, mh-port, mh-fallback, flag-N
  Duration persistence_timeout{};            // zero: no persistence
  std::optional<base::Prefix> persistence_granularity;
  bool ops = false;
  Duration delay_loop = std::chrono::seconds(60);
  bool inhibit_on_failure = false;
  bool alpha = false;
  bool omega = false;
  int quorum = 1;
  int hysteresis = 0;
  Script quorum_up;
  Script quorum_down;
  std::optional<SorryServer> sorry_server;
  std::string virtualhost;
  bool ha_suspend = false;
  std::optional<bool> smtp_alert;  // unset: smtp_alert_checker, else smtp_alert, else off
  std::vector<RealServer> real_servers;

  friend bool operator==(const VirtualServer&, const VirtualServer&) = default;
};

// One entry of a virtual_server_group: an address range (first..last, inclusive) and port, or a
// fwmark.
struct VsGroupEntry {
  base::IpAddress first;
  base::IpAddress last;
  std::uint16_t port = 0;
  std::optional<std::uint32_t> fwmark;

  friend bool operator==(const VsGroupEntry&, const VsGroupEntry&) = default;
};

struct VirtualServerGroup {
  std::string name;
  std::vector<VsGroupEntry> entries;

  friend bool operator==(const VirtualServerGroup&, const VirtualServerGroup&) = default;
};

}  // namespace keel::model
