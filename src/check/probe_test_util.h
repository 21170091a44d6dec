// Helpers for probe tests: a real loop on the steady clock and a bounded wait for one result.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <gtest/gtest.h>

#include "check/probe.h"
#include "event/loop.h"

namespace keel::check::testing {

class ProbeLoop {
 public:
  ProbeLoop() {
    auto loop = event::Loop::create(clock_);
    EXPECT_TRUE(loop) << loop.error().str();
    if (loop) loop_ = std::move(*loop);
  }
  event::Loop& loop() { return *loop_; }
  base::SteadyClock& clock() { return clock_; }

  // Starts `probe` with a deadline `budget` from now and runs the loop until it reports, or for
  // a generous limit that only keeps a broken test from hanging. Sets `elapsed`.
  std::optional<ProbeResult> run(Probe& probe, base::Duration budget) {
    std::optional<ProbeResult> result;
    const base::TimePoint begin = clock_.now();
    bool inside_start = true;
    probe.start(begin + budget, [&](ProbeResult r) {
      EXPECT_FALSE(inside_start) << "reported from inside start()";
      EXPECT_FALSE(result) << "reported twice";
      result = std::move(r);
    });
    inside_start = false;
    const base::TimePoint limit = begin + budget + std::chrono::seconds(20);
    while (!result && clock_.now() < limit) {
      EXPECT_TRUE(loop_->runOnce(std::chrono::milliseconds(50)));
    }
    elapsed = clock_.now() - begin;
    return result;
  }
  // Runs the loop for `d` (to let late events show up).
  void spin(base::Duration d) {
    const base::TimePoint until = clock_.now() + d;
    while (clock_.now() < until) EXPECT_TRUE(loop_->runOnce(std::chrono::milliseconds(20)));
  }

  base::Duration elapsed{};

 private:
  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
};

// Slack for timing bounds on a loaded machine.
inline constexpr std::chrono::milliseconds kSlack{1500};

}  // namespace keel::check::testing
