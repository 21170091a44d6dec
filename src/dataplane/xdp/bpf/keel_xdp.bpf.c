// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* keel's XDP load balancer (docs/design.md §4, dataplane.md §3.2): packets to a virtual service go
 * to one of its real servers by DR (MAC rewrite), NAT (DNAT, with replies SNATed back) or TUN
 * (IPIP/GUE); everything else passes to the kernel untouched, and so does a frame addressed to
 * another host's MAC (a switch flooded it here; the VRRP MASTER forwards it: docs/dataplane.md,
 * "Who forwards a VIP"). Maps and counters: keel_abi.h.
 *
 * Scheduling: a TCP SYN, a first UDP datagram and a mid-flow packet with no connection entry
 * (another director took over) all pick ring[hash % KEEL_RING_SIZE], the hash covering the
 * client address and ports (the client address only, masked, for persistent and source-hash
 * services), so every director with the same rings picks the same real. Other packets follow
 * their keel_conns entry, which keeps a flow on its real when the ring changes. An RST for an
 * unknown flow is forwarded by hash and creates no entry. */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"
#include "encap.h"
#include "keel_abi.h"
#include "maps.h"
#include "parse.h"

#define KEEL_NS_PER_S 1000000000ull

static __always_inline int keel_verdict(__u32 counter) {
  if (counter == KEEL_PASS_QUIET) return XDP_PASS;
  keel_count(counter);
  return counter < KEEL_PASS_VLAN ? XDP_DROP : XDP_PASS;
}

static __always_inline const struct keel_service* keel_find_service(const struct keel_pkt* pkt) {
  struct keel_service_key key = {};
  __builtin_memcpy(key.addr, pkt->flow.dst, 16);
  key.port = pkt->flow.dport;
  key.proto = pkt->flow.proto;
  key.family = pkt->flow.family;
  const struct keel_service* svc = bpf_map_lookup_elem(&keel_services, &key);
  if (svc) return svc;
  key.port = 0;
  return bpf_map_lookup_elem(&keel_services, &key);
}

/* Whether the frame is addressed to the ingress interface's own MAC (ABI contract 6); an
 * interface without a valid keel_if_macs entry takes every frame as its own. An array lookup:
 * the verifier inlines it, so the check costs a few loads, not a hash. */
static __always_inline int keel_for_us(struct xdp_md* ctx) {
  __u32 ifindex = ctx->ingress_ifindex;
  const struct keel_if_mac* ours = bpf_map_lookup_elem(&keel_if_macs, &ifindex);
  if (!ours || !ours->valid) return 1;
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  const struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end) return 0;
  const __u8* d = eth->h_dest;
  const __u8* m = ours->mac;
  return d[0] == m[0] && d[1] == m[1] && d[2] == m[2] && d[3] == m[3] && d[4] == m[4] &&
         d[5] == m[5];
}

static __always_inline const struct keel_real* keel_real_at(__u32 index) {
  if (index == 0) return 0;
  const struct keel_real* r = bpf_map_lookup_elem(&keel_reals, &index);
  return r && r->family != KEEL_FAMILY_NONE ? r : 0;
}

static __always_inline int keel_persistent(const struct keel_service* svc) {
  return (svc->flags & KEEL_SVC_F_PERSIST) != 0;
}

/* The client address masked to the service's persistence prefix. */
static __always_inline __u64 keel_prefix_mask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return ~0ull;
  return ~0ull << (64 - bits);
}

static __always_inline void keel_persist_key(const struct keel_pkt* pkt,
                                             const struct keel_service* svc,
                                             struct keel_persist_key* key) {
  int bits = svc->persist_prefix;
  if (bits == 0 || bits > 128) bits = 128;
  if (pkt->flow.family == KEEL_FAMILY_V4 && bits > 32) bits = 32;
  __u64 hi, lo;
  __builtin_memcpy(&hi, pkt->flow.src, 8);
  __builtin_memcpy(&lo, pkt->flow.src + 8, 8);
  hi &= bpf_cpu_to_be64(keel_prefix_mask(bits));
  lo &= bpf_cpu_to_be64(keel_prefix_mask(bits - 64));
  __builtin_memcpy(key->client, &hi, 8);
  __builtin_memcpy(key->client + 8, &lo, 8);
  key->service_id = svc->id;
  key->family = pkt->flow.family;
}

/* The whole flow's hash: the tunnel's entropy (GUE source port, IPv6 flow label). */
static __always_inline __u32 keel_flow_hash_of(const struct keel_pkt* pkt) {
  __u32 src[4];
  __builtin_memcpy(src, pkt->flow.src, 16);
  return keel_flow_hash(src, ((__u32)pkt->flow.sport << 16) | pkt->flow.dport);
}

static __always_inline __u32 keel_hash(const struct keel_pkt* pkt, const struct keel_service* svc,
                                       const struct keel_persist_key* pkey) {
  __u32 src[4];
  __u32 ports = 0;
  if (keel_persistent(svc)) {
    __builtin_memcpy(src, pkey->client, 16);
  } else {
    __builtin_memcpy(src, pkt->flow.src, 16);
    if (!(svc->flags & KEEL_SVC_F_HASH_SRC))
      ports = ((__u32)pkt->flow.sport << 16) | pkt->flow.dport;
  }
  return keel_flow_hash(src, ports);
}

static __always_inline __u32 keel_ring_pick(const struct keel_service* svc, __u32 hash) {
  if (svc->id >= KEEL_MAX_SERVICES) return 0;
  __u32 slot = svc->id * KEEL_RING_SIZE + hash % KEEL_RING_SIZE;
  __u32* real = bpf_map_lookup_elem(&keel_ring, &slot);
  return real ? *real : 0;
}

/* The real of a live keel_conns entry, 0 if none; a stale entry is counted. Only UDP entries
 * age, so a TCP hit reads no clock. */
static __always_inline __u32 keel_conn_real(const struct keel_pkt* pkt,
                                            const struct keel_config* cfg) {
  struct keel_conn* c = bpf_map_lookup_elem(&keel_conns, &pkt->flow);
  if (!c || c->atime_ns == 0) return 0;
  __u32 real = c->real;
  if (pkt->flow.proto == IPPROTO_UDP) {
    __u64 now = bpf_ktime_get_ns();
    if (cfg->udp_timeout_ns && now - c->atime_ns > cfg->udp_timeout_ns) real = 0;
    c->atime_ns = now;
  }
  if (!real || !keel_real_at(real)) {
    keel_count(KEEL_EV_CONN_STALE);
    return 0;
  }
  return real;
}

/* A live persistence template's real (refreshing it), 0 if none. */
static __always_inline __u32 keel_persist_real(const struct keel_service* svc,
                                               const struct keel_persist_key* key, __u64 now) {
  struct keel_conn* t = bpf_map_lookup_elem(&keel_persist, key);
  if (!t || now - t->atime_ns > (__u64)svc->persist_timeout_s * KEEL_NS_PER_S) return 0;
  if (!keel_real_at(t->real)) return 0;
  t->atime_ns = now;
  return t->real;
}

struct keel_choice {
  __u32 real;
  int new_conn;
};

/* Picks the real for a packet of `svc`; choice->real is 0 when the ring has none.
 * The program's larger steps are global functions: the verifier checks each once, with its
 * arguments unknown, instead of once per path through the caller. */
__attribute__((noinline)) int keel_schedule(const struct keel_pkt* pkt,
                                            const struct keel_service* svc,
                                            const struct keel_config* cfg,
                                            struct keel_choice* choice) {
  if (!pkt || !svc || !cfg || !choice) return 0;
  int tcp = pkt->flow.proto == IPPROTO_TCP;
  int syn = tcp && (pkt->tcp_flags & (KEEL_TCP_SYN | KEEL_TCP_ACK)) == KEEL_TCP_SYN;
  int track = !(svc->flags & KEEL_SVC_F_NO_CONN);
  struct keel_persist_key pkey = {};
  if (keel_persistent(svc)) keel_persist_key(pkt, svc, &pkey);

  if (track && !syn) choice->real = keel_conn_real(pkt, cfg);
  if (choice->real) {
    if (keel_persistent(svc)) keel_persist_real(svc, &pkey, bpf_ktime_get_ns());
    return 0;
  }
  __u32 hash = keel_hash(pkt, svc, &pkey);
  if (pkt->icmp_error) { /* route by the quoted flow; never create state for it */
    choice->real = keel_ring_pick(svc, hash);
    return 0;
  }
  __u64 now = bpf_ktime_get_ns();
  if (keel_persistent(svc)) {
    choice->real = keel_persist_real(svc, &pkey, now);
    if (choice->real) keel_count(KEEL_EV_PERSIST_HIT);
  }
  if (!choice->real) choice->real = keel_ring_pick(svc, hash);
  if (!choice->real) return 0;
  if (keel_persistent(svc)) {
    struct keel_conn t = {.atime_ns = now, .real = choice->real};
    bpf_map_update_elem(&keel_persist, &pkey, &t, BPF_ANY);
  }
  choice->new_conn = 1;
  keel_count(!tcp || syn ? KEEL_EV_NEW_SYN : KEEL_EV_NEW_MIDFLOW);
  if (tcp && (pkt->tcp_flags & KEEL_TCP_RST)) {
    keel_count(KEEL_EV_RST_NO_STATE);
    return 0;
  }
  if (track) {
    struct keel_conn c = {.atime_ns = now, .real = choice->real};
    bpf_map_update_elem(&keel_conns, &pkt->flow, &c, BPF_ANY);
  }
  return 0;
}

/* Ethernet rewrite towards `r`, then XDP_TX on the ingress interface or a redirect. */
static __always_inline int keel_transmit(struct xdp_md* ctx, const struct keel_real* r) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end) return XDP_DROP;
  __builtin_memcpy(eth->h_dest, r->dst_mac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, r->src_mac, ETH_ALEN);
  if (r->ifindex == 0 || r->ifindex == ctx->ingress_ifindex) return XDP_TX;
  return bpf_redirect(r->ifindex, 0);
}

/* Where the L4 checksum sits, or 0 for a UDP/IPv4 datagram sent without one. */
static __always_inline __u16* keel_l4_check(void* data, void* data_end,
                                            const struct keel_pkt* pkt) {
  __u32 off = pkt->l4_off;
  if (off > ETH_HLEN + KEEL_MAX_L3_OFFSET) return 0;
  if (pkt->flow.proto == IPPROTO_TCP) {
    struct tcphdr* tcp = data + off;
    return (void*)(tcp + 1) <= data_end ? &tcp->check : 0;
  }
  struct udphdr* udp = data + off;
  if ((void*)(udp + 1) > data_end) return 0;
  if (udp->check == 0 && pkt->flow.family == KEEL_FAMILY_V4) return 0;
  return &udp->check;
}

struct keel_nat_target {
  __u8 addr[16];
  __be16 port; /* 0 keeps the port */
  __u8 dst;    /* rewrite the destination (DNAT), else the source (SNAT) */
  __u8 pad;
};

/* Rewrites one address and its port, fixing the IPv4 header and L4 checksums. */
static __always_inline int keel_nat_rewrite(struct xdp_md* ctx, const struct keel_pkt* pkt,
                                            const struct keel_nat_target* t) {
  const __u8* addr = t->addr;
  __be16 port = t->port;
  int dst = t->dst;
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  int v4 = pkt->flow.family == KEEL_FAMILY_V4;
  __u32 alen = v4 ? 4 : 16;
  __u32 aoff = ETH_HLEN + (v4 ? (dst ? 16 : 12) : (dst ? 24 : 8));
  __u16* a = data + aoff;
  if ((void*)a + alen > data_end) return KEEL_DROP_MALFORMED_L4;
  __u16* check = keel_l4_check(data, data_end, pkt);
  __u16 old[8] = {};
  __u16 new[8] = {};
  __builtin_memcpy(new, addr, 16);
  if (v4) {
    if ((void*)a + 4 > data_end) return KEEL_DROP_MALFORMED_L4;
    __builtin_memcpy(old, a, 4);
    struct iphdr* ip = data + ETH_HLEN;
    if ((void*)(ip + 1) > data_end) return KEEL_DROP_MALFORMED_IPV4;
    keel_csum_replace(&ip->check, old, new, 2);
    if (check) keel_csum_replace(check, old, new, 2);
    __builtin_memcpy(a, new, 4);
  } else {
    if ((void*)a + 16 > data_end) return KEEL_DROP_MALFORMED_L4;
    __builtin_memcpy(old, a, 16);
    if (check) keel_csum_replace(check, old, new, 8);
    __builtin_memcpy(a, new, 16);
  }
  __u32 off = pkt->l4_off;
  if (off > ETH_HLEN + KEEL_MAX_L3_OFFSET) return KEEL_DROP_MALFORMED_L4;
  __be16* ports = data + off;
  if ((void*)(ports + 2) > data_end) return KEEL_DROP_MALFORMED_L4;
  if (port && ports[dst ? 1 : 0] != port) {
    if (check) keel_csum_replace16(check, ports[dst ? 1 : 0], port);
    ports[dst ? 1 : 0] = port;
  }
  if (check && *check == 0 && pkt->flow.proto == IPPROTO_UDP) *check = 0xffff;
  return KEEL_PARSE_OK;
}

/* NAT forward: remember the reply's translation, then DNAT to the real. */
__attribute__((noinline)) int keel_nat_forward(struct xdp_md* ctx, const struct keel_pkt* pkt,
                                               const struct keel_service* svc,
                                               const struct keel_real* r) {
  if (!pkt || !svc || !r) return KEEL_DROP_BAD_REAL;
  if (r->family != pkt->flow.family) return KEEL_DROP_FAMILY;
  struct keel_flow reply = {};
  __builtin_memcpy(reply.src, r->addr, 16);
  __builtin_memcpy(reply.dst, pkt->flow.src, 16);
  reply.sport = r->port ? r->port : pkt->flow.dport;
  reply.dport = pkt->flow.sport;
  reply.proto = pkt->flow.proto;
  reply.family = pkt->flow.family;
  __u64 now = bpf_ktime_get_ns();
  struct keel_nat_rev* rev = bpf_map_lookup_elem(&keel_nat_rev, &reply);
  if (rev && rev->service_id == svc->id && rev->vport == pkt->flow.dport) {
    rev->atime_ns = now;
  } else {
    struct keel_nat_rev v = {.vport = pkt->flow.dport,
                             .family = pkt->flow.family,
                             .service_id = svc->id,
                             .atime_ns = now};
    __builtin_memcpy(v.vip, pkt->flow.dst, 16);
    bpf_map_update_elem(&keel_nat_rev, &reply, &v, BPF_ANY);
  }
  struct keel_nat_target t = {.port = r->port, .dst = 1};
  __builtin_memcpy(t.addr, r->addr, 16);
  return keel_nat_rewrite(ctx, pkt, &t);
}

/* A reply from a NAT real: SNAT back to the VIP and route it with the kernel's FIB; when the
 * next hop is not resolved yet the kernel forwards it (XDP_PASS). */
__attribute__((noinline)) int keel_nat_reply(struct xdp_md* ctx, const struct keel_pkt* pkt) {
  if (!pkt) return XDP_PASS;
  struct keel_nat_rev* rev = bpf_map_lookup_elem(&keel_nat_rev, &pkt->flow);
  if (!rev) return XDP_PASS;
  if (!keel_for_us(ctx)) return keel_verdict(KEEL_PASS_OTHER_HOST);
  struct keel_nat_rev v = *rev;
  struct keel_nat_target t = {.port = v.vport, .dst = 0};
  __builtin_memcpy(t.addr, v.vip, 16);
  int rc = keel_nat_rewrite(ctx, pkt, &t);
  if (rc != KEEL_PARSE_OK) return keel_verdict(rc);
  keel_count(KEEL_EV_NAT_REPLY);
  keel_stats_add(&keel_svc_stats, v.service_id, pkt->l3_len, 1, 0);

  struct bpf_fib_lookup fib = {};
  fib.family = pkt->flow.family == KEEL_FAMILY_V4 ? 2 /* AF_INET */ : 10 /* AF_INET6 */;
  fib.l4_protocol = pkt->flow.proto;
  fib.sport = v.vport;
  fib.dport = pkt->flow.dport;
  fib.tot_len = pkt->l3_len;
  fib.ifindex = ctx->ingress_ifindex;
  if (pkt->flow.family == KEEL_FAMILY_V4) {
    __builtin_memcpy(&fib.ipv4_src, v.vip, 4);
    __builtin_memcpy(&fib.ipv4_dst, pkt->flow.dst, 4);
  } else {
    __builtin_memcpy(fib.ipv6_src, v.vip, 16);
    __builtin_memcpy(fib.ipv6_dst, pkt->flow.dst, 16);
  }
  if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS) return XDP_PASS;
  struct keel_real hop = {.ifindex = fib.ifindex};
  __builtin_memcpy(hop.dst_mac, fib.dmac, ETH_ALEN);
  __builtin_memcpy(hop.src_mac, fib.smac, ETH_ALEN);
  return keel_transmit(ctx, &hop);
}

__attribute__((noinline)) int keel_tunnel(struct xdp_md* ctx, const struct keel_pkt* pkt,
                                          const struct keel_real* r, const struct keel_config* cfg,
                                          __u32 hash) {
  if (!pkt || !r || !cfg) return KEEL_DROP_BAD_REAL;
  return keel_encap(ctx, pkt, r, cfg, hash);
}

static __always_inline int keel_forward(struct xdp_md* ctx, const struct keel_pkt* pkt,
                                        const struct keel_service* svc_map,
                                        const struct keel_config* cfg_map) {
  struct keel_service svc = *svc_map;
  struct keel_config cfg = *cfg_map;
  struct keel_choice choice = {};
  keel_schedule(pkt, &svc, &cfg, &choice);
  if (!choice.real) return keel_verdict(KEEL_DROP_NO_REAL);
  const struct keel_real* rp = keel_real_at(choice.real);
  if (!rp) return keel_verdict(KEEL_DROP_BAD_REAL);
  struct keel_real real = *rp;
  const struct keel_real* r = &real;
  if (pkt->icmp_error && r->forwarding == KEEL_FWD_NAT) return keel_verdict(KEEL_PASS_ICMP);

  int rc = KEEL_PARSE_OK;
  if (r->forwarding == KEEL_FWD_NAT)
    rc = keel_nat_forward(ctx, pkt, &svc, r);
  else if (r->forwarding == KEEL_FWD_TUN_IPIP || r->forwarding == KEEL_FWD_TUN_GUE)
    rc = keel_tunnel(ctx, pkt, r, &cfg, keel_flow_hash_of(pkt));
  if (rc != KEEL_PARSE_OK) return keel_verdict(rc);

  if (pkt->icmp_error) {
    keel_count(KEEL_EV_ICMP_FORWARDED);
  } else {
    if (pkt->ipv4_options) keel_count(KEEL_EV_IPV4_OPTIONS);
    keel_stats_add(&keel_svc_stats, svc.id, pkt->l3_len, 0, choice.new_conn);
    keel_stats_add(&keel_real_stats, choice.real, pkt->l3_len, 0, choice.new_conn);
  }
  return keel_transmit(ctx, r);
}

__attribute__((noinline)) int keel_parse_frame(struct xdp_md* ctx, struct keel_pkt* pkt) {
  if (!pkt) return KEEL_PASS_QUIET;
  return keel_parse(ctx, pkt);
}

SEC("xdp")
int keel_xdp(struct xdp_md* ctx) {
  struct keel_pkt pkt = {};
  int rc = keel_parse_frame(ctx, &pkt);
  if (rc != KEEL_PARSE_OK) return keel_verdict(rc);
  __u32 zero = 0;
  const struct keel_config* cfg = bpf_map_lookup_elem(&keel_config, &zero);
  if (!cfg) return XDP_PASS;
  const struct keel_service* svc = keel_find_service(&pkt);
  if (svc && !keel_for_us(ctx)) return keel_verdict(KEEL_PASS_OTHER_HOST);
  if (svc) return keel_forward(ctx, &pkt, svc, cfg);
  if ((cfg->flags & KEEL_CFG_F_NAT) && !pkt.icmp_error) return keel_nat_reply(ctx, &pkt);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
