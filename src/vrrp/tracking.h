// What trackers do to a VRRP instance (docs/reference/keepalived.md §2.6-2.7): each tracked
// interface, script or file either forces FAULT (weight 0) or moves the priority by its weight, and
// a vrrp_script only changes its verdict after `rise` successes or `fall` failures. Pure; the I/O
// shell feeds it link events and script exits. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>

namespace keel::vrrp {

// A tracked interface, script or BFD session as the instance sees it (keepalived 2.2.7,
// vrrp_track.c): weight 0 is FAULT while not ok (while ok with `reverse`); a weight W > 0 is added
// while ok and W < 0 while not ok, times -1 with `reverse` (so "weight 10 reverse" takes 10 off
// while up, and "weight -10 reverse" adds 10 while down). `reverse` never swaps up and down for
// a weighted tracker.
struct TrackedState {
  bool ok = true;  // interface up / script succeeding / BFD session Up
  int weight = 0;
  bool reverse = false;
};

// A tracked file: its value times the weight is added; with weight 0 a non-zero value is FAULT.
struct TrackedFile {
  std::int64_t value = 0;
  int weight = 1;
  bool reverse = false;  // subtracts instead of adding
};

struct TrackingResult {
  bool fault = false;
  int delta = 0;  // added to the base priority (the state machine clamps the result to 1..254)
};

// keepalived: a file total below -253 also means FAULT.
TrackingResult aggregate(std::span<const TrackedState> items, std::span<const TrackedFile> files);

// rise/fall for one vrrp_script (docs/reference/keepalived.md §2.6): the first result decides at
// once; then a good script turns bad after `fall` consecutive failures and a bad one good after
// `rise` consecutive successes.
class ScriptVerdict {
 public:
  ScriptVerdict(int rise, int fall) : rise_(rise < 1 ? 1 : rise), fall_(fall < 1 ? 1 : fall) {}

  // Feeds one run's result (a timeout is a failure). Returns true when the verdict changed
  // (including the first result).
  bool record(bool success);

  bool known() const { return known_; }
  bool ok() const { return ok_; }

 private:
  int rise_;
  int fall_;
  bool known_ = false;
  bool ok_ = false;
  int streak_ = 0;  // consecutive results against the current verdict
};

}  // namespace keel::vrrp
