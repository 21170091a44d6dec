#include "app/runtime_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace keel::app {

RuntimeEnvironment RuntimeEnvironment::current() {
  RuntimeEnvironment env;
  env.uid = ::geteuid();
  env.root = env.uid == 0;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read at start, before other threads
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    env.xdg_runtime_dir = xdg;
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe): as above
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && tmp[0] == '/') env.tmpdir = tmp;
  env.netns = currentNetnsName();
  return env;
}

bool usesTemporaryBase(const RuntimeDirRequest& request, const RuntimeEnvironment& env) {
  return !request.base && !env.root && !env.xdg_runtime_dir;
}

base::Result<std::string> runtimeDir(const RuntimeDirRequest& request,
                                     const RuntimeEnvironment& env) {
  std::string base;
  if (request.base) {
    base = *request.base;
  } else if (env.root) {
    base = "/run/keel";
  } else if (env.xdg_runtime_dir) {
    base = *env.xdg_runtime_dir + "/keel";
  } else {
    base = fmt::format("{}/keel-{}", env.tmpdir.value_or("/tmp"), env.uid);
  }
  const std::optional<std::string>& instance = request.instance ? request.instance : env.netns;
  if (!instance) return base;
  if (instance->empty() || *instance == "." || *instance == ".." ||
      instance->find('/') != std::string::npos) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           fmt::format("instance name '{}' cannot name a directory", *instance));
  }
  return base + "/" + *instance;
}

std::optional<std::string> currentNetnsName(const std::string& netns_dir) {
  struct stat self {};
  if (::stat("/proc/self/ns/net", &self) != 0) return std::nullopt;
  DIR* dir = ::opendir(netns_dir.c_str());
  if (dir == nullptr) return std::nullopt;
  std::optional<std::string> found;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = netns_dir;
    path += '/';
    path += name;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino) {
      found = name;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

namespace {

constexpr mode_t kWritableByOthers = S_IWGRP | S_IWOTH;

std::string modeText(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

// The directory itself: a real directory of keeld's user that nobody else may write to.
base::Status checkOwnDirectory(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot stat {}", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           fmt::format("{} is not a directory", path));
  }
  if (st.st_uid != ::geteuid()) {
    return base::makeError(
        base::ErrorCode::State,
        fmt::format("runtime directory {} belongs to uid {}, not to keeld's uid {}: refusing it "
                    "(remove it, or give --runtime-dir a directory of keeld's user, mode 0700)",
                    path, st.st_uid, ::geteuid()));
  }
  if ((st.st_mode & kWritableByOthers) != 0) {
    return base::makeError(
        base::ErrorCode::State,
        fmt::format("runtime directory {} is writable by others (mode {}): refusing it (chmod "
                    "0700 {})",
                    path, modeText(st.st_mode), path));
  }
  return base::ok();
}

// Every directory above (symlinks resolved): root's or keeld's user's, and writable by others
// only when sticky (nobody can rename what is not theirs out of /tmp) or by root's group.
base::Status checkDirectoriesAbove(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) return KEEL_SYS_ERROR(errno, fmt::format("cannot resolve {}", path));
  std::string p = real.get();
  while (p != "/") {
    const std::size_t slash = p.find_last_of('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return KEEL_SYS_ERROR(errno, fmt::format("cannot stat {}", p));
    const bool others_write =
        (st.st_mode & S_IWOTH) != 0 || ((st.st_mode & S_IWGRP) != 0 && st.st_gid != 0);
    if ((st.st_uid != 0 && st.st_uid != ::geteuid()) ||
        (others_write && (st.st_mode & S_ISVTX) == 0)) {
      return base::makeError(
          base::ErrorCode::State,
          fmt::format("{}, above the runtime directory {}, may be changed by others (uid {}, mode "
                      "{}): refusing it",
                      p, path, st.st_uid, modeText(st.st_mode)));
    }
  }
  return base::ok();
}

}  // namespace

base::Status makeRuntimeDir(const std::string& path) {
  if (path.empty()) return base::makeError(base::ErrorCode::InvalidArgument, "empty directory");
  for (std::size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
    const std::string part = path.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return KEEL_SYS_ERROR(errno, fmt::format("cannot create {}", part));
    }
    if (at == std::string::npos) break;
  }
  KEEL_TRY(checkOwnDirectory(path));
  return checkDirectoriesAbove(path);
}

base::Status writeRuntimeFile(const std::string& dir, const std::string& name,
                              const std::string& text) {
  KEEL_TRY(makeRuntimeDir(dir));
  const std::string path = dir + "/" + name;
  base::UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return KEEL_SYS_ERROR(errno, fmt::format("cannot open {}", path));
  if (::fchmod(fd.get(), 0600) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot chmod {}", path));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return KEEL_SYS_ERROR(errno, fmt::format("cannot write {}", path));
    done += static_cast<std::size_t>(n);
  }
  return base::ok();
}

}  // namespace keel::app
