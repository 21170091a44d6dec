#include "base/fd_budget.h"

#include <dirent.h>

#include <fmt/format.h>

namespace keel::base {

FdShares planFdShares(std::size_t limit, const FdNeeds& needs) {
  FdShares s;
  s.limit = limit;
  s.base = needs.open_at_start + kBaseSlack;
  s.control = kControlShare;
  s.vrrp = needs.vrrp_instances == 0 ? 0 : needs.vrrp_instances * kVrrpPerInstance + kVrrpSlack;
  s.checkers = needs.checkers == 0 ? 0 : needs.checkers * kCheckersPerChecker + kCheckersSlack;
  s.scripts = needs.scripts * kScriptsPerScript + kScriptsSlack;
  s.bfd = needs.bfd_sessions == 0 ? 0 : needs.bfd_sessions * kBfdPerSession + kBfdSlack;
  s.mail = needs.mail ? kMailShare : 0;
  const std::size_t others = s.base + s.control + s.vrrp + s.checkers + s.scripts + s.bfd + s.mail;
  s.dataplane = limit > others ? limit - others : 0;
  s.tight = s.dataplane < kMinDataplane;
  return s;
}

std::string describe(const FdShares& s) {
  return fmt::format(
      "limit {}: base {}, control {}, VRRP {}, checkers {}, scripts {}, BFD {}, mail {}, data "
      "plane {}",
      s.limit, s.base, s.control, s.vrrp, s.checkers, s.scripts, s.bfd, s.mail, s.dataplane);
}

std::size_t openDescriptors() {
  DIR* dir = ::opendir("/proc/self/fd");  // glibc opens it close-on-exec
  if (dir == nullptr) return 0;
  std::size_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // not the directory's own
}

}  // namespace keel::base
