// One vrrp_instance at work: the I/O shell around its StateMachine (docs/design.md §2: pure core,
// I/O shell). It binds to its interface (raw socket, packet socket, source address) through the
// net::Sockets seam, owns its timers on the event loop, turns received bytes into adverts through
// the codec (counting each drop by reason), performs the state machine's actions — adverts to the
// multicast group or each unicast peer, VIPs through netlink, gratuitous ARP / unsolicited NA
// bursts, notify scripts and FIFO lines — and takes tracker results from its owner
// (vrrp::Engine).
//
// An instance always exists once configured: when its interface is missing, has no usable source
// address, or its sockets cannot be opened, it is in FAULT with the reason (bindFault()) and
// binds again when netlink reports the interface or address back (and retries socket errors every
// kRebindRetry). An interface deleted and re-created (a new index) is re-bound; removing the
// source address moves a MASTER to FAULT, as keepalived does. The VRRP thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "event/loop.h"
#include "model/config.h"
#include "net/announce.h"
#include "net/netlink.h"
#include "net/sockets.h"
#include "vrrp/host_view.h"
#include "vrrp/packet.h"
#include "vrrp/state_machine.h"
#include "vrrp/status.h"

namespace keel::vrrp {

class Instance;

// What an instance needs from its surroundings, provided by the Engine.
struct InstanceContext {
  event::Loop* loop = nullptr;
  net::Netlink* netlink = nullptr;
  net::Sockets* sockets = nullptr;
  const HostView* host = nullptr;
  const model::GlobalDefs* globals = nullptr;
  bool keep_addresses_on_stop = false;  // keeld -V
  // Whether an address is one of the configuration's VIPs (never taken as a source address).
  std::function<bool(const base::IpAddress&)> is_vip;
  // Runs a script (notify) as a child process; the engine owns the process until it ends.
  std::function<void(const model::Script&, const std::string& why)> run_script;
  // Writes a line to the notify FIFOs.
  std::function<void(const std::string& line)> write_fifo;
  // Told after every state change.
  std::function<void(const std::string& name, State from, State to)> on_transition;
  // Told after every input the instance performed, so that its sync group can reconcile and the
  // engine publish its status.
  std::function<void(Instance&)> after_input;
};

class Instance {
 public:
  static constexpr base::Duration kRebindRetry = std::chrono::seconds(1);

  // Tries to bind at once; sends nothing yet.
  static std::unique_ptr<Instance> create(const model::VrrpInstance& config,
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
  void setTrackingFault(bool fault);
  void setPriorityDelta(int delta);

  // Netlink, after the engine's HostView has taken the event.
  void onLinkChanged(const net::Link& link);
  void onLinkRemoved(const net::Link& link);
  void onAddress(const net::AddressEntry& address, bool added);

  // keeld's start after a crash: removes every configured VIP still on its interface (a VIP left
  // by a SIGKILLed keeld would make two hosts answer ARP for it). Logs those it removed.
  void removeStaleAddresses();

  const std::string& name() const { return config_.name; }
  const model::VrrpInstance& config() const { return config_; }
  StateMachine& machine() { return machine_; }
  const StateMachine& machine() const { return machine_; }
  const InstanceCounters& counters() const { return counters_; }
  const std::string& bindFault() const { return bind_fault_; }
  bool bound() const { return socket_ != nullptr; }
  InstanceStatus status() const;

  // Performs the actions a state machine input returned (the sync group calls this too).
  void perform(const Actions& actions);

  // The receive path of one datagram, for the socket's reader and for tests.
  void handlePacket(const net::RawPacket& packet);

 private:
  Instance(const model::VrrpInstance& config, InstanceContext context, StateMachine machine);

  // instance_binding.cc: the interface, source address and sockets.
  void bind();
  void unbind(const std::string& reason);
  std::optional<std::string> findLink();
  std::optional<std::string> chooseSource();
  std::optional<std::string> openSockets();
  void closeSockets();
  void setBindFault(const std::string& reason);
  void applyFault();
  int indexOf(const model::VirtualIp& vip) const;

  void onReadable();
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
  InstanceParams params() const;

  model::VrrpInstance config_;
  InstanceContext ctx_;
  StateMachine machine_;
  int version_ = 2;
  int ifindex_ = 0;  // 0: the interface is not known (missing)
  net::Mac mac_{};
  base::IpAddress source_;
  std::vector<base::IpAddress> destinations_;  // the multicast group, or every unicast peer
  std::unique_ptr<net::IpSocket> socket_;
  std::unique_ptr<net::FrameSocket> frames_;
  base::Timer timer_;
  base::Timer garp_timer_;
  base::Timer refresh_timer_;
  base::Timer rebind_timer_;
  InstanceCounters counters_;
  std::string bind_fault_;  // empty: bound
  bool tracking_fault_ = false;
};

}  // namespace keel::vrrp
