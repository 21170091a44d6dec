/* Internet checksum helpers (RFC 1071) and incremental updates (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')) for the rewrites NAT makes. */
#ifndef KEEL_XDP_CSUM_H
#define KEEL_XDP_CSUM_H

#include <linux/types.h>

#include <bpf/bpf_helpers.h>

static __always_inline __u16 keel_csum_fold(__u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)sum;
}

/* The one's complement sum of `words` 16-bit words, as stored (network order throughout). */
static __always_inline __u32 keel_csum_words(const __u16* p, int words) {
  __u32 sum = 0;
#pragma clang loop unroll(full)
  for (int i = 0; i < 8; i++) {
    if (i < words) sum += p[i];
  }
  return sum;
}

/* Rewrites *check for `words` (<= 8) 16-bit words changing from `from` to `to`. */
static __always_inline void keel_csum_replace(__u16* check, const __u16* from, const __u16* to,
                                              int words) {
  __u32 sum = (__u16) ~*check;
#pragma clang loop unroll(full)
  for (int i = 0; i < 8; i++) {
    if (i < words) sum += (__u16)~from[i] + to[i];
  }
  *check = ~keel_csum_fold(sum);
}

static __always_inline void keel_csum_replace16(__u16* check, __u16 from, __u16 to) {
  keel_csum_replace(check, &from, &to, 1);
}

/* The IPv4 header checksum of a 20-byte header whose check field is zero. */
static __always_inline __u16 keel_ipv4_csum(const void* hdr) {
  return ~keel_csum_fold(keel_csum_words(hdr, 8) + keel_csum_words((const __u16*)hdr + 8, 2));
}

#endif
