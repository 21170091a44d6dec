// A Probe that a test answers by hand, and a loop on a FakeClock, for the check tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "check/probe.h"
#include "event/loop.h"

namespace keel::check::testing {

// Shared between the test and the probe the code under test owns, so the test can answer an
// attempt and see cancellations after the probe is gone.
struct FakeProbeLog {
  std::vector<base::TimePoint> deadlines;  // one per start()
  Probe::Done pending;
  int cancels = 0;
  bool destroyed = false;

  bool running() const { return static_cast<bool>(pending); }
  // Answers the running attempt. REQUIRES: running().
  void answer(bool ok, std::string reason = "", std::optional<int> weight = std::nullopt) {
    ASSERT_TRUE(running());
    Probe::Done done = std::move(pending);
    pending = nullptr;
    done(ProbeResult{ok, std::move(reason), weight});
  }
  // Answers as a probe that found no descriptor for its socket. REQUIRES: running().
  void answerNoDescriptor() {
    ASSERT_TRUE(running());
    Probe::Done done = std::move(pending);
    pending = nullptr;
    done(ProbeResult{.reason = "Too many open files", .no_descriptor = true});
  }
};

class FakeProbe final : public Probe {
 public:
  explicit FakeProbe(std::shared_ptr<FakeProbeLog> log) : log_(std::move(log)) {}
  ~FakeProbe() override { log_->destroyed = true; }
  void start(base::TimePoint deadline, Done done) override {
    EXPECT_FALSE(log_->running()) << "start() while an attempt runs";
    log_->deadlines.push_back(deadline);
    log_->pending = std::move(done);
  }
  void cancel() override {
    ++log_->cancels;
    log_->pending = nullptr;
  }

 private:
  std::shared_ptr<FakeProbeLog> log_;
};

class FakeLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = event::Loop::create(clock_);
    ASSERT_TRUE(loop) << loop.error().str();
    loop_ = std::move(*loop);
  }
  base::FakeClock clock_;
  std::unique_ptr<event::Loop> loop_;
};

}  // namespace keel::check::testing
