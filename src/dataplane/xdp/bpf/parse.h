/* Packet parsing for keel_xdp.bpf.c: Ethernet, IPv4 (options skipped by IHL), IPv6 (a bounded
 * extension-header walk), TCP, UDP and ICMP/ICMPv6 errors that quote a flow.
 *
 * Policy (each outcome is a counter in keel_abi.h):
 * - Malformed headers the kernel would drop anyway (truncated, IHL < 5, lengths that lie, TCP
 *   doff < 5, UDP length out of range) are dropped here: DROP_MALFORMED_*.
 * - What the program cannot classify is passed to the kernel untouched: VLAN-tagged frames
 *   (PASS_VLAN), IPv4/IPv6 fragments (PASS_FRAGMENT: non-first fragments carry no ports, so no
 *   fragment is balanced and all fragments of one datagram get the same verdict), IPv6 chains
 *   longer than KEEL_IPV6_EXT_MAX headers or with ESP, and IPv6 whose extension headers end
 *   beyond KEEL_MAX_L3_OFFSET (an SRv6 header with 6+ segments, a long hop-by-hop header): the
 *   program's bounded walk cannot reach their upper layer, and what it cannot parse it passes,
 *   never drops (PASS_IPV6_EXT). Non-VIP traffic on every attached interface depends on it.
 * - Everything that is not TCP, UDP or an ICMP error (ARP, ND, VRRP, OSPF, echo, ...) passes
 *   without a counter, and so does every frame to a broadcast or multicast MAC.
 * - ICMP errors (v4 types 3, 11, 12; v6 types 1-4) are parsed down to the quoted ports; the flow
 *   they describe is returned reversed (client -> VIP) so it finds the same connection entry.
 */
#ifndef KEEL_XDP_PARSE_H
#define KEEL_XDP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "keel_abi.h"

/* parse results other than a counter id */
#define KEEL_PARSE_OK (-1)
#define KEEL_PASS_QUIET KEEL_COUNTER_MAX /* XDP_PASS without a counter */

#define KEEL_ETH_P_8021Q 0x8100
#define KEEL_ETH_P_8021AD 0x88a8
#define KEEL_IP_MF 0x2000
#define KEEL_IP_OFFSET 0x1fff
#define KEEL_NH_HOPOPTS 0
#define KEEL_NH_ROUTING 43
#define KEEL_NH_FRAGMENT 44
#define KEEL_NH_ESP 50
#define KEEL_NH_AH 51
#define KEEL_NH_NONE 59
#define KEEL_NH_DSTOPTS 60
#define KEEL_NH_ICMPV6 58
#define KEEL_MAX_L3_OFFSET 128 /* the IPv4 header plus options, or IPv6 plus extensions */

struct keel_pkt {
  struct keel_flow flow; /* client -> VIP (or, for ICMP errors, the quoted flow reversed) */
  __u32 l4_off;          /* offset of the TCP/UDP (or ICMP) header from the frame start */
  __u32 l3_len;          /* IP total length: header(s) + payload, without Ethernet padding */
  __u8 tcp_flags;
  __u8 icmp_error;
  __u8 ipv4_options;
};

#define KEEL_TCP_FIN 0x01
#define KEEL_TCP_SYN 0x02
#define KEEL_TCP_RST 0x04
#define KEEL_TCP_ACK 0x10

/* TCP or UDP at `off` (the L4 header of a packet whose IP payload ends at `l3_end`). */
static __always_inline int keel_parse_l4(void* data, void* data_end, __u32 off, __u32 l3_end,
                                         struct keel_pkt* pkt) {
  if (off > KEEL_MAX_L3_OFFSET + ETH_HLEN) return KEEL_DROP_MALFORMED_L4;
  if (pkt->flow.proto == IPPROTO_TCP) {
    struct tcphdr* tcp = data + off;
    if ((void*)(tcp + 1) > data_end || off + sizeof(*tcp) > l3_end) return KEEL_DROP_MALFORMED_L4;
    if (tcp->doff < 5 || off + tcp->doff * 4 > l3_end) return KEEL_DROP_MALFORMED_L4;
    pkt->flow.sport = tcp->source;
    pkt->flow.dport = tcp->dest;
    pkt->tcp_flags = ((__u8*)tcp)[13];
  } else {
    struct udphdr* udp = data + off;
    if ((void*)(udp + 1) > data_end || off + sizeof(*udp) > l3_end) return KEEL_DROP_MALFORMED_L4;
    __u32 len = bpf_ntohs(udp->len);
    if (len < sizeof(*udp) || off + len > l3_end) return KEEL_DROP_MALFORMED_L4;
    pkt->flow.sport = udp->source;
    pkt->flow.dport = udp->dest;
  }
  pkt->l4_off = off;
  return KEEL_PARSE_OK;
}

/* The first 8 bytes of the quoted datagram's L4 header are all RFC 792 / 4443 promise; the
 * ports are its first 4. The quoted flow runs VIP -> client; we store it reversed. */
static __always_inline int keel_quoted_ports(void* data, void* data_end, __u32 off,
                                             struct keel_pkt* pkt) {
  if (off > KEEL_MAX_L3_OFFSET * 2 + ETH_HLEN) return KEEL_DROP_MALFORMED_ICMP;
  __be16* ports = data + off;
  if ((void*)(ports + 2) > data_end) return KEEL_DROP_MALFORMED_ICMP;
  pkt->flow.sport = ports[1];
  pkt->flow.dport = ports[0];
  pkt->icmp_error = 1;
  return KEEL_PARSE_OK;
}

static __always_inline int keel_parse_icmp4(void* data, void* data_end, __u32 off,
                                            struct keel_pkt* pkt) {
  if (off > KEEL_MAX_L3_OFFSET + ETH_HLEN) return KEEL_DROP_MALFORMED_ICMP;
  __u8* icmp = data + off;
  if ((void*)(icmp + 8) > data_end) return KEEL_DROP_MALFORMED_ICMP;
  if (icmp[0] != 3 && icmp[0] != 11 && icmp[0] != 12) return KEEL_PASS_QUIET;
  struct iphdr* in = (void*)(icmp + 8);
  if ((void*)(in + 1) > data_end || in->ihl < 5) return KEEL_DROP_MALFORMED_ICMP;
  if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP) return KEEL_PASS_QUIET;
  if (in->frag_off & bpf_htons(KEEL_IP_OFFSET)) return KEEL_PASS_QUIET;
  pkt->flow.proto = in->protocol;
  __builtin_memcpy(pkt->flow.src, &in->daddr, 4);
  __builtin_memcpy(pkt->flow.dst, &in->saddr, 4);
  pkt->l4_off = off;
  return keel_quoted_ports(data, data_end, off + 8 + in->ihl * 4, pkt);
}

static __always_inline int keel_parse_icmp6(void* data, void* data_end, __u32 off,
                                            struct keel_pkt* pkt) {
  if (off > KEEL_MAX_L3_OFFSET + ETH_HLEN) return KEEL_DROP_MALFORMED_ICMP;
  __u8* icmp = data + off;
  if ((void*)(icmp + 8) > data_end) return KEEL_DROP_MALFORMED_ICMP;
  if (icmp[0] < 1 || icmp[0] > 4) return KEEL_PASS_QUIET;
  struct ipv6hdr* in = (void*)(icmp + 8);
  if ((void*)(in + 1) > data_end) return KEEL_DROP_MALFORMED_ICMP;
  if (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP) return KEEL_PASS_QUIET;
  pkt->flow.proto = in->nexthdr;
  __builtin_memcpy(pkt->flow.src, &in->daddr, 16);
  __builtin_memcpy(pkt->flow.dst, &in->saddr, 16);
  pkt->l4_off = off;
  return keel_quoted_ports(data, data_end, off + 8 + sizeof(*in), pkt);
}

static __always_inline int keel_parse_ipv4(void* data, void* data_end, struct keel_pkt* pkt) {
  struct iphdr* ip = data + ETH_HLEN;
  if ((void*)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
    return KEEL_DROP_MALFORMED_IPV4;
  __u32 hlen = ip->ihl * 4;
  __u32 tot = bpf_ntohs(ip->tot_len);
  if (tot < hlen || (void*)ip + tot > data_end) return KEEL_DROP_MALFORMED_IPV4;
  if (ip->frag_off & bpf_htons(KEEL_IP_MF | KEEL_IP_OFFSET)) return KEEL_PASS_FRAGMENT;
  pkt->l3_len = tot;
  pkt->ipv4_options = hlen > sizeof(*ip);
  pkt->flow.family = KEEL_FAMILY_V4;
  pkt->flow.proto = ip->protocol;
  __u32 l4 = ETH_HLEN + hlen;
  if (ip->protocol == IPPROTO_ICMP) return keel_parse_icmp4(data, data_end, l4, pkt);
  if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) return KEEL_PASS_QUIET;
  __builtin_memcpy(pkt->flow.src, &ip->saddr, 4);
  __builtin_memcpy(pkt->flow.dst, &ip->daddr, 4);
  return keel_parse_l4(data, data_end, l4, ETH_HLEN + tot, pkt);
}

/* Walks at most KEEL_IPV6_EXT_MAX extension headers; *off ends at the upper-layer header. */
static __always_inline int keel_ipv6_skip_ext(void* data, void* data_end, __u32 l3_end, __u32* off,
                                              __u8* nh) {
#pragma clang loop unroll(full)
  for (int i = 0; i < KEEL_IPV6_EXT_MAX; i++) {
    __u8 next = *nh;
    if (next == IPPROTO_TCP || next == IPPROTO_UDP || next == KEEL_NH_ICMPV6) return KEEL_PARSE_OK;
    if (next == KEEL_NH_FRAGMENT) return KEEL_PASS_FRAGMENT;
    if (next == KEEL_NH_ESP) return KEEL_PASS_IPV6_EXT;
    if (next != KEEL_NH_HOPOPTS && next != KEEL_NH_ROUTING && next != KEEL_NH_DSTOPTS &&
        next != KEEL_NH_AH)
      return KEEL_PASS_QUIET; /* no next header, or a protocol keel does not balance */
    if (*off > ETH_HLEN + KEEL_MAX_L3_OFFSET) return KEEL_PASS_IPV6_EXT;
    __u8* ext = data + *off;
    if ((void*)(ext + 8) > data_end) return KEEL_DROP_MALFORMED_IPV6;
    __u32 len = next == KEEL_NH_AH ? (ext[1] + 2) * 4 : (ext[1] + 1) * 8;
    *nh = ext[0];
    *off += len;
    if (*off > l3_end) return KEEL_DROP_MALFORMED_IPV6;
  }
  __u8 last = *nh;
  if (last == IPPROTO_TCP || last == IPPROTO_UDP || last == KEEL_NH_ICMPV6) return KEEL_PARSE_OK;
  return KEEL_PASS_IPV6_EXT;
}

static __always_inline int keel_parse_ipv6(void* data, void* data_end, struct keel_pkt* pkt) {
  struct ipv6hdr* ip = data + ETH_HLEN;
  if ((void*)(ip + 1) > data_end || ip->version != 6) return KEEL_DROP_MALFORMED_IPV6;
  __u32 plen = bpf_ntohs(ip->payload_len);
  /* 0 is a jumbogram (RFC 2675), which no Ethernet frame here carries */
  if (plen == 0 || (void*)(ip + 1) + plen > data_end) return KEEL_DROP_MALFORMED_IPV6;
  pkt->l3_len = sizeof(*ip) + plen;
  pkt->flow.family = KEEL_FAMILY_V6;
  __u32 off = ETH_HLEN + sizeof(*ip);
  __u32 l3_end = ETH_HLEN + pkt->l3_len;
  __u8 nh = ip->nexthdr;
  __builtin_memcpy(pkt->flow.src, &ip->saddr, 16);
  __builtin_memcpy(pkt->flow.dst, &ip->daddr, 16);
  int rc = keel_ipv6_skip_ext(data, data_end, l3_end, &off, &nh);
  if (rc != KEEL_PARSE_OK) return rc;
  if (off > ETH_HLEN + KEEL_MAX_L3_OFFSET) return KEEL_PASS_IPV6_EXT; /* beyond the walk's reach */
  pkt->flow.proto = nh;
  if (nh == KEEL_NH_ICMPV6) return keel_parse_icmp6(data, data_end, off, pkt);
  return keel_parse_l4(data, data_end, off, l3_end, pkt);
}

/* Returns KEEL_PARSE_OK with *pkt filled, or the counter that decides the verdict. */
static __always_inline int keel_parse(struct xdp_md* ctx, struct keel_pkt* pkt) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end) return KEEL_DROP_MALFORMED_ETH;
  /* broadcast and multicast frames are never a connection to a VIP */
  if (eth->h_dest[0] & 1) return KEEL_PASS_QUIET;
  __be16 proto = eth->h_proto;
  if (proto == bpf_htons(ETH_P_IP)) return keel_parse_ipv4(data, data_end, pkt);
  if (proto == bpf_htons(ETH_P_IPV6)) return keel_parse_ipv6(data, data_end, pkt);
  if (proto == bpf_htons(KEEL_ETH_P_8021Q) || proto == bpf_htons(KEEL_ETH_P_8021AD))
    return KEEL_PASS_VLAN;
  return KEEL_PASS_QUIET;
}

#endif
