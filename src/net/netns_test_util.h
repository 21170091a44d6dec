// For tests of the OS shells in net/: move the test process into a fresh network namespace of
// its own (root only), so it can add addresses and send packets without touching the host.
#pragma once

#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace keel::net {

// GTEST_SKIPs the calling test when not root; the namespace lasts as long as the process.
#define KEEL_REQUIRE_OWN_NETNS()                                                \
  do {                                                                          \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace"; \
    static const bool keel_netns_ok = ::unshare(CLONE_NEWNET) == 0;             \
    ASSERT_TRUE(keel_netns_ok) << "unshare(CLONE_NEWNET) failed";               \
  } while (0)

}  // namespace keel::net
