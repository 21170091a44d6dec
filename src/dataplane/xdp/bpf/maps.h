/* The maps of keel_xdp.bpf.c, laid out as keel_abi.h describes, and the counter helpers. */
#ifndef KEEL_XDP_MAPS_H
#define KEEL_XDP_MAPS_H

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "keel_abi.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KEEL_MAX_SERVICES);
  __type(key, struct keel_service_key);
  __type(value, struct keel_service);
} keel_services SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, KEEL_MAX_REALS);
  __type(key, __u32);
  __type(value, struct keel_real);
} keel_reals SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, KEEL_MAX_SERVICES* KEEL_RING_SIZE);
  __type(key, __u32);
  __type(value, __u32);
} keel_ring SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, KEEL_MAX_IFINDEX);
  __type(key, __u32);
  __type(value, struct keel_if_mac);
} keel_if_macs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH); /* shared: a flow's packets may arrive on any CPU */
  __uint(max_entries, KEEL_CONN_ENTRIES);
  __type(key, struct keel_flow);
  __type(value, struct keel_conn);
} keel_conns SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, KEEL_PERSIST_ENTRIES);
  __type(key, struct keel_persist_key);
  __type(value, struct keel_conn);
} keel_persist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, KEEL_NAT_ENTRIES);
  __type(key, struct keel_flow);
  __type(value, struct keel_nat_rev);
} keel_nat_rev SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KEEL_MAX_SERVICES);
  __type(key, __u32);
  __type(value, struct keel_stats);
} keel_svc_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KEEL_MAX_REALS);
  __type(key, __u32);
  __type(value, struct keel_stats);
} keel_real_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KEEL_COUNTER_MAX);
  __type(key, __u32);
  __type(value, __u64);
} keel_counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct keel_config);
} keel_config SEC(".maps");

static __always_inline void keel_count(__u32 counter) {
  __u64* value = bpf_map_lookup_elem(&keel_counters, &counter);
  if (value) *value += 1;
}

/* in: client -> real; out: real -> client. */
static __always_inline void keel_stats_add(void* map, __u32 index, __u64 bytes, int out,
                                           int new_conn) {
  struct keel_stats* s = bpf_map_lookup_elem(map, &index);
  if (!s) return;
  if (out) {
    s->out_packets += 1;
    s->out_bytes += bytes;
  } else {
    s->in_packets += 1;
    s->in_bytes += bytes;
  }
  if (new_conn) s->conns += 1;
}

#endif
