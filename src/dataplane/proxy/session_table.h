// The UDP session table of one proxy worker (docs/dataplane.md, "The proxy data plane"): a
// session per client address:port, holding the value the worker keeps for it (its connected
// socket to the real server), with an idle timeout and a cap. Pure: time comes in as an
// argument. Owned by one worker; that thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "base/address.h"

namespace keel::dataplane::proxy {

template <typename V>
class SessionTable {
 public:
  using Micros = std::chrono::microseconds;

  SessionTable(std::size_t capacity, Micros idle) : capacity_(capacity), idle_(idle) {}

  // The live session of `key`, its idle timer restarted; nullptr if there is none.
  V* touch(const base::Endpoint& key, Micros now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    it->second.last = now;
    return &it->second.value;
  }

  // Adds a session; false (and `value` is dropped) when the table is full or `key` exists.
  bool insert(const base::Endpoint& key, V value, Micros now) {
    if (entries_.size() >= capacity_) return false;
    return entries_.emplace(key, Entry{std::move(value), now}).second;
  }

  void erase(const base::Endpoint& key) { entries_.erase(key); }

  // Removes the sessions idle for `idle` or longer, and those `drop(value)` names, and returns
  // them.
  template <typename Pred>
  std::vector<std::pair<base::Endpoint, V>> expire(Micros now, Pred&& drop) {
    std::vector<std::pair<base::Endpoint, V>> out;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (now - it->second.last >= idle_ || drop(it->second.value)) {
        out.emplace_back(it->first, std::move(it->second.value));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  std::vector<std::pair<base::Endpoint, V>> expire(Micros now) {
    return expire(now, [](const V&) { return false; });
  }

  // Calls fn(key, value, expires_in) for each session.
  template <typename F>
  void forEach(Micros now, F&& fn) const {
    for (const auto& [key, e] : entries_) fn(key, e.value, idle_ - (now - e.last));
  }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    V value;
    Micros last;
  };
  std::size_t capacity_;
  Micros idle_;
  std::map<base::Endpoint, Entry> entries_;
};

}  // namespace keel::dataplane::proxy
