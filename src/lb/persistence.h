// IPVS persistence as pure logic (dataplane.md §3.4): a template per (service, client address
// masked by persistence_granularity) that sends a client's new connections to the real server
// its first one got. Time comes in as an argument. Owned by one data plane (or one proxy worker);
// not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

#include "base/address.h"
#include "lb/service_table.h"

namespace keel::lb {

using Micros = std::chrono::microseconds;

// IPVS's template key: <proto, caddr & mask, vaddr, vport, ...>. For a port-0 service and for
// FTP (port 21) the port is 0; a fwmark service is keyed by its mark (its ServiceKey).
struct TemplateKey {
  ServiceKey service;
  base::IpAddress client;  // already masked

  friend auto operator<=>(const TemplateKey&, const TemplateKey&) = default;
};

// The key for a new connection from `client` to `service`.
TemplateKey templateKey(const Service& service, const base::IpAddress& client);

class PersistenceTable {
 public:
  struct Entry {
    RealKey real;
    Micros expires{};  // meaningful only while controlled == 0
    Micros timeout{};
    std::uint32_t controlled = 0;  // live connections this template controls
  };

  // The real server of a live template, or nullopt. An entry past its expiry with no controlled
  // connection is dead (and dropped).
  std::optional<RealKey> lookup(const TemplateKey& key, Micros now);

  // A new connection under `key` went to `real`: create the template or re-point it, restart
  // its timer (IPVS re-arms it with each new controlled connection) and count the connection.
  void connectionStarted(const TemplateKey& key, const RealKey& real, Micros timeout, Micros now);

  // A connection the template controlled ended; the template lives on for its timeout from now
  // if it controls nothing else.
  void connectionEnded(const TemplateKey& key, Micros now);

  // Drops the templates pointing at `real` of `service` (the real was removed, or became
  // unusable with expire_quiescent_template). Returns how many.
  std::size_t dropReal(const ServiceKey& service, const RealKey& real);

  // Drops one template (its real became unusable for it, e.g. expire_quiescent_template).
  void erase(const TemplateKey& key) { entries_.erase(key); }

  // Drops dead templates; returns how many.
  std::size_t expire(Micros now);

  const Entry* find(const TemplateKey& key) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::map<TemplateKey, Entry> entries_;
};

}  // namespace keel::lb
