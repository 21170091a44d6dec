#include "app/runtime_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace keel::app {

RuntimeEnvironment RuntimeEnvironment::current() {
  RuntimeEnvironment env;
  env.root = ::geteuid() == 0;
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    env.xdg_runtime_dir = xdg;
  }
  env.netns = currentNetnsName();
  return env;
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
    return base::makeError(base::ErrorCode::NotFound,
                           "no runtime directory: not root and XDG_RUNTIME_DIR is not set "
                           "(give --runtime-dir DIR)");
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

base::Status makeRuntimeDir(const std::string& path) {
  if (path.empty()) return base::makeError(base::ErrorCode::InvalidArgument, "empty directory");
  for (std::size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
    const std::string part = path.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return KEEL_SYS_ERROR(errno, fmt::format("cannot create {}", part));
    }
    if (at == std::string::npos) break;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return KEEL_SYS_ERROR(errno, fmt::format("cannot stat {}", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           fmt::format("{} is not a directory", path));
  }
  return base::ok();
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
