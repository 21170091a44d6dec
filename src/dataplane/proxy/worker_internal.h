// The worker's per-connection records, shared by worker.cc, worker_tcp.cc and worker_udp.cc.
// Worker thread only.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>

#include "dataplane/proxy/worker.h"

namespace keel::dataplane::proxy {

constexpr std::uint32_t kUnregistered = std::numeric_limits<std::uint32_t>::max();

// Bytes read from one side, waiting to be written to the other; allocated on first use so that
// an idle connection holds no buffer.
struct Buffer {
  std::unique_ptr<char[]> data;
  std::size_t begin = 0;
  std::size_t end = 0;
  bool empty() const { return begin == end; }
};

struct Worker::Conn {
  explicit Conn(int attempts) : relay(attempts) {}
  Conn(const Conn&) = delete;  // `sides` point into it: it stays where it was made
  Conn& operator=(const Conn&) = delete;
  // What a side's loop callback captures beside the worker: two pointers fit std::function's
  // inline storage, so watching a socket allocates nothing for the callback.
  struct SideRef {
    Conn* conn;
    Side side;
  };
  std::uint64_t id = 0;
  SideRef sides[2] = {{this, Side::Client}, {this, Side::Real}};
  base::UniqueFd fd[2];
  std::uint32_t interest[2] = {kUnregistered, kUnregistered};
  Buffer buf[2];                 // buf[s]: read from side s
  bool hup[2] = {false, false};  // the peer on side s is gone both ways
  bool pump = false;             // read more from the HUP side (its buffer drained)
  Relay relay;
  lb::ServiceKey key;
  ServiceStatePtr service;
  RealStatePtr real;
  std::optional<lb::TemplateKey> persistence;
  base::Endpoint client;
  std::chrono::microseconds deadline{};  // of the connect attempt
  std::chrono::microseconds last_io{};
  RealState* counted = nullptr;  // the real whose active/inactive count holds this connection
  bool counted_active = false;
  std::string_view recorded_state;  // what the connection table holds for it
  const RealState* recorded_real = nullptr;
  bool closed = false;
};

struct Worker::UdpSession {
  std::uint64_t id = 0;
  base::UniqueFd fd;  // connected to the real
  std::uint32_t interest = kUnregistered;
  Listener* listener = nullptr;
  base::Endpoint client;
  sockaddr_storage peer{};  // the client as recvfrom() gave it, for the replies
  socklen_t peer_len = 0;
  ServiceStatePtr service;
  RealStatePtr real;
  std::optional<lb::TemplateKey> persistence;
};

struct Worker::Listener {
  lb::ServiceKey key;
  ServiceStatePtr state;
  base::UniqueFd fd;
  std::uint32_t interest = kUnregistered;
  std::chrono::microseconds paused_until{};  // nonzero: paused (descriptors or memory short)
  std::unique_ptr<SessionTable<std::unique_ptr<UdpSession>>> sessions;  // UDP only
};

template <typename MakeCallback>
void Worker::setInterest(int fd, std::uint32_t events, std::uint32_t* current, MakeCallback make) {
  if (*current == events) return;
  const base::Status s =
      *current == kUnregistered ? loop_->watch(fd, events, make()) : loop_->modify(fd, events);
  if (s) *current = events;
}

}  // namespace keel::dataplane::proxy
