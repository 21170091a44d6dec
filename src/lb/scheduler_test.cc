// makeScheduler() and schedulerNames(): accepted names and flags, the exact error texts, and
// rules every scheduler shares (nothing available -> nullopt; never an unavailable server).
#include "lb/scheduler.h"

#include <gtest/gtest.h>

#include "lb/sched_test_util.h"

namespace keel::lb {
namespace {

using testing::dest;
using testing::flow;

std::string errorOf(std::string_view name, std::vector<std::string> flags = {}) {
  auto s = makeScheduler(name, flags);
  if (s) return "(no error)";
  EXPECT_EQ(s.error().code, base::ErrorCode::InvalidArgument);
  return s.error().message;
}

TEST(MakeSchedulerTest, NamesInOrderAndEachMakesItself) {
  std::vector<std::string> names;
  for (std::string_view n : schedulerNames()) names.emplace_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"rr", "wrr", "lc", "wlc", "sed", "nq", "lblc", "lblcr",
                                             "dh", "sh", "mh", "fo", "ovf", "twos"}));
  for (std::string_view n : schedulerNames()) {
    auto s = makeScheduler(n);
    ASSERT_TRUE(s.has_value()) << n;
    EXPECT_EQ((*s)->name(), n);
  }
}

TEST(MakeSchedulerTest, UnknownName) {
  EXPECT_EQ(errorOf("rrr"),
            "unknown scheduler 'rrr'; accepted: rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, "
            "mh, fo, ovf, twos");
  EXPECT_EQ(errorOf(""),
            "unknown scheduler ''; accepted: rr, wrr, lc, wlc, sed, nq, lblc, lblcr, dh, sh, mh, "
            "fo, ovf, twos");
  EXPECT_EQ(errorOf("WLC").substr(0, 23), "unknown scheduler 'WLC'");
}

TEST(MakeSchedulerTest, FlagsOnlyWhereTheyBelong) {
  EXPECT_EQ(errorOf("rr", {"sh-port"}),
            "scheduler 'rr' takes no flags; got 'sh-port' (flags exist for sh and mh only)");
  EXPECT_EQ(errorOf("wlc", {"flag-1"}),
            "scheduler 'wlc' takes no flags; got 'flag-1' (flags exist for sh and mh only)");
  EXPECT_EQ(errorOf("sh", {"mh-port"}),
            "scheduler flag 'mh-port' is not valid for 'sh'; accepted: sh-port, sh-fallback, "
            "flag-1, flag-2");
  EXPECT_EQ(errorOf("mh", {"mh-fallback", "flag-3"}),
            "scheduler flag 'flag-3' is not valid for 'mh'; accepted: mh-port, mh-fallback, "
            "flag-1, flag-2");
  for (const char* f : {"sh-port", "sh-fallback", "flag-1", "flag-2"}) {
    EXPECT_TRUE(makeScheduler("sh", std::vector<std::string>{f}).has_value()) << f;
  }
  for (const char* f : {"mh-port", "mh-fallback", "flag-1", "flag-2"}) {
    EXPECT_TRUE(makeScheduler("mh", std::vector<std::string>{f}).has_value()) << f;
  }
  EXPECT_TRUE(makeScheduler("sh", std::vector<std::string>{"sh-port", "sh-fallback"}));
}

// Every scheduler, with and without the hash fallbacks.
std::vector<std::unique_ptr<Scheduler>> everyScheduler() {
  std::vector<std::unique_ptr<Scheduler>> out;
  for (std::string_view n : schedulerNames()) out.push_back(testing::make(n));
  out.push_back(testing::make("sh", {"sh-fallback", "sh-port"}));
  out.push_back(testing::make("mh", {"mh-fallback", "mh-port"}));
  return out;
}

TEST(EverySchedulerTest, NothingAvailableMeansNullopt) {
  const std::vector<std::vector<Dest>> cases = {
      {},
      {dest(1, 0), dest(2, 0)},
      {dest(1, 3, 0, 0, true), dest(2, 1, 0, 0, true)},
      {dest(1, 0), dest(2, 5, 0, 0, true)},
  };
  for (auto& s : everyScheduler()) {
    for (const auto& d : cases) {
      s->update(d);
      PickContext ctx;
      ctx.random = 0x0123'4567'89ab'cdefull;
      for (const char* c : {"10.0.0.1", "10.9.8.7", "2001:db8::5"}) {
        EXPECT_EQ(s->pick(d, flow(c), ctx), std::nullopt) << s->name() << " " << d.size();
      }
      EXPECT_FALSE(s->explain(d, flow("10.0.0.1")).empty());
    }
  }
}

TEST(EverySchedulerTest, OnlyTheAvailableServerIsPicked) {
  // One available server among quiesced and overloaded ones; the hash schedulers without
  // fallback may find nobody, the others must find it.
  std::vector<Dest> d = {dest(1, 0), dest(2, 4, 0, 0, true), dest(3, 2), dest(4, 0)};
  for (auto& s : everyScheduler()) {
    s->update(d);
    const bool may_miss = s->name() == "dh" || s->name() == "sh" || s->name() == "mh";
    int found = 0;
    for (int i = 0; i < 64; ++i) {
      PickContext ctx;
      ctx.random = 0x9e37'79b9'7f4a'7c15ull * static_cast<std::uint64_t>(i + 1);
      ctx.now = std::chrono::seconds(i);
      auto p = s->pick(d, flow(testing::ip("10.0.0." + std::to_string(i + 1)).str(), 1), ctx);
      if (p) {
        EXPECT_EQ(*p, 2u) << s->name();
        ++found;
      }
    }
    if (!may_miss) {
      EXPECT_EQ(found, 64) << s->name();
    }
  }
}

}  // namespace
}  // namespace keel::lb
