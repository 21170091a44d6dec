#include "event/track_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <utility>

#include "base/unique_fd.h"

namespace keel::event {

std::int64_t readTrackFile(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return 0;
  std::array<char, 64> buf{};
  const ssize_t n = ::read(fd.get(), buf.data(), buf.size() - 1);
  if (n <= 0) return 0;
  const char* p = buf.data();
  const char* end = buf.data() + n;
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(p, end, value);
  return ec == std::errc() ? value : 0;
}

base::Status initTrackFile(const std::string& path, std::int64_t value, bool overwrite) {
  if (!overwrite && ::access(path.c_str(), F_OK) == 0) return {};
  base::UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return KEEL_SYS_ERROR(errno, "open " + path);
  const std::string text = std::to_string(value) + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return KEEL_SYS_ERROR(errno, "write " + path);
  }
  return {};
}

TrackFileWatcher::TrackFileWatcher(Loop& loop, OnChange on_change)
    : on_change_(std::move(on_change)), timer_(loop.clock()) {}

void TrackFileWatcher::setFiles(const std::map<std::string, std::string>& files) {
  std::map<std::string, File> next;
  for (const auto& [name, path] : files) {
    auto old = files_.find(name);
    if (old != files_.end() && old->second.path == path) {
      next.emplace(name, old->second);
    } else {
      next.emplace(name, File{path, readTrackFile(path)});
    }
  }
  files_ = std::move(next);
  if (files_.empty()) {
    timer_.disarm();
  } else if (!timer_.armed()) {
    timer_.armAfter(kInterval, [this] { poll(); });
  }
}

std::int64_t TrackFileWatcher::value(const std::string& name) const {
  auto it = files_.find(name);
  return it != files_.end() ? it->second.value : 0;
}

void TrackFileWatcher::poll() {
  std::vector<TrackFileChange> changes;
  for (auto& [name, file] : files_) {
    const std::int64_t now = readTrackFile(file.path);
    if (now == file.value) continue;
    changes.push_back({name, file.value, now});
    file.value = now;
  }
  timer_.armAfter(kInterval, [this] { poll(); });
  if (!changes.empty()) on_change_(changes);
}

}  // namespace keel::event
