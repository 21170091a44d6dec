// What the VRRP engine reports: per instance its state, priorities, master, fault reason and
// counters, as a plain copy. The engine builds one after every change and its thread publishes it
// (vrrp/engine_thread.h); keelctl's views, the metrics page and the dumps read the latest one on
// the main thread. Immutable once published; any thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/address.h"
#include "vrrp/packet.h"
#include "vrrp/state_machine.h"

namespace keel::vrrp {

struct InstanceCounters {
  std::uint64_t adverts_sent = 0;
  std::uint64_t adverts_received = 0;  // passed every check
  std::uint64_t priority_zero_received = 0;
  std::uint64_t transitions = 0;
  DropCounters drops;
};

struct InstanceStatus {
  std::string name;
  State state = State::Init;
  std::string interface;
  int vrid = 0;
  int priority = 0;  // configured
  int effective_priority = 0;
  std::string master;                       // the current master's address; empty when unknown
  std::vector<base::Prefix> vips;           // virtual_ipaddress
  std::vector<base::Prefix> excluded_vips;  // virtual_ipaddress_excluded
  // Why the instance cannot run on its interface now ("interface eth9 not found", "no IPv4
  // address on eth0", a socket error); empty when it runs. FAULT follows from it.
  std::string fault;
  InstanceCounters counters;
};

struct EngineStatus {
  std::vector<InstanceStatus> instances;  // in configuration order
};

// The virtual addresses (virtual_ipaddress) that MASTER instances hold.
std::set<base::IpAddress> masterAddresses(const EngineStatus& status);

// The statistics dump (keepalived's SIGUSR2 keepalived.stats, keel's shape): per instance its
// state, priority, adverts sent and received, transitions and every drop counter by reason.
std::string statsText(const EngineStatus& status);

}  // namespace keel::vrrp
