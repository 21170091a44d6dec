#include "ctl/stream_server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "ctl/protocol.h"

namespace keel::ctl {
namespace {

using std::chrono::milliseconds;

class StreamServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-ctl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/keel.sock";
    loop_ = std::move(*event::Loop::create(clock_));
  }
  void TearDown() override {
    server_.reset();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  void start(ServerLimits limits, StreamServer::Admit admit = {},
             StreamServer::Deferred deferred = {}) {
    auto fd = listenUnix(path_);
    ASSERT_TRUE(fd) << fd.error().str();
    StreamServer::Options o;
    o.limits = limits;
    o.framer = lineLength;
    o.handler = [](std::string_view req) {
      return StreamServer::Reply{"echo " + std::string(req), req == "bye\n"};
    };
    o.admit = std::move(admit);
    o.deferred = std::move(deferred);
    o.oversized_reply = "too big\n";
    auto s = StreamServer::create(*loop_, std::move(*fd), std::move(o));
    ASSERT_TRUE(s) << s.error().str();
    server_ = std::move(*s);
  }

  base::UniqueFd connectClient() {
    base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }

  // Runs the loop for `iterations` short turns.
  void spin(int iterations = 20) {
    for (int i = 0; i < iterations; ++i) ASSERT_TRUE(loop_->runOnce(milliseconds(5)));
  }

  // What the peer has sent so far; "<EOF>" appended when it closed.
  static std::string drain(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) out += "<EOF>";
      return out;
    }
  }

  static void send(int fd, std::string_view bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  std::string dir_;
  std::string path_;
  std::unique_ptr<StreamServer> server_;
};

TEST_F(StreamServerTest, AnswersEachLineAndKeepsTheConnection) {
  start({});
  auto c = connectClient();
  send(c.get(), "one\ntwo\n");
  spin();
  EXPECT_EQ(drain(c.get()), "echo one\necho two\n");
  send(c.get(), "bye\n");
  spin();
  EXPECT_EQ(drain(c.get()), "echo bye\n<EOF>");
  EXPECT_EQ(server_->counters().requests, 3U);
  EXPECT_EQ(server_->connections(), 0U);
}

TEST_F(StreamServerTest, SocketIsOwnerOnly) {
  start({});
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(StreamServerTest, OversizedRequestGetsAnErrorAndIsCut) {
  start({16, std::chrono::seconds(5), 4});
  auto c = connectClient();
  send(c.get(), std::string(40, 'x'));
  spin();
  EXPECT_EQ(drain(c.get()), "too big\n<EOF>");
  EXPECT_EQ(server_->counters().oversized, 1U);
  auto d = connectClient();  // a long line with its '\n' in the same read is cut the same way
  send(d.get(), std::string(20, 'x') + "\n");
  spin();
  EXPECT_EQ(drain(d.get()), "too big\n<EOF>");
}

TEST_F(StreamServerTest, SlowClientIsCutAtTheTimeout) {
  start({64, milliseconds(100), 4});
  auto c = connectClient();
  send(c.get(), "a");
  spin(2);
  ASSERT_EQ(server_->connections(), 1U);
  const auto start = clock_.now();
  while (clock_.now() - start < milliseconds(400) && server_->connections() != 0) spin(1);
  EXPECT_EQ(server_->connections(), 0U);
  EXPECT_EQ(server_->counters().timeouts, 1U);
  EXPECT_EQ(drain(c.get()), "<EOF>");
}

TEST_F(StreamServerTest, IdleConnectionsMakeRoomForANewOne) {
  start({64, std::chrono::seconds(5), 2});
  auto a = connectClient();
  spin();
  auto b = connectClient();
  spin();
  auto c = connectClient();  // full: the oldest idle one (a) goes
  spin();
  EXPECT_EQ(drain(a.get()), "<EOF>");
  EXPECT_EQ(server_->counters().evicted, 1U);
  send(c.get(), "still\n");
  spin();
  EXPECT_EQ(drain(c.get()), "echo still\n");
}

TEST_F(StreamServerTest, ConnectionsBeyondTheLimitAreClosedWhenNoneIsIdle) {
  start({64, std::chrono::seconds(5), 2});
  auto a = connectClient();
  auto b = connectClient();
  send(a.get(), "half");  // mid-request: not idle
  send(b.get(), "half");
  spin();
  auto c = connectClient();
  spin();
  EXPECT_EQ(drain(c.get()), "<EOF>");
  EXPECT_EQ(server_->counters().refused_full, 1U);
  send(a.get(), " done\n");
  spin();
  EXPECT_EQ(drain(a.get()), "echo half done\n");
}

TEST_F(StreamServerTest, RefusedPeersAreCounted) {
  start({}, [](int) { return false; });
  auto c = connectClient();
  spin();
  EXPECT_EQ(drain(c.get()), "<EOF>");
  EXPECT_EQ(server_->counters().refused_peer, 1U);
}

// Makes every new descriptor fail with EMFILE while it lives: the soft RLIMIT_NOFILE goes down to
// the lowest free fd number, which is the one the kernel would hand out next. The log is quiet
// meanwhile: UBSan checks a first virtual call (the log sink's) through a pipe, which it could
// not open, and would report the call as a bad one.
class NoFreeDescriptors {
 public:
  NoFreeDescriptors() {
    base::Logger::instance().setLevel(base::LogLevel::Error);
    EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_), 0);
    const int lowest = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_GE(lowest, 0);
    ::close(lowest);
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(lowest);
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  }
  ~NoFreeDescriptors() {
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &saved_), 0);
    base::Logger::instance().setLevel(base::LogLevel::Info);
  }
  NoFreeDescriptors(const NoFreeDescriptors&) = delete;
  NoFreeDescriptors& operator=(const NoFreeDescriptors&) = delete;

 private:
  rlimit saved_{};
};

TEST_F(StreamServerTest, OutOfDescriptorsPausesTheListenerInsteadOfSpinning) {
  start({});
  {
    // One round trip first, with descriptors: UBSan checks each kind of virtual call once, through
    // a pipe it could not open while none is free (NoFreeDescriptors), so the calls the loop makes
    // meanwhile must all have been made before.
    auto warm = connectClient();
    send(warm.get(), "warm\n");
    spin();
    EXPECT_EQ(drain(warm.get()), "echo warm\n");
    (void)clock_.now();
  }
  spin();
  const std::uint64_t accepted_before = server_->counters().accepted;
  auto c = connectClient();  // waits in the backlog: the listener is readable
  // Each turn may wait up to kTurn; a paused listener wakes the loop only when its pause ends
  // (and fails again), so turns are bounded by the window over both. A spinning listener would
  // make thousands. Checked once descriptors are back (a failed check prints through new ones).
  constexpr auto kTurn = milliseconds(50);
  constexpr auto kWindow = milliseconds(300);
  constexpr auto kPause = StreamServer::kAcceptPause;
  std::int64_t turns = 0;
  bool ran = true;
  ServerCounters during;
  {
    NoFreeDescriptors exhausted;
    const base::TimePoint end = clock_.now() + kWindow;
    while (ran && clock_.now() < end) {
      ran = loop_->runOnce(kTurn).has_value();
      ++turns;
    }
    during = server_->counters();
  }
  ASSERT_TRUE(ran);
  EXPECT_LE(turns, kWindow / kTurn + kWindow / kPause + 2);
  EXPECT_GE(during.accept_pauses, 1U);
  EXPECT_LE(during.accept_pauses, static_cast<std::uint64_t>(kWindow / kPause + 1));
  EXPECT_EQ(during.accepted, accepted_before);
  // Descriptors are back: the paused listener resumes and serves the waiting peer.
  const base::TimePoint deadline = clock_.now() + std::chrono::seconds(10);
  while (server_->connections() == 0 && clock_.now() < deadline) spin(1);
  EXPECT_EQ(server_->counters().accepted, accepted_before + 1);
  send(c.get(), "hello\n");
  spin();
  EXPECT_EQ(drain(c.get()), "echo hello\n");
}

// "later" requests are answered through their Responder: the connection waits (its pipelined
// requests too), is not evicted as idle, and other connections are served meanwhile.
TEST_F(StreamServerTest, DeferredRequestsAreAnsweredLater) {
  std::vector<StreamServer::Responder> pending;
  start({64, std::chrono::seconds(5), 2}, {}, [&](std::string_view req, auto respond) {
    if (req != "later\n") return false;
    pending.push_back(std::move(respond));
    return true;
  });
  auto a = connectClient();
  send(a.get(), "later\nnext\n");
  spin();
  EXPECT_EQ(drain(a.get()), "");
  ASSERT_EQ(pending.size(), 1U);
  auto b = connectClient();
  send(b.get(), "one\n");
  spin();
  EXPECT_EQ(drain(b.get()), "echo one\n");
  auto c = connectClient();  // full: b (idle) makes room, never the waiting a
  spin();
  EXPECT_EQ(drain(b.get()), "<EOF>");
  pending[0]({"answer\n", false});
  spin();
  EXPECT_EQ(drain(a.get()), "answer\necho next\n");
}

TEST_F(StreamServerTest, AnAnswerAtOnceAndAnAnswerTooLateAreBothSafe) {
  std::vector<StreamServer::Responder> pending;
  start({64, std::chrono::seconds(5), 4}, {}, [&](std::string_view req, auto respond) {
    if (req == "now\n") respond({"done\n", false});
    if (req == "later\n") pending.push_back(respond);
    return req == "now\n" || req == "later\n";
  });
  auto a = connectClient();
  send(a.get(), "now\n");
  spin();
  EXPECT_EQ(drain(a.get()), "done\n");
  send(a.get(), "later\n");
  spin();
  ASSERT_EQ(pending.size(), 1U);
  server_.reset();
  pending[0]({"gone\n", false});  // the server is gone: nothing happens
  EXPECT_EQ(drain(a.get()), "<EOF>");
}

TEST_F(StreamServerTest, ADeferredRequestWaitsAtMostTheDeferredTimeout) {
  std::vector<StreamServer::Responder> pending;
  ServerLimits limits{64, std::chrono::seconds(5), 4};
  limits.deferred_timeout = milliseconds(100);
  start(limits, {}, [&](std::string_view, auto respond) {
    pending.push_back(respond);
    return true;
  });
  auto a = connectClient();
  send(a.get(), "later\n");
  const auto start = clock_.now();
  while (clock_.now() - start < milliseconds(400) && server_->counters().timeouts == 0) spin(1);
  EXPECT_EQ(server_->counters().timeouts, 1U);
  EXPECT_EQ(drain(a.get()), "<EOF>");
  pending[0]({"late\n", false});  // the connection is gone: nothing happens
  spin(2);
}

}  // namespace
}  // namespace keel::ctl
