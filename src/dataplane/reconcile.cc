#include "dataplane/reconcile.h"

#include <fmt/format.h>

namespace keel::dataplane {

namespace {

bool sameSettings(const Service& a, const Service& b) {
  return a.scheduler == b.scheduler && a.scheduler_flags == b.scheduler_flags &&
         a.persistence_timeout == b.persistence_timeout &&
         a.persistence_prefix == b.persistence_prefix && a.one_packet == b.one_packet;
}

const Real& deref(const Real& r) { return r; }
const Service& deref(const ServicePtr& s) { return *s; }

// Walks two lists sorted by key and calls gone(old), same(old, new) and added(new); a Service
// shared by both tables is skipped.
template <typename T, typename Gone, typename Same, typename Added>
void mergeWalk(const std::vector<T>& from, const std::vector<T>& to, Gone gone, Same same,
               Added added) {
  auto a = from.begin();
  auto b = to.begin();
  while (a != from.end() || b != to.end()) {
    if (b == to.end() || (a != from.end() && deref(*a).key < deref(*b).key)) {
      gone(deref(*a++));
    } else if (a == from.end() || deref(*b).key < deref(*a).key) {
      added(deref(*b++));
    } else if (&deref(*a) == &deref(*b)) {
      ++a;
      ++b;
    } else {
      same(deref(*a++), deref(*b++));
    }
  }
}

void reconcileReals(const Service& from, const Service& to, std::vector<Operation>& ops) {
  std::vector<Operation> updates;
  std::vector<Operation> adds;
  mergeWalk(
      from.reals, to.reals,
      [&](const Real& r) {
        ops.push_back(RemoveReal{to.key, r.key});
      },
      [&](const Real& a, const Real& b) {
        if (!(a == b)) updates.push_back(UpdateReal{to.key, b});
      },
      [&](const Real& r) {
        adds.push_back(AddReal{to.key, r});
      });
  ops.insert(ops.end(), updates.begin(), updates.end());
  ops.insert(ops.end(), adds.begin(), adds.end());
}

}  // namespace

std::vector<Operation> reconcile(const ServiceTable& from, const ServiceTable& to) {
  std::vector<Operation> removals;
  std::vector<Operation> rest;
  mergeWalk(
      from.services, to.services,
      [&](const Service& s) { removals.push_back(RemoveService{s.key}); },
      [&](const Service& a, const Service& b) {
        if (!sameSettings(a, b)) {
          Service settings = b;
          settings.reals.clear();
          rest.push_back(UpdateService{std::move(settings)});
        }
        reconcileReals(a, b, rest);
      },
      [&](const Service& s) { rest.push_back(AddService{s}); });
  removals.insert(removals.end(), rest.begin(), rest.end());
  return removals;
}

namespace {

std::string realText(const Real& r) {
  return fmt::format("{} {} w{}{}", r.key.str(), forwardingName(r.forwarding), r.weight,
                     r.sorry ? " sorry" : "");
}

struct Describer {
  std::string operator()(const AddService& op) const {
    return fmt::format("add service {} {} ({} reals)", op.service.key.str(), op.service.scheduler,
                       op.service.reals.size());
  }
  std::string operator()(const UpdateService& op) const {
    return fmt::format("update service {} {}", op.service.key.str(), op.service.scheduler);
  }
  std::string operator()(const RemoveService& op) const {
    return fmt::format("remove service {}", op.key.str());
  }
  std::string operator()(const AddReal& op) const {
    return fmt::format("add real {} -> {}", op.service.str(), realText(op.real));
  }
  std::string operator()(const UpdateReal& op) const {
    return fmt::format("update real {} -> {}", op.service.str(), realText(op.real));
  }
  std::string operator()(const RemoveReal& op) const {
    return fmt::format("remove real {} -> {}", op.service.str(), op.real.str());
  }
};

}  // namespace

std::string describe(const Operation& op) { return std::visit(Describer{}, op); }

}  // namespace keel::dataplane
