// The notify FIFOs a configuration names (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo), made
// as keepalived makes them: a path that does not exist is created as a FIFO (mode 0660, owned by
// the user and group written after it) and removed again when keeld no longer names it or
// exits; a path that exists and is not a FIFO is reported and left alone (writeFifoLine() never
// writes to one). Owned by app's Daemon; loop thread only.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace keel::event {

struct FifoSpec {
  std::string path;
  std::string user;   // empty: keeld's own
  std::string group;  // empty: the user's primary group
};

class NotifyFifos {
 public:
  NotifyFifos() = default;
  NotifyFifos(const NotifyFifos&) = delete;
  NotifyFifos& operator=(const NotifyFifos&) = delete;
  ~NotifyFifos();  // removes the FIFOs it created

  // At start and after each reload: creates what is missing, removes what it created and the
  // configuration no longer names. Problems are logged, never fatal (a FIFO is advisory).
  void apply(const std::vector<FifoSpec>& wanted);

  const std::set<std::string>& created() const { return created_; }

 private:
  std::set<std::string> created_;
};

}  // namespace keel::event
