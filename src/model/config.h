// model::Config: one whole configuration as typed, immutable values. conf builds it from
// keepalived.conf; every engine reads it; reload compares two of them by identity. Once built it
// is shared as std::shared_ptr<const Config>; any thread may read it.
#pragma once

#include <string>
#include <vector>

#include "model/bfd.h"
#include "model/global_defs.h"
#include "model/identity.h"
#include "model/virtual_server.h"
#include "model/vrrp.h"

namespace keel::model {

struct Config {
  std::string instance;  // conf: top-level `instance NAME`; names the runtime directory
  GlobalDefs global;
  std::vector<VrrpScript> vrrp_scripts;
  std::vector<TrackFile> track_files;
  std::vector<SyncGroup> sync_groups;
  std::vector<VrrpInstance> vrrp_instances;
  std::vector<VirtualServerGroup> virtual_server_groups;
  std::vector<VirtualServer> virtual_servers;
  std::vector<BfdInstance> bfd_instances;
  base::TlsFiles ssl;  // conf: the top-level SSL block; every SSL_GET's HttpCheck::ssl holds it

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace keel::model
