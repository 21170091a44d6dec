#include "model/tracks.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

namespace keel::model {

namespace {

constexpr int kOwnerPriority = 255;

// The tracked object's own weight and reverse, for an entry that names none.
struct Defaults {
  bool found = false;
  int weight = 0;
  bool reverse = false;
};

template <class T>
Defaults defaultsIn(const std::vector<T>& objects, const std::string& name) {
  auto it =
      std::find_if(objects.begin(), objects.end(), [&](const T& o) { return o.name == name; });
  if (it == objects.end()) return {};
  return {true, it->weight, it->weight_reverse};
}

TrackRef resolved(const TrackRef& t, const Defaults& d) {
  TrackRef r = t;
  r.weight = t.has_weight ? t.weight : d.weight;
  r.reverse = t.reverse_given ? t.reverse : d.reverse;
  r.has_weight = true;
  r.reverse_given = true;
  return r;
}

bool names(const std::vector<TrackRef>& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const TrackRef& t) { return t.name == name; });
}

const SyncGroup* groupOf(const Config& config, const std::string& instance) {
  for (const SyncGroup& g : config.sync_groups) {
    if (std::find(g.members.begin(), g.members.end(), instance) != g.members.end()) return &g;
  }
  return nullptr;
}

bool hasOwner(const Config& config, const SyncGroup& g) {
  return std::any_of(
      config.vrrp_instances.begin(), config.vrrp_instances.end(), [&](const VrrpInstance& vi) {
        return vi.priority == kOwnerPriority &&
               std::find(g.members.begin(), g.members.end(), vi.name) != g.members.end();
      });
}

// One kind of tracker: the instance's own entries (weighted ones handled by `own`), then the
// group's. `own` returns false to leave an entry out; it may change its weight.
template <class Own>
void combine(const VrrpInstance& vi, std::string_view keyword, const std::vector<TrackRef>& mine,
             const std::vector<TrackRef>* group, bool owner_in_group,
             const std::function<Defaults(const std::string&)>& defaults, Own own,
             std::vector<TrackRef>& out, std::vector<std::string>& ignored) {
  for (const TrackRef& t : mine) {
    const Defaults d = defaults(t.name);
    if (!d.found) continue;
    if (group != nullptr && names(*group, t.name)) {
      ignored.push_back(
          fmt::format("({}) {} {} is configured on VRRP instance and sync group. "
                      "Remove vrrp instance or sync group config",
                      vi.name, keyword, t.name));
      continue;
    }
    TrackRef r = resolved(t, d);
    if (own(r)) out.push_back(r);
  }
  if (group == nullptr) return;
  for (const TrackRef& t : *group) {
    const Defaults d = defaults(t.name);
    if (!d.found) continue;
    TrackRef r = resolved(t, d);
    if (owner_in_group) r.weight = 0;
    out.push_back(r);
  }
}

}  // namespace

EffectiveTracks effectiveTracks(const Config& config, const VrrpInstance& vi) {
  EffectiveTracks out;
  const SyncGroup* g = groupOf(config, vi.name);
  const bool strip = g != nullptr && !g->tracking_weight;
  const bool owner = g != nullptr && hasOwner(config, *g);
  auto ignore = [&](std::string text) { out.ignored.push_back(std::move(text)); };

  combine(
      vi, "track_interface", vi.track_interface, g ? &g->track_interface : nullptr, owner,
      [](const std::string&) {
        return Defaults{true, 0, false};
      },
      [&](TrackRef& r) {
        if (strip && r.weight != 0) {
          ignore(fmt::format("({}) ignoring weight of tracked interface {} due to SYNC group",
                             vi.name, r.name));
          r.weight = 0;
        }
        return true;
      },
      out.interfaces, out.ignored);
  combine(
      vi, "track_script", vi.track_script, g ? &g->track_script : nullptr, owner,
      [&](const std::string& n) { return defaultsIn(config.vrrp_scripts, n); },
      [&](TrackRef& r) {
        if (!strip || r.weight == 0) return true;
        ignore(fmt::format("({}) ignoring tracked script {} with weights due to SYNC group",
                           vi.name, r.name));
        return false;
      },
      out.scripts, out.ignored);
  combine(
      vi, "track_file", vi.track_file, g ? &g->track_file : nullptr, owner,
      [&](const std::string& n) { return defaultsIn(config.track_files, n); },
      [&](TrackRef& r) {
        if (!strip || r.weight == 0) return true;
        if (r.weight == 1) {
          ignore(
              fmt::format("({}) ignoring weight from tracked file {} due to SYNC group - "
                          "specify weight 0",
                          vi.name, r.name));
          r.weight = 0;
          return true;
        }
        ignore(fmt::format("({}) ignoring tracked file {} with weight {} due to SYNC group",
                           vi.name, r.name, r.weight));
        return false;
      },
      out.files, out.ignored);
  combine(
      vi, "track_bfd", vi.track_bfd, g ? &g->track_bfd : nullptr, owner,
      [&](const std::string& n) { return defaultsIn(config.bfd_instances, n); },
      [&](TrackRef& r) {
        if (!strip || r.weight == 0) return true;
        ignore(fmt::format("({}) ignoring tracked bfd {} with weight {} due to SYNC group", vi.name,
                           r.name, r.weight));
        return false;
      },
      out.bfds, out.ignored);
  return out;
}

}  // namespace keel::model
