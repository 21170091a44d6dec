/* What keel_decap.bpf.c and its loader (src/dataplane/xdp/decap_loader.h) share: the key of the
 * two address maps the loader fills, the map sizes and the counters. C and C++; the layout is
 * pinned by the asserts below. */
#ifndef KEEL_DECAP_ABI_H
#define KEEL_DECAP_ABI_H

#include <linux/types.h>

/* An IPv4 address sits in addr[0..3], the rest zero. */
struct keel_decap_addr {
  __u8 family; /* KEEL_DECAP_V4 or KEEL_DECAP_V6 */
  __u8 pad[3];
  __u8 addr[16];
};

#define KEEL_DECAP_V4 4
#define KEEL_DECAP_V6 6
#define KEEL_DECAP_MAX_DIRECTORS 64 /* outer sources a tunnel may come from */
#define KEEL_DECAP_MAX_LOCALS 256   /* outer destinations: this host's addresses */

/* keel_decap_stats (per CPU) */
enum keel_decap_counter {
  KEEL_DECAP_DONE = 0,         /* decapsulated, passed on as the inner packet */
  KEEL_DECAP_MALFORMED = 1,    /* from a director to us, lengths or inner header wrong: dropped */
  KEEL_DECAP_NOT_DIRECTOR = 2, /* outer source not a configured director: passed untouched */
  KEEL_DECAP_NOT_LOCAL = 3,    /* outer destination not a local address: passed untouched */
  KEEL_DECAP_COUNTERS = 4,
};

#ifdef __cplusplus
static_assert(sizeof(struct keel_decap_addr) == 20, "keel_decap_addr layout");
#else
_Static_assert(sizeof(struct keel_decap_addr) == 20, "keel_decap_addr layout");
#endif

#endif
