/* keel XDP data plane ABI: every map name, key and value that the BPF program (keel_xdp.bpf.c)
 * and the userspace loader (src/dataplane/xdp) share. Plain C with fixed-width types, included
 * by both sides; each layout is pinned by KEEL_ABI_ASSERT so a change fails both builds.
 * All addresses are 16 bytes in network byte order; an IPv4 address occupies the first 4 bytes
 * and the other 12 are zero. Ports are in network byte order (__be16); everything else is host
 * order.
 *
 * UPDATE ORDERING CONTRACT (the loader must keep it; the program relies on it):
 *  1. A real server is written into keel_reals[i] before any keel_ring slot holds i. Index 0 is
 *     never a real: a ring slot of 0 means "no real" and the packet is dropped (DROP_NO_REAL).
 *  2. A service's ring slots (keel_ring[id * KEEL_RING_SIZE + slot]) are all written before its
 *     keel_services entry appears. Changing weights rewrites only the slots that change; each
 *     4-byte slot write is atomic, so a packet sees the old or the new real, never garbage.
 *  3. Removal runs the other way: delete the keel_services entry, then clear the ring, then
 *     clear keel_reals[i] (family = 0) once no ring slot holds i. Connection and persistence
 *     entries that still name i then read as a miss (EV_CONN_STALE) and the flow is scheduled
 *     again ("expire_nodest_conn" behaviour).
 *  4. Freed real indices and service ids go to the back of a FIFO and are reused last, so stale
 *     keel_conns entries rarely meet a recycled index. A reused service id or real index gets its
 *     stats slots zeroed before use.
 *  5. keel_config is written before the program is attached; the tunnel source addresses must be
 *     set before any TUN real is written.
 *  6. keel_if_macs[ifindex] holds the interface's own MAC (valid = 1) before the program is
 *     attached there: a service or NAT-reply frame whose destination MAC is another one was
 *     flooded to this host by a switch (it is the VRRP MASTER's to forward) and passes to the
 *     kernel, which drops it. An interface without a valid entry (or with an index of
 *     KEEL_MAX_IFINDEX or more) is not filtered.
 * Weight-0 reals are never placed in a ring: they get no new flows, existing flows continue
 * through keel_conns (and persistence templates keep pointing at them, as IPVS does by default).
 */
#ifndef KEEL_DATAPLANE_XDP_BPF_KEEL_ABI_H
#define KEEL_DATAPLANE_XDP_BPF_KEEL_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
#define KEEL_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define KEEL_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#define KEEL_ABI_LAYOUT(type, size) \
  KEEL_ABI_ASSERT(sizeof(struct type) == (size), #type " size is part of the ABI")
#define KEEL_ABI_FIELD(type, field, off)                           \
  KEEL_ABI_ASSERT(__builtin_offsetof(struct type, field) == (off), \
                  #type "." #field " offset is part of the ABI")

/* ---- sizes ---------------------------------------------------------------------------------- */

#define KEEL_MAX_SERVICES 256u /* service ids 0..255 */
#define KEEL_MAX_REALS 4096u   /* real indices 1..4095; 0 is "none" */
#define KEEL_MAX_IFINDEX 4096u /* keel_if_macs covers interface indices below it */
/* Slots per service ring: a prime (lb::buildMaglev requires one), M > 100 * N for <= 1% imbalance
 * up to 163 reals per service (dataplane.md §3.1). The flat ring array costs
 * KEEL_MAX_SERVICES * KEEL_RING_SIZE * 4 bytes = 16 MiB. */
#define KEEL_RING_SIZE 16381u
#define KEEL_CONN_ENTRIES 65536u    /* keel_conns default; the loader may resize */
#define KEEL_PERSIST_ENTRIES 16384u /* keel_persist default; the loader may resize */
#define KEEL_NAT_ENTRIES 65536u     /* keel_nat_rev default; the loader may resize */
#define KEEL_IPV6_EXT_MAX 4         /* IPv6 extension headers walked before PASS_IPV6_EXT */
#define KEEL_GUE_PORT_DEFAULT 6080  /* host order; GUE variant 1 (IP directly after UDP) */
#define KEEL_HASH_SEED 0x6b65656cu  /* "keel": every director hashes flows alike */

/* ---- map names (BPF object names, <= 15 chars) ---------------------------------------------- */

#define KEEL_MAP_SERVICES "keel_services"     /* HASH  keel_service_key -> keel_service */
#define KEEL_MAP_REALS "keel_reals"           /* ARRAY __u32 index -> keel_real */
#define KEEL_MAP_RING "keel_ring"             /* ARRAY __u32 id*RING+slot -> __u32 real index */
#define KEEL_MAP_CONNS "keel_conns"           /* LRU_HASH keel_flow -> keel_conn */
#define KEEL_MAP_PERSIST "keel_persist"       /* LRU_HASH keel_persist_key -> keel_conn */
#define KEEL_MAP_NAT_REV "keel_nat_rev"       /* LRU_HASH keel_flow (reply) -> keel_nat_rev */
#define KEEL_MAP_SVC_STATS "keel_svc_stats"   /* PERCPU_ARRAY service id -> keel_stats */
#define KEEL_MAP_REAL_STATS "keel_real_stats" /* PERCPU_ARRAY real index -> keel_stats */
#define KEEL_MAP_COUNTERS "keel_counters"     /* PERCPU_ARRAY enum keel_counter -> __u64 */
#define KEEL_MAP_CONFIG "keel_config"         /* ARRAY [0] -> keel_config */
#define KEEL_MAP_IF_MACS "keel_if_macs"       /* ARRAY __u32 ifindex -> keel_if_mac */

/* ---- enums ---------------------------------------------------------------------------------- */

#define KEEL_FAMILY_NONE 0 /* an empty keel_reals slot */
#define KEEL_FAMILY_V4 4
#define KEEL_FAMILY_V6 6

#define KEEL_PROTO_TCP 6
#define KEEL_PROTO_UDP 17

enum keel_forwarding {
  KEEL_FWD_DR = 1,       /* MAC rewrite; real port == VIP port */
  KEEL_FWD_NAT = 2,      /* DNAT (address and port) + reverse SNAT of replies */
  KEEL_FWD_TUN_IPIP = 3, /* IPIP / IPv6-in-IPv6 (and 4-in-6, 6-in-4) to the real's address */
  KEEL_FWD_TUN_GUE = 4,  /* outer IP + UDP to keel_config.gue_port + the inner IP packet */
};

/* keel_service.flags */
#define KEEL_SVC_F_PERSIST (1u << 0)  /* persistence templates (persistence_timeout > 0) */
#define KEEL_SVC_F_HASH_SRC (1u << 1) /* hash the client address only (sh/mh without -port) */
#define KEEL_SVC_F_NO_CONN (1u << 2)  /* one-packet scheduling (ops): no keel_conns entry */

/* keel_real.flags */
#define KEEL_REAL_F_QUIESCED (1u << 0) /* weight 0: informational; such reals are not in a ring */

/* keel_config.flags */
#define KEEL_CFG_F_NAT (1u << 0) /* some service uses NAT: look up keel_nat_rev for replies */

/* Named counters, one per-CPU __u64 each in keel_counters. DROP_* count XDP_DROP verdicts,
 * PASS_* count packets handed to the kernel because the program will not classify them, EV_*
 * count events on forwarded packets. X(enumerator suffix, name shown to users). The order is
 * part of the ABI: every DROP_* precedes KEEL_PASS_VLAN, every PASS_* precedes the EV_*. */
#define KEEL_COUNTERS(X)                                                                  \
  X(DROP_MALFORMED_ETH, "drop_malformed_eth")   /* frame shorter than Ethernet */         \
  X(DROP_MALFORMED_IPV4, "drop_malformed_ipv4") /* truncated, IHL < 5, bad length */      \
  X(DROP_MALFORMED_IPV6, "drop_malformed_ipv6") /* truncated, jumbo, bad length */        \
  X(DROP_MALFORMED_L4, "drop_malformed_l4")     /* truncated TCP/UDP, doff < 5 */         \
  X(DROP_MALFORMED_ICMP, "drop_malformed_icmp") /* error quoting a truncated flow */      \
  X(DROP_NO_REAL, "drop_no_real")               /* ring slot 0: no real with weight */    \
  X(DROP_BAD_REAL, "drop_bad_real")             /* ring names an empty keel_reals slot */ \
  X(DROP_FAMILY, "drop_family")                 /* NAT real of another family */          \
  X(DROP_TOO_BIG, "drop_too_big")               /* encapsulated size > tun_mtu */         \
  X(DROP_NO_TUN_SRC, "drop_no_tun_src")         /* TUN with no director address */        \
  X(DROP_ADJUST, "drop_adjust")                 /* bpf_xdp_adjust_head/tail failed */     \
  X(PASS_VLAN, "pass_vlan")                     /* 802.1Q/802.1ad tagged frame */         \
  X(PASS_FRAGMENT, "pass_fragment")             /* IPv4 or IPv6 fragment */               \
  X(PASS_IPV6_EXT, "pass_ipv6_ext")             /* ext chain too long, ESP, unknown */    \
  X(PASS_ICMP, "pass_icmp")                     /* VIP ICMP error not forwarded (NAT) */  \
  X(PASS_OTHER_HOST, "pass_other_host")         /* VIP frame for another host's MAC */    \
  X(EV_IPV4_OPTIONS, "ipv4_options")            /* forwarded with IPv4 options */         \
  X(EV_NEW_SYN, "new_syn")                      /* scheduled: SYN or first UDP */         \
  X(EV_NEW_MIDFLOW, "new_midflow")              /* scheduled: non-SYN with no entry */    \
  X(EV_CONN_STALE, "conn_stale")                /* entry named a removed real/expired */  \
  X(EV_PERSIST_HIT, "persist_hit")              /* template chose the real */             \
  X(EV_ICMP_FORWARDED, "icmp_forwarded")        /* ICMP error sent to the flow's real */  \
  X(EV_NAT_REPLY, "nat_reply")                  /* reply SNATed back to the VIP */        \
  X(EV_RST_NO_STATE, "rst_no_state")            /* RST for an unknown flow: no entry */

#define KEEL_COUNTER_ENUM_(id, name) KEEL_##id,
enum keel_counter { KEEL_COUNTERS(KEEL_COUNTER_ENUM_) KEEL_COUNTER_MAX };
#undef KEEL_COUNTER_ENUM_
/* Userspace builds its name table with
 *   #define NAME_(id, name) name,
 *   const char* const names[] = {KEEL_COUNTERS(NAME_)};
 * so that names[KEEL_x] is the name of KEEL_x. */

/* ---- keys and values ------------------------------------------------------------------------ */

struct keel_service_key {
  __u8 addr[16];
  __be16 port; /* 0: a port-0 (all ports) service, looked up after the exact port */
  __u8 proto;  /* KEEL_PROTO_TCP or KEEL_PROTO_UDP */
  __u8 family; /* KEEL_FAMILY_V4 or KEEL_FAMILY_V6 */
};
KEEL_ABI_LAYOUT(keel_service_key, 20);
KEEL_ABI_FIELD(keel_service_key, port, 16);
KEEL_ABI_FIELD(keel_service_key, proto, 18);
KEEL_ABI_FIELD(keel_service_key, family, 19);

struct keel_service {
  __u32 id;                /* < KEEL_MAX_SERVICES: ring base and stats index */
  __u32 flags;             /* KEEL_SVC_F_* */
  __u32 persist_timeout_s; /* with KEEL_SVC_F_PERSIST */
  __u8 persist_prefix;     /* client prefix length; 0 means the full address */
  __u8 pad[3];             /* zero */
};
KEEL_ABI_LAYOUT(keel_service, 16);
KEEL_ABI_FIELD(keel_service, flags, 4);
KEEL_ABI_FIELD(keel_service, persist_timeout_s, 8);
KEEL_ABI_FIELD(keel_service, persist_prefix, 12);

struct keel_real {
  __u8 addr[16];   /* the real's address (NAT destination, tunnel outer destination) */
  __u8 dst_mac[6]; /* next hop's MAC: the real's own on-link, else the gateway's */
  __u8 src_mac[6]; /* our MAC on ifindex */
  __u32 ifindex;   /* egress: XDP_TX when it is the ingress interface, else bpf_redirect */
  __be16 port;     /* NAT: the real's port; 0 keeps the VIP port. DR/TUN: unused */
  __u8 family;     /* KEEL_FAMILY_*; KEEL_FAMILY_NONE marks an empty slot */
  __u8 forwarding; /* enum keel_forwarding */
  __u32 flags;     /* KEEL_REAL_F_* */
};
KEEL_ABI_LAYOUT(keel_real, 40);
KEEL_ABI_FIELD(keel_real, dst_mac, 16);
KEEL_ABI_FIELD(keel_real, src_mac, 22);
KEEL_ABI_FIELD(keel_real, ifindex, 28);
KEEL_ABI_FIELD(keel_real, port, 32);
KEEL_ABI_FIELD(keel_real, family, 34);
KEEL_ABI_FIELD(keel_real, forwarding, 35);
KEEL_ABI_FIELD(keel_real, flags, 36);

/* A flow as it arrives: client -> VIP for keel_conns; real -> client (the reply after DNAT) for
 * keel_nat_rev. pad is zero. */
struct keel_flow {
  __u8 src[16];
  __u8 dst[16];
  __be16 sport;
  __be16 dport;
  __u8 proto;
  __u8 family;
  __u8 pad[2];
};
KEEL_ABI_LAYOUT(keel_flow, 40);
KEEL_ABI_FIELD(keel_flow, sport, 32);
KEEL_ABI_FIELD(keel_flow, dport, 34);
KEEL_ABI_FIELD(keel_flow, proto, 36);
KEEL_ABI_FIELD(keel_flow, family, 37);

/* keel_conns and keel_persist values. atime is bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last
 * use. A zero atime reads as "no entry" (a per-CPU value never written on this CPU). */
struct keel_conn {
  __u64 atime_ns;
  __u32 real; /* keel_reals index */
  __u32 pad;
};
KEEL_ABI_LAYOUT(keel_conn, 16);
KEEL_ABI_FIELD(keel_conn, real, 8);

/* Persistence template: the client masked to keel_service.persist_prefix, per service. */
struct keel_persist_key {
  __u8 client[16];
  __u32 service_id;
  __u8 family;
  __u8 pad[3];
};
KEEL_ABI_LAYOUT(keel_persist_key, 24);
KEEL_ABI_FIELD(keel_persist_key, service_id, 16);
KEEL_ABI_FIELD(keel_persist_key, family, 20);

/* Written by the program on a NAT forward; the reply real:rport -> client:cport is rewritten to
 * come from vip:vport. */
struct keel_nat_rev {
  __u8 vip[16];
  __be16 vport;
  __u8 family;
  __u8 pad;
  __u32 service_id;
  __u64 atime_ns;
};
KEEL_ABI_LAYOUT(keel_nat_rev, 32);
KEEL_ABI_FIELD(keel_nat_rev, vport, 16);
KEEL_ABI_FIELD(keel_nat_rev, service_id, 20);
KEEL_ABI_FIELD(keel_nat_rev, atime_ns, 24);

/* An attached interface's own MAC (keel_if_macs). */
struct keel_if_mac {
  __u8 mac[6];
  __u8 valid; /* 1: filter on `mac`; 0 (an unwritten slot): take every frame as ours */
  __u8 pad;   /* zero */
};
KEEL_ABI_LAYOUT(keel_if_mac, 8);

/* Per service and per real, per CPU (sum over CPUs in userspace). "in" is client -> real, "out"
 * is real -> client (NAT replies only: DR and TUN replies bypass the director). Bytes count the
 * L3 packet as received. conns counts newly scheduled flows. */
struct keel_stats {
  __u64 conns;
  __u64 in_packets;
  __u64 in_bytes;
  __u64 out_packets;
  __u64 out_bytes;
};
KEEL_ABI_LAYOUT(keel_stats, 40);
KEEL_ABI_FIELD(keel_stats, in_packets, 8);
KEEL_ABI_FIELD(keel_stats, out_bytes, 32);

struct keel_config {
  __u64 udp_timeout_ns; /* a UDP keel_conns entry idle longer is scheduled again; 0: never */
  __u32 flags;          /* KEEL_CFG_F_* */
  __be16 gue_port;      /* GUE destination port */
  __u16 tun_mtu;        /* largest encapsulated L3 packet; 0: 1500 */
  __u8 tun_src_v4[4];   /* outer source of IPv4 tunnels; 0.0.0.0: unset */
  __u8 tun_src_v6[16];  /* outer source of IPv6 tunnels; ::: unset */
  __u8 pad[4];
};
KEEL_ABI_LAYOUT(keel_config, 40);
KEEL_ABI_FIELD(keel_config, flags, 8);
KEEL_ABI_FIELD(keel_config, gue_port, 12);
KEEL_ABI_FIELD(keel_config, tun_mtu, 14);
KEEL_ABI_FIELD(keel_config, tun_src_v4, 16);
KEEL_ABI_FIELD(keel_config, tun_src_v6, 20);

/* ---- the flow hash (the same code in the program and in userspace) -------------------------- */

/* MurmurHash3's 32-bit block step and finaliser (Appleby, public domain algorithm) over the
 * words of a flow. Userspace uses it to predict a flow's ring slot. */
static inline __u32 keel_rotl32(__u32 x, int r) { return (x << r) | (x >> (32 - r)); }

static inline __u32 keel_hash_word(__u32 h, __u32 w) {
  w *= 0xcc9e2d51u;
  w = keel_rotl32(w, 15);
  w *= 0x1b873593u;
  h ^= w;
  h = keel_rotl32(h, 13);
  return h * 5u + 0xe6546b64u;
}

static inline __u32 keel_hash_final(__u32 h, __u32 len) {
  h ^= len;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* src: the client address as 4 native-endian words (words 1..3 zero for IPv4), read with
 * memcpy from the 16 address bytes; ports: (sport << 16 | dport) of the network-order values
 * as loaded, 0 when the service hashes the client address only. */
static inline __u32 keel_flow_hash(const __u32 src[4], __u32 ports) {
  __u32 h = KEEL_HASH_SEED;
  h = keel_hash_word(h, src[0]);
  h = keel_hash_word(h, src[1]);
  h = keel_hash_word(h, src[2]);
  h = keel_hash_word(h, src[3]);
  h = keel_hash_word(h, ports);
  return keel_hash_final(h, 20);
}

#endif /* KEEL_DATAPLANE_XDP_BPF_KEEL_ABI_H */
