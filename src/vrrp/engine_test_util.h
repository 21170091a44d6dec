// For unit tests of vrrp::Instance and vrrp::Engine: an engine on an event::Loop driven by a
// FakeClock, on a FakeNet host with eth0 (198.18.0.1/24) — time moves only when a test calls
// advance(), netlink events and datagrams are dispatched by pump(). Test-only; one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "event/loop.h"
#include "net/fake_net.h"
#include "vrrp/engine.h"
#include "vrrp/packet.h"

namespace keel::vrrp::testing {

inline base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

inline model::VirtualIp vip(const char* prefix, const char* dev = "") {
  return model::VirtualIp{*base::Prefix::parse(prefix), std::nullopt, dev, "", "", false};
}

// VRID `vrid` on `interface`, 1 s adverts, VIP 198.18.0.100/24 (VRID 51) or 198.18.0.<vrid>.
inline model::VrrpInstance instance(const char* name, int priority, int vrid = 51,
                                    const char* interface = "eth0") {
  model::VrrpInstance vi;
  vi.name = name;
  vi.interface = interface;
  vi.virtual_router_id = vrid;
  vi.priority = priority;
  const std::string address = vrid == 51 ? "198.18.0.100/24" : fmt::format("198.18.0.{}/24", vrid);
  vi.virtual_ipaddress = {vip(address.c_str())};
  return vi;
}

inline std::shared_ptr<const model::Config> configOf(std::vector<model::VrrpInstance> instances) {
  auto c = std::make_shared<model::Config>();
  c->vrrp_instances = std::move(instances);
  return c;
}

// Master_Down_Interval of a v2 BACKUP of `priority` at 1 s adverts, and a little beyond.
inline base::Duration downInterval(int priority) {
  return std::chrono::duration_cast<base::Duration>(
      masterDownInterval(2, priority, std::chrono::seconds(1), 3));
}

class Harness {
 public:
  Harness() {
    loop_ = std::move(*event::Loop::create(clock));
    net.addLink("eth0", {2, 0, 0, 0, 0, 1});
    net.addHostAddress("eth0", "198.18.0.1/24");
  }
  ~Harness() {
    engine.reset();
    pump();
  }

  void start(std::shared_ptr<const model::Config> config, bool keep_addresses = false) {
    EngineOptions options;
    options.sockets = &net;
    options.keep_addresses_on_stop = keep_addresses;
    options.on_transition = [this](const std::string& name, State from, State to) {
      transitions.push_back(name + " " + stateName(from) + "->" + stateName(to));
    };
    options.on_change = [this] { ++changes; };
    auto created = Engine::create(*loop_, std::move(config), options);
    ASSERT_TRUE(created) << created.error().str();
    engine = std::move(*created);
    engine->start();
    pump();
  }

  // Dispatches what is ready: netlink events, datagrams, posted work. Time does not move.
  void pump() {
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(loop_->runOnce(base::Duration::zero()));
  }
  void advance(base::Duration d) {
    pump();
    clock.advance(d);
    pump();
  }

  Instance& instance(const std::string& name) const {
    for (const auto& i : engine->instances()) {
      if (i->name() == name) return *i;
    }
    ADD_FAILURE() << "no instance " << name;
    return *engine->instances().front();
  }
  State state(const std::string& name) const { return instance(name).machine().state(); }

  // An advert for VRID `vrid` (VIP 198.18.0.100 for 51) as the network delivers it on `link`.
  void receive(int priority, const char* source, int vrid = 51, const char* link = "eth0") {
    Advert a;
    a.version = 2;
    a.vrid = static_cast<std::uint8_t>(vrid);
    a.priority = static_cast<std::uint8_t>(priority);
    a.source = ip(source);
    const std::string vip_text = vrid == 51 ? "198.18.0.100" : fmt::format("198.18.0.{}", vrid);
    a.addresses = {ip(vip_text.c_str())};
    EncodeOptions o;
    o.destination = ip("224.0.0.18");
    net::RawPacket p;
    p.bytes = encodeIpv4Packet(a, o);
    p.source = a.source;
    p.destination = o.destination;
    net.deliver(link, p);
    pump();
  }

  // The priorities of the adverts sent since the last clearSent(), in order.
  std::vector<int> advertPriorities() const {
    std::vector<int> out;
    for (const auto& d : net.sent()) out.push_back(d.payload.size() > 2 ? d.payload[2] : -1);
    return out;
  }
  // Gratuitous ARP frames (EtherType 0x0806) sent since the last clearSent().
  std::size_t garps() const {
    std::size_t n = 0;
    for (const auto& f : net.frames())
      n += f.bytes.size() > 13 && f.bytes[12] == 0x08 && f.bytes[13] == 0x06;
    return n;
  }
  std::uint64_t drops(const std::string& name, DropReason reason) const {
    return instance(name).counters().drops[reason];
  }

  base::FakeClock clock;
  net::FakeNet net;
  std::unique_ptr<Engine> engine;
  std::vector<std::string> transitions;
  int changes = 0;

 private:
  std::unique_ptr<event::Loop> loop_;
};

}  // namespace keel::vrrp::testing
