// What a backend must do to move from one ServiceTable to the next: the smallest list of
// operations keyed by identity (service key; real key within its service). A change to one real
// server yields one operation on that real. Pure; any thread.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "dataplane/service_table.h"

namespace keel::dataplane {

struct AddService {
  Service service;  // with its reals; they get no separate AddReal
};
struct UpdateService {
  Service service;  // scheduler, flags, persistence or ops changed; reals are diffed separately
};
struct RemoveService {
  ServiceKey key;
};
struct AddReal {
  ServiceKey service;
  Real real;
};
struct UpdateReal {
  ServiceKey service;
  Real real;  // weight, forwarding, thresholds or the sorry flag changed
};
struct RemoveReal {
  ServiceKey service;
  RealKey real;
};

using Operation =
    std::variant<AddService, UpdateService, RemoveService, AddReal, UpdateReal, RemoveReal>;

// The operations that turn `from` into `to`, in an order a backend may apply them one by one:
// services removed, then services updated or added, and within a service reals removed, updated,
// then added. An identical table gives no operations.
std::vector<Operation> reconcile(const ServiceTable& from, const ServiceTable& to);

// "add real TCP 198.18.0.100:80 -> 198.18.0.1:80 Route w1", one line per operation.
std::string describe(const Operation& op);

}  // namespace keel::dataplane
