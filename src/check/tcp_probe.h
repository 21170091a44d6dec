// TcpProbe: keepalived's TCP_CHECK (keepalived.md §1.14): an attempt succeeds when a
// non-blocking TCP connect to the target completes before the deadline, and fails on refusal,
// any socket error or the deadline. The connection is closed as soon as it is made; nothing is
// sent or read. Loop thread only.
#pragma once

#include <string>

#include "base/unique_fd.h"
#include "check/probe.h"

namespace keel::check {

class TcpProbe final : public Probe {
 public:
  TcpProbe(event::Loop& loop, ProbeTarget target);
  ~TcpProbe() override;
  TcpProbe(const TcpProbe&) = delete;
  TcpProbe& operator=(const TcpProbe&) = delete;

  void start(base::TimePoint deadline, Done done) override;
  void cancel() override;

 private:
  void onWritable();
  void finish(ProbeResult result);

  event::Loop& loop_;
  ProbeTarget target_;
  base::UniqueFd fd_;
  base::Timer timer_;  // the deadline, or an immediate report when the connect failed at once
  Done done_;
};

}  // namespace keel::check
