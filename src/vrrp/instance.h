// One vrrp_instance at work: the I/O shell around its StateMachine (docs/design.md §2: pure core,
// I/O shell). It owns the instance's raw socket and timers on the event loop, turns received bytes
// into adverts through the codec (counting each drop by reason), performs the state machine's
// actions — adverts to the multicast group or each unicast peer, VIPs through rtnetlink,
// gratuitous ARP / unsolicited NA bursts, notify scripts and FIFO lines — and takes tracker
// results from its owner (vrrp::Engine). Control-plane thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "event/child_process.h"
#include "event/loop.h"
#include "model/config.h"
#include "net/announce.h"
#include "net/raw_socket.h"
#include "net/rtnetlink.h"
#include "vrrp/notify.h"
#include "vrrp/packet.h"
#include "vrrp/state_machine.h"

namespace keel::vrrp {

class Instance;

struct InstanceCounters {
  std::uint64_t adverts_sent = 0;
  std::uint64_t adverts_received = 0;  // passed every check
  std::uint64_t priority_zero_received = 0;
  std::uint64_t transitions = 0;
  DropCounters drops;
};

// What an instance needs from its surroundings, provided by the Engine.
struct InstanceContext {
  event::Loop* loop = nullptr;
  net::Rtnetlink* netlink = nullptr;
  const model::GlobalDefs* globals = nullptr;
  bool keep_addresses_on_stop = false;  // keeld -V
  // Runs a script (notify) as a child process; the engine owns the process until it ends.
  std::function<void(const model::Script&, const std::string& why)> run_script;
  // Writes a line to the notify FIFOs.
  std::function<void(const std::string& line)> write_fifo;
  // Told after every state change (status, tests).
  std::function<void(const std::string& name, State from, State to)> on_transition;
  // Told after every input the instance performed, so that its sync group can reconcile.
  std::function<void(Instance&)> after_input;
};

class Instance {
 public:
  // Resolves the interface, its MAC and the source address and opens the socket; does not send
  // anything yet. Errors: NotFound for a missing interface or source address; System for socket
  // errors (EPERM without CAP_NET_RAW).
  static base::Result<std::unique_ptr<Instance>> create(const model::VrrpInstance& config,
                                                        InstanceContext context);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  void start();
  // Orderly stop: a MASTER sends priority 0 and (unless -V) removes its VIPs; notify STOP.
  void stop();

  // Reload, Update (vrrp/reload_plan.h): takes `config` in place — no transition, no priority-0
  // advert; as MASTER only the `removed` VIPs are deleted and the `added` ones set and
  // announced. REQUIRES: same interface, VRID, version, unicast settings and family.
  void reconfigure(const model::VrrpInstance& config, const model::GlobalDefs* globals,
                   const std::vector<model::VirtualIp>& added,
                   const std::vector<model::VirtualIp>& removed);

  // Tracker results, aggregated by the engine.
  void setFault(bool fault);
  void setPriorityDelta(int delta);

  const std::string& name() const { return config_.name; }
  const model::VrrpInstance& config() const { return config_; }
  StateMachine& machine() { return machine_; }
  const StateMachine& machine() const { return machine_; }
  const InstanceCounters& counters() const { return counters_; }
  int ifindex() const { return ifindex_; }

  // Performs the actions a state machine input returned (the sync group calls this too).
  void perform(const Actions& actions);

 private:
  Instance(const model::VrrpInstance& config, InstanceContext context, StateMachine machine);

  base::Status open();
  void onReadable();
  void handlePacket(const net::RawPacket& packet);
  void sendAdvert(int priority);
  void changeAddresses(bool add);
  void changeAddress(const model::VirtualIp& vip, bool add);
  void startGratuitous(int repeat, base::Duration delay);
  void sendGratuitousBurst(int repeat);
  void announce(const model::VirtualIp& vip, int repeat);
  void notify(State from, State to);
  void rearm();
  Micros now() const;
  ReceiveConfig receiveConfig() const;

  model::VrrpInstance config_;
  InstanceContext ctx_;
  StateMachine machine_;
  int version_ = 2;
  int ifindex_ = 0;
  net::Mac mac_{};
  base::IpAddress source_;
  std::vector<base::IpAddress> destinations_;  // the multicast group, or every unicast peer
  std::optional<net::RawSocket> socket_;
  std::optional<net::PacketSocket> packet_socket_;
  base::Timer timer_;
  base::Timer garp_timer_;
  base::Timer refresh_timer_;
  InstanceCounters counters_;
  bool watching_ = false;
};

}  // namespace keel::vrrp
