#include "lb/whereis.h"

#include <fmt/format.h>

#include "lb/decide.h"
#include "lb/scheduler.h"

namespace keel::lb {

namespace {

const Service* findService(const ServiceTable& table, const WhereIsQuery& q) {
  if (const auto* s = table.find({q.vip, q.vport, q.protocol, 0})) return s;
  return table.find({q.vip, 0, q.protocol, 0});
}

std::string prefixText(const Service& s, const base::IpAddress& client) {
  const int bits = s.persistence_prefix != 0 ? s.persistence_prefix : client.maxPrefixLength();
  return fmt::format("{}/{}", templateKey(s, client).client.str(), bits);
}

}  // namespace

base::Result<WhereIsAnswer> whereIs(const ServiceTable& table, const WhereIsQuery& q,
                                    const PersistenceTable* persistence, Micros now) {
  const Service* service = findService(table, q);
  if (service == nullptr) {
    return base::makeError(
        base::ErrorCode::NotFound,
        fmt::format("no virtual service {}", ServiceKey{q.vip, q.vport, q.protocol, 0}.str()));
  }
  WhereIsAnswer answer{service->key, std::nullopt, {}};
  if (persistence != nullptr && service->persistent()) {
    const TemplateKey key = templateKey(*service, q.client);
    const PersistenceTable::Entry* e = persistence->find(key);
    if (e != nullptr && (e->controlled > 0 || e->expires > now) && service->find(e->real)) {
      answer.real = e->real;
      answer.why =
          fmt::format("persistence template for {} ({} connections, timeout {} s)",
                      prefixText(*service, q.client), e->controlled, e->timeout.count() / 1000000);
      return answer;
    }
  }
  auto made = makeScheduler(service->scheduler, service->scheduler_flags);
  if (!made) return made.error();
  Scheduler& scheduler = **made;
  const std::vector<Dest> dests = destsOf(*service);
  scheduler.update(dests);
  const Flow flow{q.client, q.client_port, q.vip, q.vport, q.protocol};
  const std::string explained = scheduler.explain(dests, flow);
  if (auto index = scheduler.pick(dests, flow, PickContext{now, 0})) {
    answer.real = dests[*index].key;
  }
  answer.why = fmt::format("{}: {}{}", service->scheduler, explained,
                           service->persistent() ? fmt::format("; then a persistence template "
                                                               "for {}",
                                                               prefixText(*service, q.client))
                                                 : "");
  return answer;
}

std::string formatWhereIs(const WhereIsQuery& q, const WhereIsAnswer& a) {
  return fmt::format("{} <- {}: {} ({})", a.service.str(), RealKey{q.client, q.client_port}.str(),
                     a.real ? a.real->str() : "no real server", a.why);
}

}  // namespace keel::lb
