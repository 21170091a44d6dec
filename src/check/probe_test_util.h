// Helpers for probe tests: a real loop on the steady clock and a bounded wait for one result.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

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

// A UDP server on the test's loop: each datagram it receives is handed to `handler`, and every
// datagram the handler returns is sent back to the sender.
class UdpResponder {
 public:
  using Bytes = std::vector<std::uint8_t>;
  using Handler = std::function<std::vector<Bytes>(std::span<const std::uint8_t>)>;

  UdpResponder(event::Loop& loop, const base::IpAddress& address, Handler handler)
      : loop_(loop), handler_(std::move(handler)) {
    fd_.reset(::socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    EXPECT_TRUE(fd_);
    sockaddr_storage ss{};
    socklen_t len = base::Endpoint(address, 0).toSockaddr(ss);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len), 0);
    len = sizeof ss;
    EXPECT_EQ(::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len), 0);
    endpoint_ = base::Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&ss), len).value();
    EXPECT_TRUE(loop_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { onReadable(); }));
  }
  ~UdpResponder() { loop_.unwatch(fd_.get()); }
  UdpResponder(const UdpResponder&) = delete;
  UdpResponder& operator=(const UdpResponder&) = delete;

  const base::Endpoint& endpoint() const { return endpoint_; }
  int received = 0;

 private:
  void onReadable() {
    std::array<std::uint8_t, 65536> buf{};
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = ::recvfrom(fd_.get(), buf.data(), buf.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    ++received;
    for (const Bytes& out : handler_(std::span(buf.data(), static_cast<std::size_t>(n)))) {
      ::sendto(fd_.get(), out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }

  event::Loop& loop_;
  Handler handler_;
  base::UniqueFd fd_;
  base::Endpoint endpoint_;
};

inline ProbeTarget targetFor(const base::Endpoint& endpoint) {
  ProbeTarget t;
  t.endpoint = endpoint;
  return t;
}

// Slack for timing bounds on a loaded machine.
inline constexpr std::chrono::milliseconds kSlack{1500};

}  // namespace keel::check::testing
