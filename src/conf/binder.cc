#include "conf/binder.h"

#include <array>

#include <fmt/format.h>

#include "conf/bind_blocks.h"
#include "model/tracks.h"

namespace keel::conf {

namespace {

using C = model::Config;

constexpr std::array<Keyword<C>, 11> kTopLevel = {{
    {"instance", Shape::Value, [](auto& s, C& c, auto& ctx) { ctx.setWord(s, c.instance); }},
    {"global_defs", Shape::Block, bindGlobalDefs},
    {"vrrp_script", Shape::Block, bindVrrpScript},
    {"track_file", Shape::Block, bindTrackFile},
    {"vrrp_track_file", Shape::Block, bindTrackFile},
    {"vrrp_sync_group", Shape::Block, bindSyncGroup},
    {"vrrp_instance", Shape::Block, bindVrrpInstance},
    {"virtual_server_group", Shape::Block, bindVirtualServerGroup},
    {"virtual_server", Shape::Block, bindVirtualServer},
    {"bfd_instance", Shape::Block, bindBfdInstance},
    {"SSL", Shape::Block, bindSsl},
}};

}  // namespace

void Binder::bind(const Statement& top_level, model::Config& config) {
  bindBlock<C>(Block::Top, std::span(&top_level, 1), kTopLevel, config, ctx_);
}

// keepalived's warnings for the trackers a sync group makes it ignore (model/tracks.h).
void Binder::warnIgnoredTracks(const model::Config& config, const std::string& file) {
  if (ctx_.index() == nullptr || config.sync_groups.empty()) return;
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    for (std::string& text : model::effectiveTracks(config, vi).ignored) {
      ctx_.index()->report(ctx_.diags(), file, false, std::move(text), {"vrrp_instance", vi.name});
    }
  }
}

void Binder::finish(model::Config& config, const std::string& file) {
  applyToCheckers(config);
  auto refused = [&](std::string_view keyword, std::string_view form, const model::Subject& at) {
    const RefusedForm& f = refusedForm(keyword, form);
    ctx_.index()->report(ctx_.diags(), file, true,
                         fmt::format("'{} {}' is refused: {}", f.keyword, f.form, f.reason), at);
  };
  warnIgnoredTracks(config, file);
  for (const model::VrrpInstance& vi : config.vrrp_instances) {
    if (!vi.strict_mode.value_or(config.global.vrrp_strict)) continue;
    if (ctx_.facts().explicit_accept.contains(vi.name)) continue;
    refused("vrrp_strict / strict_mode", "without accept",
            vi.strict_mode ? model::Subject{"vrrp_instance", vi.name, "strict_mode"}
                           : model::Subject{"global_defs", "vrrp_strict"});
  }
  const model::DataplaneKind dataplane = config.global.dataplane;
  if (dataplane != model::DataplaneKind::Ipvs) {
    for (const BindFacts::IpvsForm& f : ctx_.facts().ipvs_forms) refused(f.keyword, f.form, f.at);
  }
  if (dataplane == model::DataplaneKind::Proxy || dataplane == model::DataplaneKind::Ipvs) return;
  for (const std::string& name : ctx_.facts().threshold_services) {
    refused("uthreshold / lthreshold", "with the XDP data plane",
            {"virtual_server", name, "threshold"});
  }
}

model::Config bindConfig(const std::vector<Statement>& tree, Diagnostics& diags) {
  Binder binder(diags);
  model::Config config;
  for (const Statement& s : tree) binder.bind(s, config);
  binder.finish(config, {});
  return config;
}

std::vector<std::string_view> boundKeywords(Block block) {
  switch (block) {
    case Block::Top:
      return namesOf(kTopLevel);
    case Block::GlobalDefs:
      return globalBound();
    case Block::Ssl:
      return sslBound();
    default:
      break;
  }
  auto vrrp = vrrpBound(block);
  return !vrrp.empty() ? vrrp : lvsBound(block);
}

}  // namespace keel::conf
