// Loads keel_xdp through its skeleton and fills its maps directly (not through the production
// loader), then runs packets through BPF_PROG_TEST_RUN. Test code only; needs root.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keel_abi.h"
#include "packet.h"

struct keel_xdp;
struct bpf_map;

namespace keel::bpftest {

inline constexpr int kIngress = 1;  // lo: BPF_PROG_TEST_RUN needs an existing ingress device

struct RunResult {
  int verdict = -1;
  Bytes out;
};

// Why BPF tests cannot run here, or "" when they can.
std::string bpfUnavailable();

// Pins the calling thread to one CPU so per-CPU maps read back what the program wrote.
void pinToCpu(int cpu);

class XdpHarness {
 public:
  XdpHarness();  // loads; ok() tells whether it worked
  ~XdpHarness();
  XdpHarness(const XdpHarness&) = delete;
  XdpHarness& operator=(const XdpHarness&) = delete;

  bool ok() const { return skel_ != nullptr; }
  const std::string& error() const { return error_; }

  void setConfig(const keel_config& config);
  // keel_if_macs[ifindex] = mac: frames to other MACs on that interface are another host's.
  void setIfMac(int ifindex, const Mac& mac);
  void addService(const Addr& vip, std::uint16_t port, std::uint8_t proto, std::uint32_t id,
                  std::uint32_t flags = 0, std::uint32_t persist_s = 0, std::uint8_t prefix = 0);
  void removeService(const Addr& vip, std::uint16_t port, std::uint8_t proto);
  void setReal(std::uint32_t index, const keel_real& real);
  void clearReal(std::uint32_t index);
  // Slot s of service `id` gets reals[s % reals.size()] (reals empty: all slots 0).
  void fillRing(std::uint32_t id, const std::vector<std::uint32_t>& reals);
  std::uint32_t ringSlot(std::uint32_t id, std::uint32_t slot) const;

  std::uint64_t counter(keel_counter c) const;  // summed over CPUs
  keel_stats serviceStats(std::uint32_t id) const;
  keel_stats realStats(std::uint32_t index) const;
  int natEntries() const;

  RunResult run(const Bytes& packet, int ingress = kIngress, std::uint32_t repeat = 1,
                std::uint32_t* duration_ns = nullptr) const;

 private:
  keel_stats sumStats(::bpf_map* map, std::uint32_t index) const;

  keel_xdp* skel_ = nullptr;
  std::string error_;
};

// A real for tests: MACs derived from the index.
keel_real makeReal(const Addr& address, keel_forwarding fwd, std::uint32_t ifindex = kIngress,
                   std::uint16_t port = 0);
Mac realMac(const keel_real& r);
Mac ourMac(const keel_real& r);

// The ring slot the program picks for (client, ports), computed with the ABI's hash.
std::uint32_t slotFor(const Addr& client, std::uint16_t sport, std::uint16_t dport);
std::uint32_t slotForClient(const Addr& masked_client);

}  // namespace keel::bpftest
