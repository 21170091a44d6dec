#include "conf/binder.h"

#include <array>

#include "conf/bind_blocks.h"

namespace keel::conf {

namespace {

using C = model::Config;

constexpr std::array<Keyword<C>, 10> kTopLevel = {{
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
}};

}  // namespace

model::Config bindConfig(const std::vector<Statement>& tree, Diagnostics& diags) {
  BindContext ctx(diags);
  model::Config config;
  bindBlock<C>("top level", tree, kTopLevel, config, ctx);
  return config;
}

void bindTopLevel(const Statement& statement, model::Config& config, Diagnostics& diags) {
  BindContext ctx(diags);
  bindBlock<C>("top level", std::span(&statement, 1), kTopLevel, config, ctx);
}

}  // namespace keel::conf
