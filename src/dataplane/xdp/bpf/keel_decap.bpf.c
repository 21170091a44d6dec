// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* keel's decapsulator for real servers of TUN services, for kernels without the ipip/ip6tnl/fou
 * modules: an XDP program that strips the outer IPv4/IPv6 header of IPIP, IPv6-in-IPv6, 4-in-6
 * and 6-in-4 packets, and the outer IP + UDP header of GUE variant 1 packets to `gue_port`, then
 * passes the inner packet to the kernel as if it had arrived bare (the real server owns the VIP
 * on lo, as with tunl0). Outer fragments and outer IPv4 options pass untouched. Everything else
 * passes untouched. Counters: decap_stats[0] packets decapsulated, [1] malformed dropped. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "keel_abi.h"

/* Set before load (skeleton rodata), network order. */
const volatile __be16 gue_port = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} keel_decap_stats SEC(".maps");

static __always_inline int decap_count(__u32 i, int verdict) {
  __u64* v = bpf_map_lookup_elem(&keel_decap_stats, &i);
  if (v) *v += 1;
  return verdict;
}

/* Removes `outer` bytes after the Ethernet header; the inner packet's version nibble decides
 * the new EtherType. */
static __always_inline int decap_strip(struct xdp_md* ctx, __u32 outer) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr eth;
  if (data + ETH_HLEN > data_end) return XDP_PASS;
  __builtin_memcpy(&eth, data, ETH_HLEN);
  if (bpf_xdp_adjust_head(ctx, (int)outer)) return decap_count(1, XDP_DROP);
  data = (void*)(long)ctx->data;
  data_end = (void*)(long)ctx->data_end;
  __u8* inner = data + ETH_HLEN;
  if ((void*)(inner + 1) > data_end) return decap_count(1, XDP_DROP);
  __u8 version = *inner >> 4;
  if (version == 4)
    eth.h_proto = bpf_htons(ETH_P_IP);
  else if (version == 6)
    eth.h_proto = bpf_htons(ETH_P_IPV6);
  else
    return decap_count(1, XDP_DROP);
  __builtin_memcpy(data, &eth, ETH_HLEN);
  return decap_count(0, XDP_PASS);
}

/* With the outer L3 header of `hlen` bytes and protocol `proto` at ETH_HLEN. */
static __always_inline int decap_l3(struct xdp_md* ctx, __u8 proto, __u32 hlen) {
  if (proto == IPPROTO_IPIP || proto == IPPROTO_IPV6) return decap_strip(ctx, hlen);
  if (proto != IPPROTO_UDP) return XDP_PASS;
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct udphdr* udp = data + ETH_HLEN + hlen;
  if ((void*)(udp + 1) > data_end) return XDP_PASS;
  __be16 port = gue_port ? gue_port : bpf_htons(KEEL_GUE_PORT_DEFAULT);
  if (udp->dest != port) return XDP_PASS;
  return decap_strip(ctx, hlen + sizeof(*udp));
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
    return decap_l3(ctx, ip->protocol, sizeof(*ip));
  }
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr* ip6 = (void*)(eth + 1);
    if ((void*)(ip6 + 1) > data_end) return XDP_PASS;
    return decap_l3(ctx, ip6->nexthdr, sizeof(*ip6));
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
