// vrrp::EngineThread: the engine on its own thread and loop (real clock), on a FakeNet host;
// what crosses threads (MASTER VIPs posted to the main loop, the published status, reload) and
// the orderly stop with its grace period for notify scripts.
#include "vrrp/engine_thread.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <new>
#include <span>
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

// Raises `e` the way a library would (project code has no throw expressions).
template <class E>
[[noreturn]] void escape(E e) {
  std::rethrow_exception(std::make_exception_ptr(std::move(e)));
}

// FakeNet's sockets, except that once armed the next advert sent runs out of memory: a fatal
// exception in a callback on the VRRP loop (its advert timer).
class FailingSockets final : public net::Sockets {
 public:
  explicit FailingSockets(net::Sockets& inner) : inner_(inner) {}
  void failNextSend() { armed_->store(true); }

  base::Result<std::unique_ptr<net::Netlink>> openNetlink() override {
    return inner_.openNetlink();
  }
  base::Result<std::unique_ptr<net::IpSocket>> openIp(const net::RawSocketOptions& o) override {
    auto socket = inner_.openIp(o);
    if (!socket) return socket.error();
    return std::unique_ptr<net::IpSocket>(new Socket(std::move(*socket), armed_));
  }
  base::Result<std::unique_ptr<net::FrameSocket>> openFrames(int ifindex) override {
    return inner_.openFrames(ifindex);
  }

 private:
  class Socket final : public net::IpSocket {
   public:
    Socket(std::unique_ptr<net::IpSocket> inner, std::shared_ptr<std::atomic<bool>> armed)
        : inner_(std::move(inner)), armed_(std::move(armed)) {}
    base::Status join(const base::IpAddress& group) override { return inner_->join(group); }
    base::Status leave(const base::IpAddress& group) override { return inner_->leave(group); }
    base::Status send(std::span<const std::uint8_t> payload,
                      const base::IpAddress& destination) override {
      if (armed_->exchange(false)) escape(std::bad_alloc());
      return inner_->send(payload, destination);
    }
    base::Result<std::optional<net::RawPacket>> receive() override { return inner_->receive(); }
    int fd() const override { return inner_->fd(); }

   private:
    std::unique_ptr<net::IpSocket> inner_;
    std::shared_ptr<std::atomic<bool>> armed_;
  };

  net::Sockets& inner_;
  std::shared_ptr<std::atomic<bool>> armed_ = std::make_shared<std::atomic<bool>>(false);
};

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

  void start(std::shared_ptr<const model::Config> config,
             std::map<std::string, bool> bfd_states = {}) {
    EngineThread::Options o;
    o.bfd_states = std::move(bfd_states);
    o.engine.sockets = &sockets_;
    o.main = main_.get();
    o.on_masters = [this](std::set<base::IpAddress> m) { masters_ = std::move(m); };
    o.on_fatal = [this](const std::string& why) { fatal_.push_back(why); };
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
  FailingSockets sockets_{net_};
  std::unique_ptr<EngineThread> thread_;
  std::set<base::IpAddress> masters_;
  std::vector<std::string> fatal_;  // what on_fatal heard
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

// track_bfd across threads: VRRP starting after BFD takes the sessions' states before it starts
// (an instance tracking an Up session does not start in FAULT), and session events posted later
// move it on the VRRP thread.
TEST_F(EngineThreadTest, BfdSessionStatesReachTheEngineOnItsThread) {
  model::VrrpInstance vi = owner();
  vi.track_bfd.push_back(model::TrackRef{"b1"});
  auto c = std::make_shared<model::Config>();
  c->vrrp_instances = {vi};
  model::BfdInstance b;
  b.name = "b1";
  b.neighbor = ip("192.0.2.2");
  c->bfd_instances = {b};
  start(c, {{"b1", true}});
  ASSERT_TRUE(runMainUntil([&] { return thread_->status()->instances[0].state == State::Master; }));
  thread_->setBfdState("b1", false);
  ASSERT_TRUE(runMainUntil([&] { return thread_->status()->instances[0].state == State::Fault; }));
  EXPECT_TRUE(runMainUntil([&] { return masters_.empty(); }));  // FAULT holds no VIP
  thread_->setBfdState("b1", true);
  ASSERT_TRUE(runMainUntil([&] { return thread_->status()->instances[0].state == State::Master; }));
  EXPECT_TRUE(thread_->stop());
}

// A fatal exception on the VRRP loop stops the engine in order, as keeld's stop() would (the
// MASTER releases its VIPs and its notify_stop runs), and the main loop hears it once.
TEST_F(EngineThreadTest, AFatalExceptionOnTheVrrpLoopStopsTheEngineAndTellsTheMainLoop) {
  model::VrrpInstance vi = owner();
  const std::string marker = dir_ + "/stopped";
  vi.notify.stop = shell("echo stopped > " + marker);
  start(configOf({vi}));
  ASSERT_TRUE(runMainUntil([&] { return !masters_.empty(); }));
  sockets_.failNextSend();  // the next advert, one advert_int from now
  ASSERT_TRUE(runMainUntil([&] { return !fatal_.empty(); }));
  EXPECT_NE(fatal_[0].find("out of memory"), std::string::npos) << fatal_[0];
  ASSERT_TRUE(runMainUntil([&] { return masters_.empty(); }));
  EXPECT_EQ(thread_->status()->instances[0].state, State::Init);
  EXPECT_TRUE(thread_->stop());  // the thread had ended, or ends within the grace
  EXPECT_FALSE(net_.hasAddress("eth0", "198.18.0.100"));
  EXPECT_EQ(readFile(marker), "stopped\n");
  (void)main_->runOnce(std::chrono::milliseconds(0));
  EXPECT_EQ(fatal_.size(), 1U);
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

// (rt_priority, policy) of a task, from fields 40 and 41 of its /proc stat line.
std::pair<int, int> scheduling(const std::string& stat) {
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
  std::pair<int, int> out{-1, -1};
  if (f.size() < 39) return out;
  std::from_chars(f[37].data(), f[37].data() + f[37].size(), out.first);
  std::from_chars(f[38].data(), f[38].data() + f[38].size(), out.second);
  return out;
}

// keel's default: the VRRP thread is real-time (SCHED_RR 1); the scripts it starts are not.
TEST_F(EngineThreadTest, VrrpThreadIsRealTimeAndItsScriptsAreNot) {
  if (::geteuid() != 0) GTEST_SKIP() << "SCHED_RR needs CAP_SYS_NICE";
  model::VrrpInstance vi = owner();
  const std::string script_stat = dir_ + "/stat";
  vi.notify.master = shell("cat /proc/$$/stat > " + script_stat + ".tmp; mv " + script_stat +
                           ".tmp " + script_stat);
  start(configOf({vi}));
  ASSERT_TRUE(runMainUntil([&] { return !readFile(script_stat).empty(); }));
  EXPECT_EQ(scheduling(readFile(script_stat)), std::make_pair(0, SCHED_OTHER));
  int realtime = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    if (scheduling(readFile(task.path() / "stat")) == std::make_pair(1, SCHED_RR)) ++realtime;
  }
  EXPECT_EQ(realtime, 1);  // the VRRP thread, and no other
  EXPECT_TRUE(thread_->stop());
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
