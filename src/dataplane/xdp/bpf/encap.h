/* TUN forwarding: the whole inner IP packet behind a new outer IPv4 or IPv6 header (IPIP,
 * IPv6-in-IPv6, 4-in-6, 6-in-4), optionally with a UDP header in between (GUE variant 1,
 * draft-ietf-intarea-gue: the inner IP header directly follows UDP, its version nibble telling
 * IPv4 from IPv6). The outer source is the configured director address; the GUE source port and
 * the IPv6 flow label carry the flow hash so real servers spread the flows over their queues.
 * The outer IPv4 header sets DF=0 and TTL 64; the GUE UDP checksum is 0 (RFC 6935 allows it for
 * tunnels; keel_decap.bpf.c accepts it). Ethernet padding is trimmed first. */
#ifndef KEEL_XDP_ENCAP_H
#define KEEL_XDP_ENCAP_H

#include "csum.h"
#include "maps.h"
#include "parse.h"

#define KEEL_TUN_TTL 64
#define KEEL_DEFAULT_MTU 1500

static __always_inline int keel_addr_unset(const __u8* a, int len) {
  __u8 any = 0;
#pragma clang loop unroll(full)
  for (int i = 0; i < 16; i++) {
    if (i < len) any |= a[i];
  }
  return any == 0;
}

static __always_inline void keel_outer_ipv4(struct iphdr* ip, const struct keel_real* r,
                                            const struct keel_config* cfg, __u8 proto, __u32 len) {
  ip->version = 4;
  ip->ihl = 5;
  ip->tos = 0;
  ip->tot_len = bpf_htons(len);
  ip->id = 0;
  ip->frag_off = 0;
  ip->ttl = KEEL_TUN_TTL;
  ip->protocol = proto;
  ip->check = 0;
  __builtin_memcpy(&ip->saddr, cfg->tun_src_v4, 4);
  __builtin_memcpy(&ip->daddr, r->addr, 4);
  ip->check = keel_ipv4_csum(ip);
}

static __always_inline void keel_outer_ipv6(struct ipv6hdr* ip, const struct keel_real* r,
                                            const struct keel_config* cfg, __u8 proto,
                                            __u32 payload, __u32 hash) {
  __u32 first = bpf_htonl((6u << 28) | (hash & 0xfffff));
  __builtin_memcpy(ip, &first, 4);
  ip->payload_len = bpf_htons(payload);
  ip->nexthdr = proto;
  ip->hop_limit = KEEL_TUN_TTL;
  __builtin_memcpy(&ip->saddr, cfg->tun_src_v6, 16);
  __builtin_memcpy(&ip->daddr, r->addr, 16);
}

/* Returns KEEL_PARSE_OK with the frame rebuilt in place, or a DROP_* counter. */
static __always_inline int keel_encap(struct xdp_md* ctx, const struct keel_pkt* pkt,
                                      const struct keel_real* r, const struct keel_config* cfg,
                                      __u32 hash) {
  int outer_v6 = r->family == KEEL_FAMILY_V6;
  int gue = r->forwarding == KEEL_FWD_TUN_GUE;
  __u32 ip_len = outer_v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
  __u32 added = ip_len + (gue ? sizeof(struct udphdr) : 0);
  __u32 mtu = cfg->tun_mtu ? cfg->tun_mtu : KEEL_DEFAULT_MTU;
  __u32 inner_len = pkt->l3_len;
  if (inner_len + added > mtu) return KEEL_DROP_TOO_BIG;
  if (keel_addr_unset(outer_v6 ? cfg->tun_src_v6 : cfg->tun_src_v4, outer_v6 ? 16 : 4))
    return KEEL_DROP_NO_TUN_SRC;

  long frame = (long)ctx->data_end - (long)ctx->data;
  long want = ETH_HLEN + inner_len;
  if (frame > want && bpf_xdp_adjust_tail(ctx, (int)(want - frame))) return KEEL_DROP_ADJUST;
  if (bpf_xdp_adjust_head(ctx, -(int)added)) return KEEL_DROP_ADJUST;

  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end) return KEEL_DROP_ADJUST;
  __builtin_memcpy(eth->h_dest, r->dst_mac, ETH_ALEN);
  __builtin_memcpy(eth->h_source, r->src_mac, ETH_ALEN);
  eth->h_proto = bpf_htons(outer_v6 ? ETH_P_IPV6 : ETH_P_IP);

  __u8 proto =
      gue ? IPPROTO_UDP : (pkt->flow.family == KEEL_FAMILY_V6 ? IPPROTO_IPV6 : IPPROTO_IPIP);
  __u32 payload = inner_len + (gue ? sizeof(struct udphdr) : 0);
  struct udphdr* udp;
  if (outer_v6) {
    struct ipv6hdr* ip6 = (void*)(eth + 1);
    if ((void*)(ip6 + 1) > data_end) return KEEL_DROP_ADJUST;
    keel_outer_ipv6(ip6, r, cfg, proto, payload, hash);
    udp = (void*)(ip6 + 1);
  } else {
    struct iphdr* ip4 = (void*)(eth + 1);
    if ((void*)(ip4 + 1) > data_end) return KEEL_DROP_ADJUST;
    keel_outer_ipv4(ip4, r, cfg, proto, sizeof(*ip4) + payload);
    udp = (void*)(ip4 + 1);
  }
  if (!gue) return KEEL_PARSE_OK;
  if ((void*)(udp + 1) > data_end) return KEEL_DROP_ADJUST;
  udp->source = bpf_htons((__u16)(0xc000 | (hash & 0x3fff)));
  udp->dest = cfg->gue_port ? cfg->gue_port : bpf_htons(KEEL_GUE_PORT_DEFAULT);
  udp->len = bpf_htons(payload);
  udp->check = 0;
  return KEEL_PARSE_OK;
}

#endif
