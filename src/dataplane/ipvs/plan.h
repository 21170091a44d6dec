// Reconciling IPVS by diff (docs/dataplane.md, "The IPVS data plane"): from what the kernel
// holds now and the desired services, the smallest list of netlink operations, touching only
// keel's services. A kernel service is keel's when keel created it or the desired table names
// it; any other service is someone else's: left alone and reported. Within keel's services every
// destination is keel's. Pure; any thread.
#pragma once

#include <set>
#include <string>
#include <variant>
#include <vector>

#include "dataplane/ipvs/convert.h"
#include "dataplane/ipvs/ipvs_types.h"

namespace keel::dataplane::ipvs {

struct NewService {
  IpvsServiceKey key;
  IpvsServiceConfig config;
};
struct SetService {
  IpvsServiceKey key;
  IpvsServiceConfig config;
};
struct DelService {
  IpvsServiceKey key;
};
struct NewDest {
  IpvsServiceKey service;
  IpvsDestConfig dest;
};
struct SetDest {
  IpvsServiceKey service;
  IpvsDestConfig dest;
};
struct DelDest {
  IpvsServiceKey service;
  IpvsDestConfig dest;
};
using Op = std::variant<NewService, SetService, DelService, NewDest, SetDest, DelDest>;

struct Plan {
  std::vector<Op> ops;                  // in the order to apply
  std::vector<IpvsServiceKey> foreign;  // kernel services that are not keel's, left alone
};

// `kernel`: the kernel's services with their dests. `owned`: the services keel created and has
// not removed. Order: services removed first (their destinations go with them), then per
// desired service: created or updated, its destinations removed, updated, added. A destination
// whose forwarding method changes is updated in place (the kernel allows it).
Plan plan(const std::vector<IpvsService>& kernel, const std::vector<DesiredService>& desired,
          const std::set<IpvsServiceKey>& owned);

// "add service TCP 198.18.0.100:80 rr", "set dest TCP 198.18.0.100:80 -> 198.18.0.11:80 w2", ...
std::string describe(const Op& op);
std::string describe(const IpvsServiceKey& key);

}  // namespace keel::dataplane::ipvs
