// Test helpers for the scheduler tests: building destinations and flows from text, making a
// scheduler by name and collecting a run of picks.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb/scheduler.h"

namespace keel::lb::testing {

inline base::IpAddress ip(std::string_view text) {
  auto a = base::IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a ? *a : base::IpAddress{};
}

// A destination 198.18.1.<n>:80 (or the given address) with its weight and counters.
inline Dest dest(int n, int weight, std::uint32_t active = 0, std::uint32_t inactive = 0,
                 bool overloaded = false) {
  Dest d;
  d.key = {ip("198.18.1." + std::to_string(n)), 80};
  d.weight = weight;
  d.active = active;
  d.inactive = inactive;
  d.overloaded = overloaded;
  return d;
}

inline Flow flow(std::string_view client, std::uint16_t port = 40000,
                 std::string_view vip = "198.18.0.100") {
  Flow f;
  f.client = ip(client);
  f.client_port = port;
  f.vip = ip(vip);
  f.vport = 80;
  return f;
}

inline std::unique_ptr<Scheduler> make(std::string_view name, std::vector<std::string> flags = {}) {
  auto s = makeScheduler(name, flags);
  EXPECT_TRUE(s.has_value()) << name << ": " << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

// `n` picks of the same flow; a nullopt pick shows as -1.
inline std::vector<int> picks(Scheduler& s, const std::vector<Dest>& dests, int n,
                              const Flow& f = flow("10.0.0.1"), PickContext ctx = {}) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    std::optional<std::size_t> p = s.pick(dests, f, ctx);
    out.push_back(p ? static_cast<int>(*p) : -1);
  }
  return out;
}

}  // namespace keel::lb::testing
