// Values shared by every part of the configuration model: durations at keepalived's TIMER
// resolution and script commands. Plain values; any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace keel::model {

// keepalived's <TIMER>: seconds with microsecond resolution.
using Duration = std::chrono::microseconds;

// A script to run: the program and its arguments, and who runs it.
// conf: `"/path arg ..." [username [[:]groupname]]`
struct Script {
  std::vector<std::string> argv;
  std::string user;   // empty: global_defs script_user, else keepalived_script, else keeld's own
  std::string group;  // empty: the user's primary group
  bool supplementary_groups = false;  // the ':' before the group name

  bool empty() const { return argv.empty(); }
  friend bool operator==(const Script&, const Script&) = default;
};

// A tracker reference inside an instance or group: `NAME [weight W [reverse|noreverse]]`.
struct TrackRef {
  std::string name;
  bool has_weight = false;  // false: the tracked object's own weight
  int weight = 0;
  bool reverse = false;
  bool reverse_given = false;  // `reverse` or `noreverse` written: overrides the object's own
  friend bool operator==(const TrackRef&, const TrackRef&) = default;
};

}  // namespace keel::model
