#include "xdp_harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "keel_xdp.skel.h"

namespace keel::bpftest {

std::string bpfUnavailable() {
  if (geteuid() != 0) return "needs root (BPF_PROG_TEST_RUN and map creation)";
  // A namespace of our own: the NAT reply path asks the FIB, which then holds nothing but a
  // down lo, so results do not depend on the host's routes.
  if (unshare(CLONE_NEWNET) != 0)
    return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
  XdpHarness h;
  if (!h.ok()) return "cannot load keel_xdp: " + h.error();
  return "";
}

void pinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

XdpHarness::XdpHarness() {
  libbpf_set_print([](libbpf_print_level, const char*, va_list) { return 0; });
  skel_ = keel_xdp__open_and_load();
  if (!skel_) {
    error_ = std::strerror(errno);
    return;
  }
  setConfig(keel_config{});
}

XdpHarness::~XdpHarness() { keel_xdp__destroy(skel_); }

void XdpHarness::setConfig(const keel_config& config) {
  std::uint32_t zero = 0;
  bpf_map__update_elem(skel_->maps.keel_config, &zero, sizeof zero, &config, sizeof config, 0);
}

void XdpHarness::setIfMac(int ifindex, const Mac& mac) {
  keel_if_mac value{};
  std::memcpy(value.mac, mac.data(), mac.size());
  value.valid = 1;
  const auto key = static_cast<std::uint32_t>(ifindex);
  bpf_map__update_elem(skel_->maps.keel_if_macs, &key, sizeof key, &value, sizeof value, 0);
}

static keel_service_key serviceKey(const Addr& vip, std::uint16_t port, std::uint8_t proto) {
  keel_service_key key{};
  std::memcpy(key.addr, vip.bytes.data(), 16);
  key.port = htons(port);
  key.proto = proto;
  key.family = static_cast<std::uint8_t>(vip.family);
  return key;
}

void XdpHarness::addService(const Addr& vip, std::uint16_t port, std::uint8_t proto,
                            std::uint32_t id, std::uint32_t flags, std::uint32_t persist_s,
                            std::uint8_t prefix) {
  keel_service_key key = serviceKey(vip, port, proto);
  keel_service value{};
  value.id = id;
  value.flags = flags;
  value.persist_timeout_s = persist_s;
  value.persist_prefix = prefix;
  bpf_map__update_elem(skel_->maps.keel_services, &key, sizeof key, &value, sizeof value, 0);
}

void XdpHarness::removeService(const Addr& vip, std::uint16_t port, std::uint8_t proto) {
  keel_service_key key = serviceKey(vip, port, proto);
  bpf_map__delete_elem(skel_->maps.keel_services, &key, sizeof key, 0);
}

void XdpHarness::setReal(std::uint32_t index, const keel_real& real) {
  bpf_map__update_elem(skel_->maps.keel_reals, &index, sizeof index, &real, sizeof real, 0);
}

void XdpHarness::clearReal(std::uint32_t index) { setReal(index, keel_real{}); }

void XdpHarness::fillRing(std::uint32_t id, const std::vector<std::uint32_t>& reals) {
  int fd = bpf_map__fd(skel_->maps.keel_ring);
  std::vector<std::uint32_t> keys(KEEL_RING_SIZE), values(KEEL_RING_SIZE);
  for (std::uint32_t s = 0; s < KEEL_RING_SIZE; ++s) {
    keys[s] = id * KEEL_RING_SIZE + s;
    values[s] = reals.empty() ? 0 : reals[s % reals.size()];
  }
  std::uint32_t count = KEEL_RING_SIZE;
  bpf_map_update_batch(fd, keys.data(), values.data(), &count, nullptr);
}

std::uint32_t XdpHarness::ringSlot(std::uint32_t id, std::uint32_t slot) const {
  std::uint32_t key = id * KEEL_RING_SIZE + slot, value = 0;
  bpf_map__lookup_elem(skel_->maps.keel_ring, &key, sizeof key, &value, sizeof value, 0);
  return value;
}

std::uint64_t XdpHarness::counter(keel_counter c) const {
  int n = libbpf_num_possible_cpus();
  std::vector<std::uint64_t> values(static_cast<std::size_t>(n));
  std::uint32_t key = c;
  bpf_map__lookup_elem(skel_->maps.keel_counters, &key, sizeof key, values.data(),
                       values.size() * sizeof(std::uint64_t), 0);
  std::uint64_t sum = 0;
  for (auto v : values) sum += v;
  return sum;
}

keel_stats XdpHarness::sumStats(::bpf_map* map, std::uint32_t index) const {
  int n = libbpf_num_possible_cpus();
  std::vector<keel_stats> values(static_cast<std::size_t>(n));
  bpf_map__lookup_elem(map, &index, sizeof index, values.data(), values.size() * sizeof(keel_stats),
                       0);
  keel_stats sum{};
  for (const auto& v : values) {
    sum.conns += v.conns;
    sum.in_packets += v.in_packets;
    sum.in_bytes += v.in_bytes;
    sum.out_packets += v.out_packets;
    sum.out_bytes += v.out_bytes;
  }
  return sum;
}

keel_stats XdpHarness::serviceStats(std::uint32_t id) const {
  return sumStats(skel_->maps.keel_svc_stats, id);
}
keel_stats XdpHarness::realStats(std::uint32_t index) const {
  return sumStats(skel_->maps.keel_real_stats, index);
}

int XdpHarness::natEntries() const {
  int fd = bpf_map__fd(skel_->maps.keel_nat_rev);
  keel_flow key{}, next{};
  int n = 0;
  const void* prev = nullptr;
  while (n < 1000 && bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    ++n;
  }
  return n;
}

RunResult XdpHarness::run(const Bytes& packet, int ingress, std::uint32_t repeat,
                          std::uint32_t* duration_ns) const {
  RunResult result;
  result.out.assign(packet.size() + 256, 0);
  xdp_md ctx{};
  ctx.ingress_ifindex = static_cast<std::uint32_t>(ingress);
  ctx.data_end = static_cast<std::uint32_t>(packet.size());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_out = result.out.data(),
              .data_size_in = static_cast<std::uint32_t>(packet.size()),
              .data_size_out = static_cast<std::uint32_t>(result.out.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof ctx, .repeat = static_cast<int>(repeat));
  int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.keel_xdp), &opts);
  if (err) {
    result.verdict = -errno;
    result.out.clear();
    return result;
  }
  result.verdict = static_cast<int>(opts.retval);
  result.out.resize(opts.data_size_out);
  if (duration_ns) *duration_ns = opts.duration;
  return result;
}

keel_real makeReal(const Addr& address, keel_forwarding fwd, std::uint32_t ifindex,
                   std::uint16_t port) {
  keel_real r{};
  std::memcpy(r.addr, address.bytes.data(), 16);
  r.family = static_cast<std::uint8_t>(address.family);
  r.forwarding = static_cast<std::uint8_t>(fwd);
  r.ifindex = ifindex;
  r.port = htons(port);
  std::uint8_t tag = address.bytes[address.size() - 1];
  const std::uint8_t dst[6] = {0x02, 0xee, 0, 0, 0, tag};
  const std::uint8_t src[6] = {0x02, 0xd1, 0, 0, 0, static_cast<std::uint8_t>(ifindex)};
  std::memcpy(r.dst_mac, dst, 6);
  std::memcpy(r.src_mac, src, 6);
  return r;
}

Mac realMac(const keel_real& r) {
  Mac m;
  std::memcpy(m.data(), r.dst_mac, 6);
  return m;
}
Mac ourMac(const keel_real& r) {
  Mac m;
  std::memcpy(m.data(), r.src_mac, 6);
  return m;
}

std::uint32_t slotForClient(const Addr& masked_client) {
  __u32 src[4];
  std::memcpy(src, masked_client.bytes.data(), 16);
  return keel_flow_hash(src, 0) % KEEL_RING_SIZE;
}

std::uint32_t slotFor(const Addr& client, std::uint16_t sport, std::uint16_t dport) {
  __u32 src[4];
  std::memcpy(src, client.bytes.data(), 16);
  // The program combines the ports as loaded from the packet: network order in memory, read as
  // native 16-bit values.
  std::uint32_t ports = (static_cast<std::uint32_t>(htons(sport)) << 16) | htons(dport);
  return keel_flow_hash(src, ports) % KEEL_RING_SIZE;
}

}  // namespace keel::bpftest
