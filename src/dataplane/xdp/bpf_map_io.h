// The XDP maps as the control plane writes and reads them: MapIo is the seam (a recording fake in
// tests), BpfMapIo the real one over map file descriptors (bpf(2) through libbpf). Per-CPU
// values are summed over the possible CPUs. Control-plane thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "dataplane/xdp/bpf/keel_abi.h"
#include "dataplane/xdp/map_plan.h"

namespace keel::dataplane::xdp {

struct ConnEntry {
  keel_flow flow;
  keel_conn conn;
};

class MapIo {
 public:
  virtual ~MapIo() = default;
  // One write of a plan. Deleting an absent service succeeds.
  virtual base::Status write(const MapWrite& w) = 0;
  virtual base::Result<keel_stats> serviceStats(std::uint32_t id) = 0;
  virtual base::Result<keel_stats> realStats(std::uint32_t index) = 0;
  // KEEL_COUNTER_MAX values, indexed by enum keel_counter.
  virtual base::Result<std::vector<std::uint64_t>> counters() = 0;
  // Up to `limit` keel_conns entries.
  virtual base::Result<std::vector<ConnEntry>> conns(std::size_t limit) {
    (void)limit;
    return base::makeError(base::ErrorCode::Unsupported, "no connection map");
  }
};

// The names users see for enum keel_counter, in its order.
std::vector<std::string_view> counterNames();

struct MapFds {
  int services = -1;
  int reals = -1;
  int ring = -1;
  int svc_stats = -1;
  int real_stats = -1;
  int counters = -1;
  int config = -1;
  int conns = -1;
};

class BpfMapIo final : public MapIo {
 public:
  // REQUIRES: the fds stay open while this lives (the skeleton owns them).
  explicit BpfMapIo(MapFds fds);

  base::Status write(const MapWrite& w) override;
  base::Result<keel_stats> serviceStats(std::uint32_t id) override;
  base::Result<keel_stats> realStats(std::uint32_t index) override;
  base::Result<std::vector<std::uint64_t>> counters() override;
  base::Result<std::vector<ConnEntry>> conns(std::size_t limit) override;

 private:
  base::Status writeSlots(const WriteSlots& w);
  base::Status resetStats(int fd, std::uint32_t id);
  base::Result<keel_stats> sumStats(int fd, std::uint32_t id);

  MapFds fds_;
  int cpus_ = 1;
};

}  // namespace keel::dataplane::xdp
