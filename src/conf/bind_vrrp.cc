// vrrp_script, track_file, vrrp_sync_group and vrrp_instance (docs/reference/keepalived.md
// §1.8-1.10).
#include <array>
#include <tuple>

#include <fmt/format.h>

#include "conf/bind_blocks.h"
#include "conf/values.h"

namespace keel::conf {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using D = model::Duration;

// The block's NAME argument, required and non-empty.
std::optional<std::string> blockName(const Statement& s, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return std::nullopt;
  return ctx.word(s);
}

// -- vrrp_script ----------------------------------------------------------------------------

using VS = model::VrrpScript;

void bindScriptWeight(const Statement& s, VS& v, BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return;
  if (auto w = ctx.integer(s, -253, 253, 0)) v.weight = static_cast<int>(*w);
  if (s.args.size() == 2) {
    if (s.args[1].text == "reverse") {
      v.weight_reverse = true;
    } else {
      ctx.error(s, 1, fmt::format("expected 'reverse', got '{}'", s.args[1].text));
    }
  }
}

constexpr std::array<Keyword<VS>, 8> kVrrpScript = {{
    {"script", Shape::Value,
     [](auto& s, VS& v, auto& ctx) {
       if (auto x = ctx.script(s)) v.script = std::move(*x);
     }},
    {"interval", Shape::Value,
     [](auto& s, VS& v, auto& ctx) {
       ctx.setTimer(s, v.interval, milliseconds(1), seconds(86400));
     }},
    {"timeout", Shape::Value,
     [](auto& s, VS& v, auto& ctx) {
       if (auto t = ctx.timer(s, milliseconds(1), seconds(86400))) v.timeout = *t;
     }},
    {"weight", Shape::Value, bindScriptWeight},
    {"rise", Shape::Value, [](auto& s, VS& v, auto& ctx) { ctx.setInt(s, v.rise, 1, 1000000); }},
    {"fall", Shape::Value, [](auto& s, VS& v, auto& ctx) { ctx.setInt(s, v.fall, 1, 1000000); }},
    {"user", Shape::Value,
     [](auto& s, VS& v, auto& ctx) {
       if (!ctx.args(s, 1, 2)) return;
       v.script.user = s.args[0].text;
       if (s.args.size() == 2) v.script.group = s.args[1].text;
     }},
    {"init_fail", Shape::Value, [](auto& s, VS& v, auto& ctx) { ctx.setFlag(s, v.init_fail); }},
}};

// -- track_file -----------------------------------------------------------------------------

using TF = model::TrackFile;

constexpr std::array<Keyword<TF>, 3> kTrackFile = {{
    {"file", Shape::Value, [](auto& s, TF& t, auto& ctx) { ctx.setWord(s, t.file); }},
    {"weight", Shape::Value,
     [](auto& s, TF& t, auto& ctx) {
       if (auto w = ctx.weightAndReverse(s, 2147483647)) std::tie(t.weight, t.weight_reverse) = *w;
     }},
    {"init_file", Shape::Value,
     [](auto& s, TF& t, auto& ctx) {
       if (!ctx.args(s, 0, 2)) return;
       t.init_file = 0;
       for (std::size_t i = 0; i < s.args.size(); ++i) {
         if (s.args[i].text == "overwrite") {
           t.init_file_overwrite = true;
         } else if (auto v = parseInt("init_file", s.args[i].text, -2147483647, 2147483647)) {
           t.init_file = *v;
         } else {
           ctx.error(s, static_cast<int>(i), v.error().message);
         }
       }
     }},
}};

// -- vrrp_sync_group ------------------------------------------------------------------------

using SG = model::SyncGroup;

// `group { VI_1 VI_2 ... }`: names, one or more per line.
void bindMembers(const Statement& s, SG& g, BindContext& ctx) {
  for (const Statement& e : *s.block) {
    for (int i = -1; i < static_cast<int>(e.args.size()); ++i) {
      const std::string& name = i < 0 ? e.keyword : e.args[static_cast<std::size_t>(i)].text;
      g.members.push_back(name);
      ctx.note({"vrrp_sync_group", g.name, "group", name}, e, i);
    }
  }
}

constexpr std::string_view kSgBlock = "vrrp_sync_group";

constexpr std::array<Keyword<SG>, 13> kSyncGroup = {{
    {"group", Shape::Block, bindMembers},
    {"track_interface", Shape::Block,
     [](auto& s, SG& g, auto& ctx) {
       bindTracks(s, kSgBlock, g.name, g.track_interface, 253, ctx);
     }},
    {"track_script", Shape::Block,
     [](auto& s, SG& g, auto& ctx) { bindTracks(s, kSgBlock, g.name, g.track_script, 253, ctx); }},
    {"track_file", Shape::Block,
     [](auto& s, SG& g, auto& ctx) { bindTracks(s, kSgBlock, g.name, g.track_file, 254, ctx); }},
    {"track_bfd", Shape::Block,
     [](auto& s, SG& g, auto& ctx) { bindTrackBfd(s, kSgBlock, g.name, g.track_bfd, ctx); }},
    {"sync_group_tracking_weight", Shape::Value,
     [](auto& s, SG& g, auto& ctx) { ctx.setFlag(s, g.tracking_weight); }},
    {"global_tracking", Shape::Value,
     [](auto& s, SG& g, auto& ctx) {
       if (!ctx.args(s, 0, 0)) return;
       ctx.warning(s, -1,
                   fmt::format("({}) global_tracking is deprecated. Use "
                               "track_interface/script/file on the sync group",
                               g.name));
       g.tracking_weight = true;
     }},
    {"notify_master", Shape::Value,
     [](auto& s, SG& g, auto& ctx) { ctx.setScript(s, g.notify.master); }},
    {"notify_backup", Shape::Value,
     [](auto& s, SG& g, auto& ctx) { ctx.setScript(s, g.notify.backup); }},
    {"notify_fault", Shape::Value,
     [](auto& s, SG& g, auto& ctx) { ctx.setScript(s, g.notify.fault); }},
    {"notify_stop", Shape::Value,
     [](auto& s, SG& g, auto& ctx) { ctx.setScript(s, g.notify.stop); }},
    {"notify", Shape::Value, [](auto& s, SG& g, auto& ctx) { ctx.setScript(s, g.notify.any); }},
    {"smtp_alert", Shape::Value,
     [](auto& s, SG& g, auto& ctx) {
       if (auto f = ctx.flag(s)) g.smtp_alert = *f;
     }},
}};

}  // namespace

void bindVrrpScript(const Statement& s, model::Config& c, BindContext& ctx) {
  auto name = blockName(s, ctx);
  if (!name) return;
  VS script;
  script.name = *name;
  ctx.note({"vrrp_script", *name}, s);
  {
    BindContext::Scope scope(ctx, {"vrrp_script", *name});
    bindBlock<VS>(Block::VrrpScript, *s.block, kVrrpScript, script, ctx);
  }
  if (script.script.empty()) {
    ctx.error(s, 0, fmt::format("vrrp_script {} has no 'script'", *name));
    return;
  }
  c.vrrp_scripts.push_back(std::move(script));
}

void bindTrackFile(const Statement& s, model::Config& c, BindContext& ctx) {
  auto name = blockName(s, ctx);
  if (!name) return;
  TF tf;
  tf.name = *name;
  ctx.note({"track_file", *name}, s);
  bindBlock<TF>(Block::TrackFile, *s.block, kTrackFile, tf, ctx);
  if (tf.file.empty()) {
    ctx.error(s, 0, fmt::format("track_file {} has no 'file'", *name));
    return;
  }
  c.track_files.push_back(std::move(tf));
}

void bindSyncGroup(const Statement& s, model::Config& c, BindContext& ctx) {
  auto name = blockName(s, ctx);
  if (!name) return;
  SG group;
  group.name = *name;
  ctx.note({"vrrp_sync_group", *name}, s);
  BindContext::Scope scope(ctx, {"vrrp_sync_group", *name});
  bindBlock<SG>(Block::SyncGroup, *s.block, kSyncGroup, group, ctx);
  if (group.members.empty()) {
    ctx.error(s, 0, fmt::format("vrrp_sync_group {} has no 'group' members", *name));
    return;
  }
  if (group.members.size() == 1) {
    ctx.warning(s, 0, fmt::format("vrrp_sync_group {} has only one member", *name));
  }
  c.sync_groups.push_back(std::move(group));
}

std::vector<std::string_view> vrrpBound(Block block) {
  switch (block) {
    case Block::VrrpScript:
      return namesOf(kVrrpScript);
    case Block::TrackFile:
      return namesOf(kTrackFile);
    case Block::SyncGroup:
      return namesOf(kSyncGroup);
    case Block::BfdInstance:
      return bfdBound();
    default:
      return instanceBound(block);
  }
}

}  // namespace keel::conf
