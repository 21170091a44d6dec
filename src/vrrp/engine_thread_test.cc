// vrrp::EngineThread: the engine on its own thread and loop (real clock), on a FakeNet host;
// what crosses threads (MASTER VIPs posted to the main loop, the published status, reload) and
// the orderly stop with its grace period for notify scripts.
#include "vrrp/engine_thread.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "vrrp/engine_test_util.h"

namespace keel::vrrp {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the harness
using std::chrono::seconds;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An address owner with state MASTER: MASTER at once, no timer to wait for.
model::VrrpInstance owner() {
  model::VrrpInstance vi = instance("VI_1", 255);
  vi.state = model::InitialState::Master;
  return vi;
}

class EngineThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    main_ = std::move(*event::Loop::create(clock_));
    net_.addLink("eth0");
    net_.addHostAddress("eth0", "198.18.0.1/24");
    dir_ = ::testing::TempDir() + "keel-engine-thread-" + std::to_string(::getpid());
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }

  void start(std::shared_ptr<const model::Config> config) {
    EngineThread::Options o;
    o.engine.sockets = &net_;
    o.main = main_.get();
    o.on_masters = [this](std::set<base::IpAddress> m) { masters_ = std::move(m); };
    auto t = EngineThread::start(std::move(config), std::move(o));
    ASSERT_TRUE(t) << t.error().str();
    thread_ = std::move(*t);
  }

  // Runs the main loop until `done`; the deadline only stops a broken test from hanging.
  template <class Pred>
  bool runMainUntil(Pred done) {
    const auto deadline = clock_.now() + seconds(10);
    while (!done() && clock_.now() < deadline) {
      EXPECT_TRUE(main_->runOnce(std::chrono::milliseconds(10)));
    }
    return done();
  }

  model::Script shell(const std::string& command) {
    model::Script s;
    s.argv = {"/bin/sh", "-c", command};
    return s;
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> main_;
  net::FakeNet net_;
  std::unique_ptr<EngineThread> thread_;
  std::set<base::IpAddress> masters_;
  std::string dir_;
};

TEST_F(EngineThreadTest, MasterVipsReachTheMainLoopAndStatusIsPublished) {
  start(configOf({owner()}));
  ASSERT_TRUE(runMainUntil([&] { return !masters_.empty(); }));
  EXPECT_EQ(masters_, (std::set<base::IpAddress>{ip("198.18.0.100")}));
  ASSERT_TRUE(runMainUntil([&] { return thread_->status()->instances[0].state == State::Master; }));
  thread_->reload(configOf({owner(), instance("VI_2", 100, 52)}));
  ASSERT_TRUE(runMainUntil([&] { return thread_->status()->instances.size() == 2; }));
  EXPECT_TRUE(thread_->stop());
  // Stopped: the MASTER released its VIPs, and the main loop heard that no VIP is held.
  ASSERT_TRUE(runMainUntil([&] { return masters_.empty(); }));
  EXPECT_FALSE(net_.hasAddress("eth0", "198.18.0.100"));
  EXPECT_EQ(thread_->status()->instances[0].state, State::Init);
}

TEST_F(EngineThreadTest, StopLetsNotifyStopFinish) {
  model::VrrpInstance vi = owner();
  const std::string marker = dir_ + "/stopped";
  vi.notify.stop = shell("sleep 0.1; echo stopped > " + marker);
  start(configOf({vi}));
  ASSERT_TRUE(runMainUntil([&] { return !masters_.empty(); }));
  EXPECT_TRUE(thread_->stop());
  EXPECT_EQ(readFile(marker), "stopped\n");
}

TEST_F(EngineThreadTest, StopKillsNotifyScriptsThatOutliveTheGrace) {
  model::VrrpInstance vi = owner();
  const std::string pid_file = dir_ + "/pid";
  vi.notify.stop = shell("echo $$ > " + pid_file + "; exec sleep 30");
  start(configOf({vi}));
  ASSERT_TRUE(runMainUntil([&] { return !masters_.empty(); }));
  EXPECT_TRUE(thread_->stop());  // within kStopGrace and its margin
  const std::string text = readFile(pid_file);
  pid_t pid = 0;
  ASSERT_EQ(std::from_chars(text.data(), text.data() + text.size(), pid).ec, std::errc());
  EXPECT_NE(::kill(pid, 0), 0);  // killed and reaped: nothing left behind
}

TEST_F(EngineThreadTest, StartFailsWhenTheConfigurationDoes) {
  auto bad = std::make_shared<model::Config>(*configOf({owner()}));
  bad->sync_groups.push_back({"G", {"VI_9"}, {}, {}, {}, {}, false});
  EngineThread::Options o;
  o.engine.sockets = &net_;
  EXPECT_FALSE(EngineThread::start(bad, std::move(o)));
}

}  // namespace
}  // namespace keel::vrrp
