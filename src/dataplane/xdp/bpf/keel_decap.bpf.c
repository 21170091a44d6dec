// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* keel's decapsulator for real servers of TUN services, for kernels without the ipip/ip6tnl/fou
 * modules: an XDP program that strips the outer IPv4/IPv6 header of IPIP, IPv6-in-IPv6, 4-in-6
 * and 6-in-4 packets, and the outer IP + UDP header of GUE variant 1 packets to `gue_port`, then
 * passes the inner packet to the kernel as if it had arrived bare (the real server owns the VIP
 * on lo, as with tunl0).
 *
 * Only tunnels from a director to this host are opened: the outer source must be in
 * keel_decap_directors and the outer destination in keel_decap_locals (the loader fills both,
 * decap_loader.h); anything else passes untouched, as if keel were not there, and is counted.
 * A tunnel packet from a director whose lengths disagree (outer and inner totals, the UDP
 * length) or whose inner header is not the IP version the outer one announces is dropped and
 * counted. Outer fragments and outer IPv4 options pass untouched. Counters: decap_abi.h. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "decap_abi.h"
#include "keel_abi.h"

/* Set before load (skeleton rodata), network order. */
const volatile __be16 gue_port = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KEEL_DECAP_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} keel_decap_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KEEL_DECAP_MAX_DIRECTORS);
  __type(key, struct keel_decap_addr);
  __type(value, __u8);
} keel_decap_directors SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KEEL_DECAP_MAX_LOCALS);
  __type(key, struct keel_decap_addr);
  __type(value, __u8);
} keel_decap_locals SEC(".maps");

static __always_inline int decap_count(__u32 i, int verdict) {
  __u64* v = bpf_map_lookup_elem(&keel_decap_stats, &i);
  if (v) *v += 1;
  return verdict;
}

/* KEEL_DECAP_DONE when `src` is a director and `dst` ours, else the counter saying why not. */
static __always_inline __u32 decap_peers(__u8 family, const void* src, const void* dst, __u32 len) {
  struct keel_decap_addr k = {.family = family};
  __builtin_memcpy(k.addr, src, len);
  if (!bpf_map_lookup_elem(&keel_decap_directors, &k)) return KEEL_DECAP_NOT_DIRECTOR;
  __builtin_memcpy(k.addr, dst, len);
  if (!bpf_map_lookup_elem(&keel_decap_locals, &k)) return KEEL_DECAP_NOT_LOCAL;
  return KEEL_DECAP_DONE;
}

/* Whether the inner packet at `inner` (`len` bytes, all inside the frame) is an IP header of
 * `version` (0: either) whose own total length is `len`. */
static __always_inline int decap_inner_ok(void* inner, void* data_end, __u32 len, __u8 version) {
  struct iphdr* ip4 = inner;
  if ((void*)(ip4 + 1) > data_end) return 0;
  __u8 v = *(__u8*)inner >> 4;
  if (version && v != version) return 0;
  if (v == 4) return ip4->ihl >= 5 && bpf_ntohs(ip4->tot_len) == len;
  struct ipv6hdr* ip6 = inner;
  if (v != 6 || (void*)(ip6 + 1) > data_end) return 0;
  return sizeof(*ip6) + bpf_ntohs(ip6->payload_len) == len;
}

/* Removes `outer` bytes after the Ethernet header; the inner packet's version nibble decides
 * the new EtherType. */
static __always_inline int decap_strip(struct xdp_md* ctx, __u32 outer) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr eth;
  if (data + ETH_HLEN > data_end) return XDP_PASS;
  __builtin_memcpy(&eth, data, ETH_HLEN);
  if (bpf_xdp_adjust_head(ctx, (int)outer)) return decap_count(KEEL_DECAP_MALFORMED, XDP_DROP);
  data = (void*)(long)ctx->data;
  data_end = (void*)(long)ctx->data_end;
  __u8* inner = data + ETH_HLEN;
  if ((void*)(inner + 1) > data_end) return decap_count(KEEL_DECAP_MALFORMED, XDP_DROP);
  eth.h_proto = (*inner >> 4) == 4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);
  __builtin_memcpy(data, &eth, ETH_HLEN);
  return decap_count(KEEL_DECAP_DONE, XDP_PASS);
}

/* The outer L3 header, `hlen` bytes at ETH_HLEN, carries `payload` bytes of protocol `proto`
 * from `src` to `dst` (network order, `alen` bytes each). */
static __always_inline int decap_l3(struct xdp_md* ctx, __u8 family, const void* src,
                                    const void* dst, __u32 alen, __u8 proto, __u32 hlen,
                                    __u32 payload) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  __u8 version = 0;
  __u32 udp_len = 0;
  int lengths_ok = 1;
  if (proto == IPPROTO_IPIP) {
    version = 4;
  } else if (proto == IPPROTO_IPV6) {
    version = 6;
  } else if (proto == IPPROTO_UDP) {
    struct udphdr* udp = data + ETH_HLEN + hlen;
    if ((void*)(udp + 1) > data_end) return XDP_PASS;
    __be16 port = gue_port ? gue_port : bpf_htons(KEEL_GUE_PORT_DEFAULT);
    if (udp->dest != port) return XDP_PASS;
    udp_len = sizeof(*udp);
    lengths_ok = bpf_ntohs(udp->len) == payload && payload >= udp_len;
  } else {
    return XDP_PASS;
  }
  __u32 why = decap_peers(family, src, dst, alen);
  if (why != KEEL_DECAP_DONE) return decap_count(why, XDP_PASS);
  void* inner = data + ETH_HLEN + hlen + udp_len;
  if (!lengths_ok || !decap_inner_ok(inner, data_end, payload - udp_len, version))
    return decap_count(KEEL_DECAP_MALFORMED, XDP_DROP);
  return decap_strip(ctx, hlen + udp_len);
}

SEC("xdp")
int keel_decap(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr* ip = (void*)(eth + 1);
    if ((void*)(ip + 1) > data_end || ip->ihl != 5) return XDP_PASS;
    if (ip->frag_off & bpf_htons(0x3fff)) return XDP_PASS;
    __u32 tot = bpf_ntohs(ip->tot_len);
    /* a lying total is the kernel's to drop: keel only vouches for tunnels it opens */
    if (tot < sizeof(*ip) || (void*)ip + tot > data_end) return XDP_PASS;
    return decap_l3(ctx, KEEL_DECAP_V4, &ip->saddr, &ip->daddr, 4, ip->protocol, sizeof(*ip),
                    tot - sizeof(*ip));
  }
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr* ip6 = (void*)(eth + 1);
    if ((void*)(ip6 + 1) > data_end) return XDP_PASS;
    __u32 plen = bpf_ntohs(ip6->payload_len);
    if ((void*)(ip6 + 1) + plen > data_end) return XDP_PASS;
    return decap_l3(ctx, KEEL_DECAP_V6, &ip6->saddr, &ip6->daddr, 16, ip6->nexthdr, sizeof(*ip6),
                    plen);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
