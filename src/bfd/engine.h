// The BFD engine: every bfd_instance of a configuration (docs/bfd.md) as a SessionRunner on the
// event::Loop its owner gives it, with the UDP sockets of RFC 5881 single-hop (socket.h). It
// selects the session of each received packet — by Your Discriminator, else by source address —
// after the Generalized TTL Security check (received TTL + max_hops >= ttl, as keepalived), and
// drops and counts everything else by reason. Session changes go to Events (events.h), the
// subscriber side VRRP and the checkers use. keepalived runs BFD in a process of its own; keel
// runs it on a thread of its own (engine_thread.h), so neither VRRP nor checkers can delay a
// packet or a detection.
//
// The loop's thread only, except events(), which is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "bfd/events.h"
#include "bfd/packet.h"
#include "bfd/session_runner.h"
#include "event/loop.h"
#include "model/bfd.h"

namespace keel::bfd {

struct EngineOptions {
  std::uint16_t port = kControlPort;                   // tests use another
  base::IpAddress listen_v4 = base::IpAddress::v4(0);  // where packets are received
  std::optional<base::IpAddress> listen_v6;            // unset: ::
  std::uint32_t seed = 0;          // discriminators, ports and jitter; 0: random
  std::shared_ptr<Events> events;  // unset: the engine makes its own
  // conf: bfd_rt_priority: EngineThread runs with SCHED_RR at this priority (keepalived's
  // advice for short intervals on a busy host). Unset: the default policy.
  std::optional<int> rt_priority;
};

// One session as keelctl and the stats dump show it.
struct SessionView {
  std::string name;
  base::IpAddress neighbor;
  State state = State::Down;
  Diag diag = Diag::None;
  State remote_state = State::Down;
  Diag remote_diag = Diag::None;
  std::uint32_t local_discriminator = 0;
  std::uint32_t remote_discriminator = 0;
  base::Duration detect_time{};
  base::Duration tx_interval{};
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t send_errors = 0;
};

class Engine {
 public:
  // Opens the receiving sockets the configured families need and a sending socket per session.
  // Errors: System (the BFD port is taken, a source address is not local).
  static base::Result<std::unique_ptr<Engine>> create(event::Loop& loop,
                                                      const std::vector<model::BfdInstance>& config,
                                                      EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Every session sends its first packet (unless passive) and its state is published.
  void start();
  // Every session goes AdminDown and says so once to its neighbour; nothing is sent after.
  void stop();
  // By name: a session whose neighbour, source and ttl are unchanged keeps its state and takes
  // the new timers (a Poll Sequence while Up); others restart; removed ones go AdminDown. A
  // session that cannot open is logged and left out.
  void reload(const std::vector<model::BfdInstance>& config);

  std::shared_ptr<Events> events() const { return events_; }
  std::vector<SessionView> sessions() const;
  std::uint64_t drops(DropReason r) const { return drops_[static_cast<std::size_t>(r)]; }
  // keeld's stats dump (SIGUSR2): each session, then the drops by reason.
  std::string statsText() const;

 private:
  struct Entry {
    model::BfdInstance config;
    base::UniqueFd tx;
    std::unique_ptr<SessionRunner> runner;
    std::uint64_t send_errors = 0;
    bool running = false;  // started (start() or a reload after it)
  };

  Engine(event::Loop& loop, EngineOptions options);
  base::Status openReceivers(const std::vector<model::BfdInstance>& config);
  base::Result<std::unique_ptr<Entry>> openSession(const model::BfdInstance& b);
  std::uint32_t newDiscriminator();
  void onReadable(int fd);
  void handle(std::span<const std::uint8_t> bytes, const base::Endpoint& from,
              std::optional<int> ttl);
  Entry* lookup(const ControlPacket& p, const base::IpAddress& from, DropReason& why);
  void drop(DropReason r, const base::Endpoint& from);
  void send(Entry& e, const ControlPacket& p);
  void publish(const Entry& e);
  void closeSession(Entry& e);

  event::Loop& loop_;
  EngineOptions options_;
  std::shared_ptr<Events> events_;
  std::mt19937 rng_;
  base::UniqueFd rx_v4_;
  base::UniqueFd rx_v6_;
  std::map<std::string, std::unique_ptr<Entry>> sessions_;  // by name
  std::array<std::uint64_t, kDropReasonCount> drops_{};
  bool started_ = false;
};

}  // namespace keel::bfd
