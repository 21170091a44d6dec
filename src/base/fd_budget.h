// FdBudget: how keeld splits its descriptors (RLIMIT_NOFILE, raised to its hard limit at start)
// between its parts, so that a flood on one cannot starve another (docs/operations.md, "What
// keeld guarantees under load and abuse").
//
// Every part has a share. The parts whose use the configuration bounds (VRRP's sockets, one
// socket per running checker, one pidfd per running script, the control socket's capped
// connections, BFD's sockets, the one alert mail connection) get what their configuration needs
// plus slack; the data plane — the userspace
// proxy, whose sessions outsiders open — gets the rest, and that is the cap it is given. A share
// is a reservation by construction: the data plane cannot take the others' because its cap
// leaves them out. Pure planning (and one reading of /proc/self/fd); any thread.
#pragma once

#include <cstddef>
#include <string>

namespace keel::base {

// What the configuration and the process hold when the plan is made.
struct FdNeeds {
  std::size_t open_at_start = 0;  // descriptors already open (stdio, log, loop, pid file, ...)
  std::size_t vrrp_instances = 0;
  std::size_t checkers = 0;
  std::size_t scripts = 0;       // vrrp_scripts and MISC_CHECKs: each runs at most once at a time
  std::size_t bfd_sessions = 0;  // bfd_instances BFD runs (none under keeld -B)
  bool mail = false;             // alert mails are configured (smtp_server, notification_email)
};

struct FdShares {
  std::size_t limit = 0;      // RLIMIT_NOFILE's soft limit
  std::size_t base = 0;       // open_at_start + kBaseSlack: libraries, netlink, reload's reads
  std::size_t control = 0;    // control socket and metrics: listeners and capped connections
  std::size_t vrrp = 0;       // per instance its advert and ARP/NA sockets, plus netlink
  std::size_t checkers = 0;   // one socket per running attempt
  std::size_t scripts = 0;    // one pidfd per running script, notify scripts included
  std::size_t bfd = 0;        // a sending socket per session, the receivers and the BFD loop's
  std::size_t mail = 0;       // the Mailer's one SMTP connection at a time
  std::size_t dataplane = 0;  // the rest: the cap on the data plane's descriptors
  bool tight = false;         // the data plane gets less than kMinDataplane
};

inline constexpr std::size_t kBaseSlack = 32;
inline constexpr std::size_t kControlShare = 64;  // control 32 + metrics 16 connections, listeners
inline constexpr std::size_t kVrrpPerInstance = 4;
inline constexpr std::size_t kVrrpSlack = 8;
inline constexpr std::size_t kCheckersPerChecker = 2;  // an attempt and one being torn down
inline constexpr std::size_t kCheckersSlack = 16;
inline constexpr std::size_t kScriptsPerScript = 2;
inline constexpr std::size_t kScriptsSlack = 32;  // notify scripts in flight
inline constexpr std::size_t kBfdPerSession = 1;
inline constexpr std::size_t kBfdSlack = 8;   // 2 receivers, the loop's epoll and eventfd, reloads
inline constexpr std::size_t kMailShare = 2;  // the connection, and one being torn down
inline constexpr std::size_t kMinDataplane = 64;

// The shares of `limit` descriptors for `needs`. When the others need more than the limit, the
// data plane's share is 0 and `tight` is set (keeld says so; it still runs).
FdShares planFdShares(std::size_t limit, const FdNeeds& needs);

// "limit 1024: base 40, control 64, VRRP 12, checkers 18, scripts 34, BFD 0, mail 0, data plane
// 856".
std::string describe(const FdShares& shares);

// How many descriptors this process has open now (the entries of /proc/self/fd, less the one
// used to read it); 0 when /proc is not mounted.
std::size_t openDescriptors();

}  // namespace keel::base
