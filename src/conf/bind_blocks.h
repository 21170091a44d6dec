// The top-level blocks' binders, one file per area (bind_global.cc, bind_vrrp.cc, bind_lvs.cc,
// bind_check.cc, bind_bfd.cc). Internal to conf.
#pragma once

#include "conf/bind_context.h"
#include "model/config.h"

namespace keel::conf {

void bindGlobalDefs(const Statement& s, model::Config& c, BindContext& ctx);
void bindVrrpScript(const Statement& s, model::Config& c, BindContext& ctx);
void bindTrackFile(const Statement& s, model::Config& c, BindContext& ctx);
void bindSyncGroup(const Statement& s, model::Config& c, BindContext& ctx);
void bindVrrpInstance(const Statement& s, model::Config& c, BindContext& ctx);
void bindVirtualServerGroup(const Statement& s, model::Config& c, BindContext& ctx);
void bindVirtualServer(const Statement& s, model::Config& c, BindContext& ctx);
void bindBfdInstance(const Statement& s, model::Config& c, BindContext& ctx);
void bindTrackBfd(const Statement& s, std::vector<model::TrackRef>& list, BindContext& ctx);

}  // namespace keel::conf
