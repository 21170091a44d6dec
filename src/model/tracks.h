// The trackers that act on one VRRP instance: its own and its sync group's, as keepalived 2.2.7
// combines them (vrrp.c, vrrp_complete_instance and sync_group_tracking_init; docs/vrrp.md).
// Every returned entry has its weight and reverse resolved (has_weight and reverse_given set), so
// readers need not look up the tracked object's defaults. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "model/config.h"

namespace keel::model {

struct EffectiveTracks {
  std::vector<TrackRef> interfaces;
  std::vector<TrackRef> scripts;
  std::vector<TrackRef> files;
  std::vector<TrackRef> bfds;
  // keepalived's warning for each tracker it leaves out or changes, e.g.
  // "(VI_1) ignoring tracked script chk with weights due to SYNC group".
  std::vector<std::string> ignored;
};

// In a sync group without sync_group_tracking_weight, a member's own weighted trackers do not
// count: a weighted track_interface counts as weight 0 (FAULT while down), a weighted
// track_script or track_bfd is left out, a track_file of weight 1 counts as weight 0 and of
// another weight is left out. The group's trackers follow with their weights (0 when a member is
// the address owner, priority 255). A tracker the instance and its group both name counts once,
// as the group's. A name with no vrrp_script, track_file or bfd_instance is left out
// (model/validate.cc reports it).
EffectiveTracks effectiveTracks(const Config& config, const VrrpInstance& vi);

}  // namespace keel::model
