// Track files (keepalived's `track_file NAME { file PATH ... }`, docs/reference/keepalived.md
// §1.8): a file holding one integer that VRRP instances (track_file) and real servers
// (FILE_CHECK) follow. The reader, init_file's writer and the watcher both engines use: each
// engine owns a TrackFileWatcher on its own loop. keepalived watches with inotify; keel reads
// every file once a second, which bounds the reaction time as a vrrp_script interval does (and
// sees a file replaced by rename, over NFS or through a symlink alike). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "event/loop.h"

namespace keel::event {

// The value a track file holds: a decimal integer after optional blanks. A missing, unreadable
// or non-numeric file counts as 0, as keepalived's.
std::int64_t readTrackFile(const std::string& path);

// init_file: writes `value` and a newline to `path` when it does not exist, or always with
// `overwrite`; a symlink is not followed. Errors: System naming the failing call.
base::Status initTrackFile(const std::string& path, std::int64_t value, bool overwrite);

struct TrackFileChange {
  std::string name;
  std::int64_t before = 0;
  std::int64_t after = 0;
};

class TrackFileWatcher {
 public:
  // Hears every poll that changed at least one value, with all of its changes.
  using OnChange = std::function<void(const std::vector<TrackFileChange>&)>;
  static constexpr base::Duration kInterval = std::chrono::seconds(1);

  // `loop` outlives the watcher. It watches nothing until setFiles().
  TrackFileWatcher(Loop& loop, OnChange on_change);
  TrackFileWatcher(const TrackFileWatcher&) = delete;
  TrackFileWatcher& operator=(const TrackFileWatcher&) = delete;

  // Replaces the watched set (name -> path). Files new to the set, or with a new path, are read
  // at once and not reported; kept ones keep their value until the next poll. An empty set
  // stops the polling.
  void setFiles(const std::map<std::string, std::string>& files);
  // The last value read; 0 for a name not watched.
  std::int64_t value(const std::string& name) const;

 private:
  struct File {
    std::string path;
    std::int64_t value = 0;
  };
  void poll();

  OnChange on_change_;
  base::Timer timer_;
  std::map<std::string, File> files_;
};

}  // namespace keel::event
