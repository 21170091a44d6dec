// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/* The yardstick for bench/xdp_prog.cc: the least an XDP forwarder does (parse Ethernet, IPv4
 * and TCP with bounds checks, swap the MACs, XDP_TX), so keel_xdp's cost reads as a ratio. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int trivial_tx(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr* ip = (void*)(eth + 1);
  if ((void*)(ip + 1) > data_end || ip->ihl < 5 || ip->protocol != IPPROTO_TCP) return XDP_PASS;
  struct tcphdr* tcp = (void*)ip + ip->ihl * 4;
  if ((void*)(tcp + 1) > data_end) return XDP_PASS;
  unsigned char tmp[ETH_ALEN];
  __builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
  return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
