// TcpProbe: keepalived's TCP_CHECK (docs/reference/keepalived.md §1.14): an attempt succeeds when a
// non-blocking TCP connect to the target completes before the deadline, and fails on refusal,
// any socket error or the deadline. The connection is closed as soon as it is made; nothing is
// sent or read. Loop thread only.
#pragma once

#include <string>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

class TcpProbe final : public SocketProbe {
 public:
  TcpProbe(event::Loop& loop, ProbeTarget target);

  void start(base::TimePoint deadline, Done done) override;

 private:
  void onWritable();

  ProbeTarget target_;
};

}  // namespace keel::check
