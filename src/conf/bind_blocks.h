// The top-level blocks' binders, one file per area (bind_global.cc, bind_vrrp.cc, bind_lvs.cc,
// bind_check.cc, bind_bfd.cc). Internal to conf.
#pragma once

#include <string>
#include <string_view>
#include <vector>

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
void bindSsl(const Statement& s, model::Config& c, BindContext& ctx);
// What top-level settings give every checker, once the whole file is bound (they may come
// after the checkers): the SSL block's files to SSL_GET, checker_log_all_failures.
void applyToCheckers(model::Config& c);
// A track_interface, track_script or track_file block of `block` (vrrp_instance or
// vrrp_sync_group) `owner`.
void bindTracks(const Statement& s, std::string_view block, const std::string& owner,
                std::vector<model::TrackRef>& list, int max_weight, BindContext& ctx);
// A track_bfd block of `block` (vrrp_instance or vrrp_sync_group) `owner`.
void bindTrackBfd(const Statement& s, std::string_view block, const std::string& owner,
                  std::vector<model::TrackRef>& list, BindContext& ctx);

// The keywords each file's bind tables have, by block (binder.h boundKeywords()).
std::vector<std::string_view> globalBound();               // global_defs
std::vector<std::string_view> vrrpBound(Block block);      // VRRP blocks; empty for others
std::vector<std::string_view> lvsBound(Block block);       // virtual servers and checkers
std::vector<std::string_view> instanceBound(Block block);  // vrrp_instance, authentication
std::vector<std::string_view> checkBound(Block block);     // checkers, url, host
std::vector<std::string_view> bfdBound();                  // bfd_instance
std::vector<std::string_view> sslBound();                  // SSL

}  // namespace keel::conf
