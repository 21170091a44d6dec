#include "check/tcp_probe.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

namespace keel::check {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A TCP socket on 127.0.0.1 at an ephemeral port: listening with `backlog`, or only bound.
struct LoopbackSocket {
  base::UniqueFd fd;
  std::uint16_t port = 0;

  static LoopbackSocket make(std::optional<int> backlog) {
    LoopbackSocket s;
    s.fd = base::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_TRUE(s.fd);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(s.fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
    socklen_t len = sizeof sin;
    EXPECT_EQ(::getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&sin), &len), 0);
    s.port = ntohs(sin.sin_port);
    if (backlog) {
      EXPECT_EQ(::listen(s.fd.get(), *backlog), 0);
    }
    return s;
  }
};

ProbeTarget loopback(std::uint16_t port) {
  ProbeTarget t;
  t.endpoint = base::Endpoint(base::IpAddress::v4(0x7f000001), port);
  return t;
}

class TcpProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = event::Loop::create(clock_);
    ASSERT_TRUE(loop) << loop.error().str();
    loop_ = std::move(*loop);
  }

  // Runs one attempt to completion; the loop is bounded by the deadline plus slack.
  ProbeResult attempt(TcpProbe& probe, base::Duration timeout) {
    std::optional<ProbeResult> result;
    bool inside_start = true;
    probe.start(clock_.now() + timeout, [&](ProbeResult r) {
      EXPECT_FALSE(inside_start) << "done called from inside start()";
      result = std::move(r);
    });
    inside_start = false;
    const base::TimePoint give_up = clock_.now() + timeout + seconds(5);
    while (!result && clock_.now() < give_up) {
      EXPECT_TRUE(loop_->runOnce(milliseconds(100)));
    }
    EXPECT_TRUE(result) << "no result";
    return result.value_or(ProbeResult{false, "no result", std::nullopt});
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
};

TEST_F(TcpProbeTest, SucceedsAgainstAListener) {
  LoopbackSocket listener = LoopbackSocket::make(16);
  TcpProbe probe(*loop_, loopback(listener.port));
  const ProbeResult r = attempt(probe, seconds(5));
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "");
  // The connection was made and closed: the listener can accept it and reads EOF.
  base::UniqueFd conn(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn);
  char byte = 0;
  EXPECT_EQ(::read(conn.get(), &byte, 1), 0) << "the probe sent nothing and closed";
}

TEST_F(TcpProbeTest, FailsWhenRefused) {
  LoopbackSocket bound = LoopbackSocket::make(std::nullopt);  // a port nobody listens on
  TcpProbe probe(*loop_, loopback(bound.port));
  const ProbeResult r = attempt(probe, seconds(5));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "Connection refused");
}

TEST_F(TcpProbeTest, TimesOutWhenTheListenQueueIsFull) {
  // listen(0) holds one connection; with it taken and never accepted, the kernel drops further
  // SYNs, so the probe's connect stays in progress until its deadline.
  LoopbackSocket listener = LoopbackSocket::make(0);
  std::vector<base::UniqueFd> fillers;
  for (int i = 0; i < 2; ++i) {
    ProbeTarget t = loopback(listener.port);
    auto fd = openSocket(t, SOCK_STREAM);
    ASSERT_TRUE(fd);
    fillers.push_back(std::move(*fd));
  }
  // The first filler's handshake completes (it fills the queue) before the probe starts.
  bool filled = false;
  ASSERT_TRUE(loop_->watch(fillers[0].get(), EPOLLOUT, [&](std::uint32_t) { filled = true; }));
  const base::TimePoint give_up = clock_.now() + seconds(5);
  while (!filled && clock_.now() < give_up) ASSERT_TRUE(loop_->runOnce(milliseconds(50)));
  loop_->unwatch(fillers[0].get());
  ASSERT_TRUE(filled);
  ASSERT_TRUE(connectResult(fillers[0].get()));
  TcpProbe probe(*loop_, loopback(listener.port));
  const base::TimePoint started = clock_.now();
  const ProbeResult r = attempt(probe, milliseconds(300));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "timeout");
  EXPECT_GE(clock_.now() - started, milliseconds(300));
}

TEST_F(TcpProbeTest, ASocketErrorIsReportedFromTheLoop) {
  ProbeTarget t = loopback(80);
  t.bindto = base::IpAddress::v4(0xc0000201);  // 192.0.2.1 is not on this host
  TcpProbe probe(*loop_, t);
  const ProbeResult r = attempt(probe, seconds(1));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "Cannot assign requested address");
}

// keeld out of descriptors: the probe says so instead of reporting the real server as failed.
TEST_F(TcpProbeTest, NoDescriptorForTheSocketIsReportedAsSuch) {
  LoopbackSocket listener = LoopbackSocket::make(16);
  TcpProbe probe(*loop_, loopback(listener.port));
  // One attempt first, with descriptors: UBSan checks each kind of virtual call once, through a
  // pipe it could not open while none is free, so the calls made meanwhile must have been made
  // before.
  ASSERT_TRUE(attempt(probe, seconds(5)).ok);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int lowest = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // the next fd number handed out
  ASSERT_GE(lowest, 0);
  ::close(lowest);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(lowest);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const ProbeResult r = attempt(probe, seconds(1));
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.no_descriptor);
  EXPECT_EQ(r.reason, "Too many open files");
  const ProbeResult again = attempt(probe, seconds(1));  // descriptors back: a real verdict
  EXPECT_TRUE(again.ok) << again.reason;
  EXPECT_FALSE(again.no_descriptor);
}

TEST_F(TcpProbeTest, CancelStopsTheAttemptAndAllowsANewOne) {
  LoopbackSocket listener = LoopbackSocket::make(16);
  TcpProbe probe(*loop_, loopback(listener.port));
  bool called = false;
  probe.start(clock_.now() + seconds(5), [&](ProbeResult) { called = true; });
  probe.cancel();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop_->runOnce(milliseconds(20)));
  EXPECT_FALSE(called);
  EXPECT_TRUE(attempt(probe, seconds(5)).ok);
}

}  // namespace
}  // namespace keel::check
