// ns/packet of keel_xdp through BPF_PROG_TEST_RUN (the kernel times `repeat` runs of one packet)
// for a connection-table hit, a new flow (SYN: hash, ring, table insert) and a mid-flow packet
// with an entry, each beside a trivial parse-and-XDP_TX program, printed with the ratio
// (dataplane.md §6 P2 and P3). Figures, not pass/fail. Needs root.
// Usage: keel_xdp_prog_bench [repeat] [rounds]
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "packet.h"
#include "trivial_tx.skel.h"
#include "xdp_harness.h"

using namespace keel::bpftest;

namespace {

double median(std::vector<std::uint32_t> ns) {
  std::sort(ns.begin(), ns.end());
  return ns[ns.size() / 2];
}

std::uint32_t runTrivial(trivial_tx* skel, const Bytes& packet, std::uint32_t repeat) {
  Bytes out(packet.size() + 64);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_out = out.data(),
              .data_size_in = static_cast<std::uint32_t>(packet.size()),
              .data_size_out = static_cast<std::uint32_t>(out.size()),
              .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.trivial_tx), &opts) != 0) return 0;
  return opts.duration;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t repeat = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 1000000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string why = bpfUnavailable();
  if (!why.empty()) {
    std::fprintf(stderr, "keel_xdp_prog_bench: %s\n", why.c_str());
    return 1;
  }
  pinToCpu(0);
  XdpHarness h;
  trivial_tx* trivial = trivial_tx__open_and_load();
  if (!h.ok() || !trivial) {
    std::fprintf(stderr, "keel_xdp_prog_bench: load failed\n");
    return 1;
  }
  const Addr client = addr("203.0.113.7"), vip = addr("198.51.100.10");
  const Mac dir{2, 0xd1, 0, 0, 0, 1}, cli{2, 0xcc, 0, 0, 0, 7};
  std::vector<std::uint32_t> reals;
  for (std::uint32_t i = 1; i <= 16; ++i) {
    Addr a = addr("192.0.2.0");
    a.bytes[3] = static_cast<std::uint8_t>(i);
    h.setReal(i, makeReal(a, KEEL_FWD_DR));
    reals.push_back(i);
  }
  h.fillRing(0, reals);
  h.addService(vip, 80, KEEL_PROTO_TCP, 0);

  Bytes syn = PacketBuilder().eth(dir, cli).ip(client, vip).tcp(40000, 80, kSyn).build();
  Bytes ack = PacketBuilder().eth(dir, cli).ip(client, vip).tcp(40000, 80, kAck).build();
  h.run(syn);  // the entry the hits find
  // The three cases take turns in every round, so that a noisy neighbour hurts all alike.
  std::vector<std::uint32_t> trivial_runs, hit_runs, syn_runs;
  for (int i = 0; i < rounds; ++i) {
    std::uint32_t ns = 0;
    trivial_runs.push_back(runTrivial(trivial, ack, repeat));
    h.run(ack, kIngress, repeat, &ns);
    hit_runs.push_back(ns);
    h.run(syn, kIngress, repeat, &ns);
    syn_runs.push_back(ns);
  }
  double trivial_ns = median(trivial_runs), hit_ns = median(hit_runs), syn_ns = median(syn_runs);
  std::printf("keel_xdp BPF_PROG_TEST_RUN, IPv4 TCP, DR, 16 reals; median of %d x %u runs, CPU 0\n",
              rounds, repeat);
  std::printf("%-32s %10s %12s\n", "case", "ns/packet", "÷ trivial");
  std::printf("%-32s %10.1f %12.2f\n", "trivial parse + XDP_TX", trivial_ns, 1.0);
  std::printf("%-32s %10.1f %12.2f\n", "keel: connection-table hit", hit_ns, hit_ns / trivial_ns);
  std::printf("%-32s %10.1f %12.2f\n", "keel: new flow (SYN, insert)", syn_ns, syn_ns / trivial_ns);
  std::printf("new flow ÷ hit: %.2f\n", syn_ns / hit_ns);
  trivial_tx__destroy(trivial);
  return 0;
}
