#include "dataplane/xdp/bpf_map_io.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <variant>

#include <fmt/format.h>

namespace keel::dataplane::xdp {

namespace {

// libbpf returns -errno (and sets errno) on failure.
base::Status check(int rc, std::string_view what) {
  if (rc == 0) return base::ok();
  return KEEL_SYS_ERROR(rc < 0 ? -rc : EIO, std::string(what));
}

// Per-CPU map values are laid out at 8-byte strides.
constexpr std::size_t kStatsStride = (sizeof(keel_stats) + 7) / 8 * 8;

}  // namespace

std::vector<std::string_view> counterNames() {
#define KEEL_COUNTER_NAME_(id, name) name,
  return {KEEL_COUNTERS(KEEL_COUNTER_NAME_)};
#undef KEEL_COUNTER_NAME_
}

BpfMapIo::BpfMapIo(MapFds fds) : fds_(fds) {
  const int n = libbpf_num_possible_cpus();
  cpus_ = n > 0 ? n : 1;
}

base::Status BpfMapIo::write(const MapWrite& w) {
  if (const auto* c = std::get_if<WriteConfig>(&w)) {
    const std::uint32_t zero = 0;
    return check(bpf_map_update_elem(fds_.config, &zero, &c->config, BPF_ANY),
                 "cannot write the XDP configuration");
  }
  if (const auto* r = std::get_if<WriteReal>(&w)) {
    return check(bpf_map_update_elem(fds_.reals, &r->index, &r->real, BPF_ANY),
                 fmt::format("cannot write real {}", r->index));
  }
  if (const auto* r = std::get_if<ClearReal>(&w)) {
    const keel_real empty{};
    return check(bpf_map_update_elem(fds_.reals, &r->index, &empty, BPF_ANY),
                 fmt::format("cannot clear real {}", r->index));
  }
  if (const auto* s = std::get_if<WriteSlots>(&w)) return writeSlots(*s);
  if (const auto* s = std::get_if<WriteService>(&w)) {
    return check(bpf_map_update_elem(fds_.services, &s->key, &s->value, BPF_ANY),
                 fmt::format("cannot write service {}", s->value.id));
  }
  if (const auto* s = std::get_if<DeleteService>(&w)) {
    const int rc = bpf_map_delete_elem(fds_.services, &s->key);
    if (rc == -ENOENT) return base::ok();
    return check(rc, "cannot delete a service");
  }
  const auto& reset = std::get<ResetStats>(w);
  return resetStats(reset.real ? fds_.real_stats : fds_.svc_stats, reset.id);
}

// One batch update for the slots (BPF_MAP_UPDATE_BATCH on the array), element by element where
// the kernel lacks batches. Each 4-byte slot is written atomically either way.
base::Status BpfMapIo::writeSlots(const WriteSlots& w) {
  std::vector<std::uint32_t> keys;
  std::vector<std::uint32_t> values;
  keys.reserve(w.slots.size());
  values.reserve(w.slots.size());
  for (auto [slot, real] : w.slots) {
    keys.push_back(w.service_id * KEEL_RING_SIZE + slot);
    values.push_back(real);
  }
  auto count = static_cast<std::uint32_t>(keys.size());
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = 0, .flags = 0);
  const int rc = bpf_map_update_batch(fds_.ring, keys.data(), values.data(), &count, &opts);
  if (rc == 0) return base::ok();
  if (rc != -EINVAL && rc != -ENOTSUP && rc != -EOPNOTSUPP && rc != -524 /* ENOTSUPP */) {
    return check(rc, fmt::format("cannot write the ring of service {}", w.service_id));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    KEEL_TRY(check(bpf_map_update_elem(fds_.ring, &keys[i], &values[i], BPF_ANY),
                   fmt::format("cannot write the ring of service {}", w.service_id)));
  }
  return base::ok();
}

base::Status BpfMapIo::resetStats(int fd, std::uint32_t id) {
  std::vector<std::uint8_t> zero(kStatsStride * static_cast<std::size_t>(cpus_), 0);
  return check(bpf_map_update_elem(fd, &id, zero.data(), BPF_ANY),
               fmt::format("cannot reset statistics {}", id));
}

base::Result<keel_stats> BpfMapIo::sumStats(int fd, std::uint32_t id) {
  std::vector<std::uint8_t> raw(kStatsStride * static_cast<std::size_t>(cpus_), 0);
  KEEL_TRY(check(bpf_map_lookup_elem(fd, &id, raw.data()),
                 fmt::format("cannot read statistics {}", id)));
  keel_stats sum{};
  for (int c = 0; c < cpus_; ++c) {
    keel_stats one{};
    std::memcpy(&one, raw.data() + kStatsStride * static_cast<std::size_t>(c), sizeof one);
    sum.conns += one.conns;
    sum.in_packets += one.in_packets;
    sum.in_bytes += one.in_bytes;
    sum.out_packets += one.out_packets;
    sum.out_bytes += one.out_bytes;
  }
  return sum;
}

base::Result<keel_stats> BpfMapIo::serviceStats(std::uint32_t id) {
  return sumStats(fds_.svc_stats, id);
}

base::Result<keel_stats> BpfMapIo::realStats(std::uint32_t index) {
  return sumStats(fds_.real_stats, index);
}

base::Result<std::vector<std::uint64_t>> BpfMapIo::counters() {
  std::vector<std::uint64_t> out(KEEL_COUNTER_MAX, 0);
  std::vector<std::uint64_t> raw(static_cast<std::size_t>(cpus_), 0);
  for (std::uint32_t i = 0; i < KEEL_COUNTER_MAX; ++i) {
    KEEL_TRY(check(bpf_map_lookup_elem(fds_.counters, &i, raw.data()), "cannot read counters"));
    for (std::uint64_t v : raw) out[i] += v;
  }
  return out;
}

base::Result<std::vector<ConnEntry>> BpfMapIo::conns(std::size_t limit) {
  std::vector<ConnEntry> out;
  if (fds_.conns < 0) return out;
  keel_flow key{};
  keel_flow next{};
  const keel_flow* prev = nullptr;
  // Bounded by `limit`; an entry evicted between two calls only ends the walk early.
  while (out.size() < limit && bpf_map_get_next_key(fds_.conns, prev, &next) == 0) {
    key = next;
    prev = &key;
    keel_conn c{};
    if (bpf_map_lookup_elem(fds_.conns, &key, &c) != 0 || c.atime_ns == 0) continue;
    out.push_back({key, c});
  }
  return out;
}

}  // namespace keel::dataplane::xdp
