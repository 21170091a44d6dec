// IPVS persistence templates as a map from TemplateKey to the real server and a count of the
// connections the template controls. Lifetime rules, chosen to match IPVS where it matters: a
// template is alive while it controls a connection; with none it is alive until `expires`, and
// dead from `expires` on (now >= expires). Each new controlled connection restarts the timer
// (expires = now + timeout), like IPVS re-arming the template in ip_vs_conn_put. When the last
// controlled connection ends, keel re-arms the timer once more (expires = now + timeout): IPVS
// instead lets the running timer fire and, finding no controlled connection, lets the template
// go, so a template there lives between 0 and one timeout after its last connection; keel always
// gives the client one full timeout of stickiness after its last connection, which is the bound
// users expect from persistence_timeout and is deterministic.
#include "lb/persistence.h"

#include <algorithm>
#include <array>

namespace keel::lb {

namespace {

constexpr std::uint16_t kFtpPort = 21;

// The service part of a template key: a port-0 or FTP service has port 0.
ServiceKey templateService(const ServiceKey& service) {
  ServiceKey out = service;
  if (!out.isFwmark() && out.port == kFtpPort) out.port = 0;
  return out;
}

base::IpAddress maskAddress(const base::IpAddress& address, int prefix) {
  auto bytes = address.bytes();
  std::array<std::uint8_t, 16> masked{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int bits = std::clamp(prefix - static_cast<int>(i) * 8, 0, 8);
    const auto mask = static_cast<std::uint8_t>(0xff00 >> bits);
    masked[i] = bytes[i] & mask;
  }
  if (address.isV4())
    return base::IpAddress::fromV4Bytes({masked[0], masked[1], masked[2], masked[3]});
  return base::IpAddress::fromV6Bytes(masked);
}

bool dead(const PersistenceTable::Entry& e, Micros now) {
  return e.controlled == 0 && now >= e.expires;
}

}  // namespace

TemplateKey templateKey(const Service& service, const base::IpAddress& client) {
  const int max = client.maxPrefixLength();
  const int prefix =
      service.persistence_prefix == 0 ? max : std::min<int>(service.persistence_prefix, max);
  return TemplateKey{templateService(service.key), maskAddress(client, prefix)};
}

std::optional<RealKey> PersistenceTable::lookup(const TemplateKey& key, Micros now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (dead(it->second, now)) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.real;
}

// Re-pointing a live template at another real (its old real became unusable) keeps its count:
// the connections still open to the old real keep the template alive until they end.
void PersistenceTable::connectionStarted(const TemplateKey& key, const RealKey& real,
                                         Micros timeout, Micros now) {
  Entry& e = entries_[key];
  e.real = real;
  e.timeout = timeout;
  e.expires = now + timeout;
  ++e.controlled;
}

void PersistenceTable::connectionEnded(const TemplateKey& key, Micros now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.controlled > 0) --e.controlled;
  if (e.controlled == 0) e.expires = std::max(e.expires, now + e.timeout);
}

std::size_t PersistenceTable::dropReal(const ServiceKey& service, const RealKey& real) {
  const ServiceKey tservice = templateService(service);
  return std::erase_if(entries_, [&](const auto& kv) {
    return kv.first.service == tservice && kv.second.real == real;
  });
}

std::size_t PersistenceTable::expire(Micros now) {
  return std::erase_if(entries_, [now](const auto& kv) { return dead(kv.second, now); });
}

const PersistenceTable::Entry* PersistenceTable::find(const TemplateKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace keel::lb
