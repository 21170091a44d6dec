#include "event/script_policy.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

namespace keel::event {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace

base::Result<Credentials> lookupUser(const std::string& user) {
  passwd pw{};
  passwd* found = nullptr;
  std::array<char, 4096> buf{};
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return base::makeError(base::ErrorCode::NotFound, fmt::format("unknown user {}", user));
  }
  return Credentials{found->pw_uid, found->pw_gid};
}

base::Result<gid_t> lookupGroup(const std::string& group) {
  struct group gr {};
  struct group* found = nullptr;
  std::array<char, 4096> buf{};
  if (::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return base::makeError(base::ErrorCode::NotFound, fmt::format("unknown group {}", group));
  }
  return found->gr_gid;
}

base::Result<std::string> findProgram(const std::string& program, bool executable) {
  auto runnable = [executable](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           (!executable || ::access(p.c_str(), X_OK) == 0);
  };
  if (program.find('/') != std::string::npos) {
    if (runnable(program)) return program;
  } else {
    const char* env = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read only
    const std::string path = env != nullptr ? env : kDefaultPath;
    for (std::size_t start = 0; start <= path.size();) {
      const std::size_t end = std::min(path.find(':', start), path.size());
      const std::string dir = path.substr(start, end - start);
      const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
      if (runnable(candidate)) return candidate;
      start = end + 1;
    }
  }
  return base::makeError(base::ErrorCode::NotFound,
                         fmt::format("script {} not found or not executable", program));
}

base::Result<std::string> realPath(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return KEEL_SYS_ERROR(errno, fmt::format("cannot resolve {}", path));
  return std::string(real.get());
}

bool securePath(const std::string& path) {
  auto real = realPath(path);
  if (!real) return false;
  std::string p = *real;  // absolute, and no element of it is a symlink
  for (;;) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return false;
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      // A group-writable element is fine when the group is root's.
      if (st.st_uid != 0 || (st.st_mode & S_IWOTH) != 0 || st.st_gid != 0) return false;
    }
    if (p == "/") return true;
    const std::size_t slash = p.find_last_of('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
  }
}

base::Result<std::vector<std::string>> prepareScript(const ScriptSpec& spec,
                                                     const ScriptPolicy& policy) {
  if (spec.argv.empty()) {
    return base::makeError(base::ErrorCode::InvalidArgument, "empty script");
  }
  auto program = findProgram(spec.argv[0]);
  if (!program) return program.error();
  std::string user = !spec.user.empty() ? spec.user : policy.default_user;
  std::string group = !spec.user.empty() ? spec.group : policy.default_group;
  if (user.empty()) user = lookupUser("keepalived_script") ? "keepalived_script" : "root";
  auto creds = lookupUser(user);
  if (!creds) return creds.error();
  if (!group.empty()) {
    auto gid = lookupGroup(group);
    if (!gid) return gid.error();
    creds->gid = *gid;
  }
  std::string path = *program;
  if (policy.enable_script_security && creds->uid == 0) {
    auto real = realPath(path);
    if (!real || !securePath(*real)) {
      return base::makeError(
          base::ErrorCode::InvalidArgument,
          fmt::format("Unsafe permissions found for script '{}' - disabling", *program));
    }
    path = *real;  // what was judged is what runs: a link swapped after the check changes nothing
  }
  std::vector<std::string> argv;
  if (creds->uid != ::geteuid() || creds->gid != ::getegid()) {
    argv = {"setpriv", fmt::format("--reuid={}", creds->uid), fmt::format("--regid={}", creds->gid),
            "--clear-groups", "--"};
  }
  argv.push_back(path);
  argv.insert(argv.end(), spec.argv.begin() + 1, spec.argv.end());
  return argv;
}

}  // namespace keel::event
