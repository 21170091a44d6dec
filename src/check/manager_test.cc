#include "check/manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/log.h"
#include "check/fake_probe_test_util.h"

namespace keel::check {
namespace {

using std::chrono::seconds;
using testing::FakeProbe;
using testing::FakeProbeLog;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

model::VirtualServerId vsId() {
  return model::VirtualServerId::ofAddress(*base::IpAddress::parse("10.0.0.1"), 80,
                                           base::IpProtocol::Tcp);
}

model::Checker tcp(int retry = 0, bool alpha = false) {
  model::Checker c;
  c.kind = model::TcpCheck{};
  c.timing.connect_timeout = seconds(2);
  c.timing.retry = retry;
  c.timing.delay_before_retry = seconds(1);
  c.timing.delay_loop = seconds(5);
  c.timing.warmup = seconds(0);
  c.timing.alpha = alpha;
  return c;
}

model::RealServer real(const char* addr, std::vector<model::Checker> checkers) {
  model::RealServer rs;
  rs.address = ip(addr);
  rs.port = 80;
  rs.weight = 3;
  rs.checkers = std::move(checkers);
  return rs;
}

std::shared_ptr<const model::Config> config(std::vector<model::RealServer> reals,
                                            bool ha_suspend = false) {
  auto c = std::make_shared<model::Config>();
  model::VirtualServer vs;
  vs.key = model::VsAddress{ip("10.0.0.1"), 80};
  vs.ha_suspend = ha_suspend;
  vs.real_servers = std::move(reals);
  c->virtual_servers.push_back(std::move(vs));
  return c;
}

model::RealServerId id(const char* addr) { return {vsId(), ip(addr), 80}; }

class CheckManagerTest : public testing::FakeLoopTest {
 protected:
  void TearDown() override { base::Logger::instance().setSinks({}); }

  std::unique_ptr<CheckManager> make(std::shared_ptr<const model::Config> c) {
    return std::make_unique<CheckManager>(
        *loop_, std::move(c),
        [this](event::Loop&, const model::Checker& checker,
               const ProbeTarget& target) -> base::Result<std::unique_ptr<Probe>> {
          if (!std::holds_alternative<model::TcpCheck>(checker.kind)) {
            return base::makeError(base::ErrorCode::Unsupported, "not here");
          }
          probes_.push_back(std::make_shared<FakeProbeLog>());
          targets_.push_back(target);
          return std::unique_ptr<Probe>(std::make_unique<FakeProbe>(probes_.back()));
        },
        [this](const model::HealthEvent& e) { events_.push_back(e); }, [] { return 0.0; });
  }

  // Captures log lines from here on.
  base::MemorySink* captureLog() {
    auto sink = std::make_unique<base::MemorySink>();
    base::MemorySink* raw = sink.get();
    std::vector<std::unique_ptr<base::LogSink>> sinks;
    sinks.push_back(std::move(sink));
    base::Logger::instance().setSinks(std::move(sinks));
    return raw;
  }

  std::vector<std::shared_ptr<FakeProbeLog>> probes_;
  std::vector<ProbeTarget> targets_;
  std::vector<model::HealthEvent> events_;
};

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

TEST_F(CheckManagerTest, ARealServerFollowsItsChecker) {
  base::MemorySink* log = captureLog();
  auto m = make(config({real("10.0.0.2", {tcp(2)})}));
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(true));
  ASSERT_EQ(probes_.size(), 1u);
  EXPECT_EQ(targets_[0].endpoint.str(), "10.0.0.2:80");
  EXPECT_TRUE(contains(log->messages(),
                       "Activating healthchecker for service [10.0.0.2]:tcp:80 for VS "
                       "[10.0.0.1]:tcp:80"));
  clock_.advance(seconds(1));
  probes_[0]->answer(false, "Connection refused");  // at start one failure is enough
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].real, id("10.0.0.2"));
  EXPECT_FALSE(events_[0].up);
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(false));
  EXPECT_TRUE(contains(log->messages(), "TCP_CHECK on service [10.0.0.2]:tcp:80 failed."));
  clock_.advance(seconds(5));
  probes_[0]->answer(true);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_TRUE(events_[1].up);
  EXPECT_TRUE(contains(log->messages(), "TCP connection to [10.0.0.2]:tcp:80 success."));
  // Two failures are retried silently; the third brings it down.
  for (int i = 0; i < 3; ++i) {
    clock_.advance(i == 0 ? seconds(5) : seconds(1));
    probes_[0]->answer(false, "timeout");
    EXPECT_EQ(events_.size(), i < 2 ? 2u : 3u) << "failure " << i + 1;
  }
  EXPECT_FALSE(events_[2].up);
  EXPECT_TRUE(
      contains(log->messages(), "TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 2 retries."));
}

TEST_F(CheckManagerTest, AliveOnlyWhenEveryCheckerIsUp) {
  auto m = make(config({real("10.0.0.2", {tcp(), tcp()})}));
  ASSERT_EQ(probes_.size(), 2u);
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  ASSERT_EQ(events_.size(), 1u);
  probes_[1]->answer(false);
  EXPECT_EQ(events_.size(), 1u) << "already dead";
  clock_.advance(seconds(5));
  probes_[0]->answer(true);
  EXPECT_EQ(events_.size(), 1u) << "the second checker is still DOWN";
  probes_[1]->answer(true);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_TRUE(events_[1].up);
}

TEST_F(CheckManagerTest, AlphaStartsDeadUntilASuccess) {
  auto m = make(config({real("10.0.0.2", {tcp(1, true)})}));
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(false));
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  EXPECT_TRUE(events_.empty());
  clock_.advance(seconds(5));
  probes_[0]->answer(true);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].up);
}

TEST_F(CheckManagerTest, NoCheckersOrUnsupportedCheckersMeanAlways) {
  model::Checker http;
  http.kind = model::HttpCheck{};
  base::MemorySink* log = captureLog();
  auto m = make(config({real("10.0.0.2", {}), real("10.0.0.3", {http})}));
  EXPECT_TRUE(probes_.empty());
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(true));
  EXPECT_EQ(m->alive(id("10.0.0.3")), std::optional<bool>(true));
  EXPECT_TRUE(contains(log->messages(), "HTTP_GET for service [10.0.0.3]:tcp:80"));
  const auto status = m->status();
  ASSERT_EQ(status.size(), 2u);
  ASSERT_EQ(status[1].checkers.size(), 1u);
  EXPECT_FALSE(status[1].checkers[0].supported);
  EXPECT_EQ(m->alive(id("10.0.0.9")), std::nullopt);
}

TEST_F(CheckManagerTest, DynamicWeightIsReported) {
  auto m = make(config({real("10.0.0.2", {tcp()})}));
  clock_.advance(seconds(1));
  probes_[0]->answer(true, "", 7);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].up);
  EXPECT_EQ(events_[0].weight, std::optional<int>(7));
  EXPECT_EQ(m->weight(id("10.0.0.2")), std::optional<int>(7));
  clock_.advance(seconds(5));
  probes_[0]->answer(true, "", 7);
  EXPECT_EQ(events_.size(), 1u) << "same weight: no event";
}

TEST_F(CheckManagerTest, ReloadKeepsMatchedCheckersAndRestartsChangedOnes) {
  auto m = make(config({real("10.0.0.2", {tcp()}), real("10.0.0.3", {tcp()})}));
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  probes_[1]->answer(false);
  ASSERT_EQ(events_.size(), 2u);

  model::Checker changed = tcp();
  changed.timing.connect_timeout = seconds(3);
  m->reload(
      config({real("10.0.0.2", {tcp()}), real("10.0.0.3", {changed}), real("10.0.0.4", {tcp()})}));
  EXPECT_EQ(probes_.size(), 4u) << "one restarted, one new, one kept";
  EXPECT_FALSE(probes_[0]->destroyed) << "10.0.0.2 kept its checker";
  EXPECT_TRUE(probes_[1]->destroyed) << "10.0.0.3's checker changed";
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(false)) << "state kept";
  EXPECT_EQ(m->alive(id("10.0.0.3")), std::optional<bool>(true)) << "restarted as at boot";
  ASSERT_EQ(events_.size(), 3u) << "10.0.0.3 became alive by the reload";
  EXPECT_EQ(events_[2].real, id("10.0.0.3"));
  EXPECT_TRUE(events_[2].up);

  m->reload(config({real("10.0.0.3", {changed})}));
  EXPECT_TRUE(probes_[0]->destroyed) << "removed real server";
  EXPECT_FALSE(probes_[2]->destroyed);
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::nullopt);
  EXPECT_EQ(events_.size(), 3u);
  // The kept checker still runs and still reports to its real server.
  clock_.advance(seconds(5));
  ASSERT_TRUE(probes_[2]->running());
  probes_[2]->answer(false);
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[3].real, id("10.0.0.3"));
}

TEST_F(CheckManagerTest, HaSuspendRunsCheckersOnlyWhileTheAddressIsPresent) {
  auto m = make(config({real("10.0.0.2", {tcp()})}, true));
  clock_.advance(seconds(30));
  EXPECT_TRUE(probes_[0]->deadlines.empty());
  EXPECT_TRUE(m->status()[0].checkers[0].paused);
  m->setAddressPresent(ip("10.0.0.9"), true);
  clock_.advance(seconds(5));
  EXPECT_TRUE(probes_[0]->deadlines.empty()) << "another address";
  m->setAddressPresent(ip("10.0.0.1"), true);
  clock_.advance(seconds(5));
  ASSERT_EQ(probes_[0]->deadlines.size(), 1u);
  m->setAddressPresent(ip("10.0.0.1"), false);
  EXPECT_FALSE(probes_[0]->running());
  clock_.advance(seconds(30));
  EXPECT_EQ(probes_[0]->deadlines.size(), 1u);
}

// FILE_CHECK: no probe; the manager follows the track file (read once a second).
class FileCheckTest : public CheckManagerTest {
 protected:
  void SetUp() override {
    CheckManagerTest::SetUp();
    char tmpl[] = "/tmp/keel-file-check-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    CheckManagerTest::TearDown();
  }
  std::string path() const { return dir_ + "/value"; }
  void write(const std::string& text) const { std::ofstream(path(), std::ios::trunc) << text; }

  // One real server 10.0.0.2 (weight 3) with a FILE_CHECK on track_file F.
  std::shared_ptr<const model::Config> fileConfig(int file_weight, std::optional<int> check_weight,
                                                  bool reverse = false) const {
    model::Checker c;
    c.kind = model::FileCheck{"F", check_weight, reverse};
    auto cfg = std::const_pointer_cast<model::Config>(config({real("10.0.0.2", {c})}));
    model::TrackFile tf;
    tf.name = "F";
    tf.file = path();
    tf.weight = file_weight;
    cfg->track_files.push_back(tf);
    return cfg;
  }
  void tick() { clock_.advance(event::TrackFileWatcher::kInterval); }

  std::string dir_;
};

TEST_F(FileCheckTest, WeightZeroTakesTheRealOutOnANonZeroValueAndBack) {
  write("0\n");
  auto m = make(fileConfig(1, 0));
  EXPECT_TRUE(probes_.empty());
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(true));
  EXPECT_EQ(m->weight(id("10.0.0.2")), std::nullopt);
  write("1\n");
  tick();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_FALSE(events_[0].up);
  EXPECT_EQ(m->status()[0].checkers[0].kind, "FILE_CHECK");
  EXPECT_FALSE(m->status()[0].checkers[0].up);
  std::filesystem::remove(path());  // a missing file counts as 0
  tick();
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_TRUE(events_[1].up);
}

TEST_F(FileCheckTest, StartsDownWhenTheFileSaysSo) {
  write("5");
  auto m = make(fileConfig(0, std::nullopt));  // the track file's weight 0
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(false));
}

TEST_F(FileCheckTest, AWeightAddsValueTimesWeightToTheRealsWeight) {
  write("2");
  auto m = make(fileConfig(0, 4));  // the checker's weight wins over the file's
  EXPECT_EQ(m->weight(id("10.0.0.2")), std::optional<int>(3 + 8));
  write("-1");
  tick();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].up);
  EXPECT_EQ(events_[0].weight, std::optional<int>(0)) << "3 - 4 is held at 0, still up";
  write("-2147483648");  // value * weight at or below INT_MIN: down
  tick();
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_FALSE(events_[1].up);
}

TEST_F(FileCheckTest, ReverseAndTheTrackFilesOwnWeight) {
  write("2");
  auto m = make(fileConfig(1, std::nullopt, /*reverse on the checker, ignored*/ true));
  EXPECT_EQ(m->weight(id("10.0.0.2")), std::optional<int>(5)) << "the file's weight 1, no reverse";
  m->reload(fileConfig(1, 1, true));
  EXPECT_EQ(m->weight(id("10.0.0.2")), std::optional<int>(1));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].weight, std::optional<int>(1));
}

TEST_F(FileCheckTest, InitFileCreatesTheFileOnce) {
  auto cfg = std::const_pointer_cast<model::Config>(fileConfig(0, std::nullopt));
  cfg->track_files[0].init_file = 1;
  auto m = make(cfg);
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(false)) << "the file now holds 1";
  write("0");
  m->reload(cfg);  // the same track_file: not initialised again
  tick();
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(true));
}

// BFD_CHECK: no probe; the session's state as keeld reports it.
TEST_F(CheckManagerTest, BfdCheckFollowsTheSession) {
  model::Checker bfd;
  bfd.kind = model::BfdCheck{"b1"};
  model::Checker alpha = bfd;
  alpha.timing.alpha = true;
  base::MemorySink* log = captureLog();
  auto m = make(config({real("10.0.0.2", {bfd}), real("10.0.0.3", {alpha, tcp()})}));
  EXPECT_TRUE(probes_.size() == 1u) << "only the TCP_CHECK has a probe";
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(true)) << "no report yet";
  EXPECT_EQ(m->alive(id("10.0.0.3")), std::optional<bool>(false)) << "alpha";
  m->setBfdState("b1", false);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].real, id("10.0.0.2"));
  EXPECT_FALSE(events_[0].up);
  EXPECT_TRUE(contains(log->messages(), "BFD check of [b1] RS([10.0.0.2]:tcp:80) is DOWN"));
  m->setBfdState("other", true);
  EXPECT_EQ(events_.size(), 1u);
  m->setBfdState("b1", true);
  ASSERT_EQ(events_.size(), 3u) << "both reals up";
  EXPECT_TRUE(events_[1].up && events_[2].up);
  const auto status = m->status();
  EXPECT_EQ(status[0].checkers[0].kind, "BFD_CHECK");
  EXPECT_TRUE(status[0].checkers[0].up);
  EXPECT_TRUE(status[0].checkers[0].has_run);
  m->setBfdState("b1", false);
  // A reload, or a real server added later, starts from the last state reported.
  m->reload(config({real("10.0.0.2", {bfd}), real("10.0.0.4", {bfd})}));
  EXPECT_EQ(m->alive(id("10.0.0.4")), std::optional<bool>(false));
  EXPECT_EQ(m->alive(id("10.0.0.2")), std::optional<bool>(false));
}

}  // namespace
}  // namespace keel::check
