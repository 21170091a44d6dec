// CheckManager: every health checker of a configuration (docs/reference/keepalived.md §3.2-3.3).
// For each real server of each virtual server it runs one Checker per configured checker; a real
// server is alive iff all its checkers are UP (no checkers: always alive). FILE_CHECKs have no
// probe: the manager watches their track files (event/track_file.h) and judges each value
// (file_check.h) as it changes; BFD_CHECKs follow the session states setBfdState() reports. Every
// change of a real server's aliveness or dynamic weight goes out as a model::HealthEvent; app feeds
// those to lb and runs the notify scripts. Reload keeps the state of every checker whose identity
// stays (virtual server name, real server address:port, checker index and equal settings). Owned by
// app; loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "check/checker.h"
#include "check/probe.h"
#include "event/loop.h"
#include "event/track_file.h"
#include "model/config.h"
#include "model/health.h"

namespace keel::check {

// Makes the probe for one checker; an error means the kind cannot be checked (the checker is
// then left out of the real server's aliveness, with a warning).
using ProbeFactory = std::function<base::Result<std::unique_ptr<Probe>>(
    event::Loop& loop, const model::Checker& checker, const ProbeTarget& target)>;

struct CheckerStatus {
  std::string kind;  // "TCP_CHECK", ...
  bool supported = true;
  bool up = true;
  bool has_run = false;
  bool paused = false;
  int retries_done = 0;
  std::string last_reason;                      // why the last attempt failed (or why unsupported)
  std::optional<base::Duration> last_duration;  // of the last finished attempt
  std::uint64_t no_descriptor = 0;  // attempts that could not open a socket (no verdict)
};

struct RealServerStatus {
  model::RealServerId id;
  bool alive = true;
  std::optional<int> weight;  // dynamic weight, when a checker reported one
  std::vector<CheckerStatus> checkers;
};

class CheckManager {
 public:
  using OnHealth = std::function<void(const model::HealthEvent&)>;
  using Random = std::function<double()>;  // uniform in [0, 1]: spreads first runs over warmup

  // Starts every checker as at boot (UP, or DOWN with alpha); emits nothing until a result
  // changes something. Checkers of an ha_suspend virtual server start paused until
  // setAddressPresent() reports its address. `random` unset: a seeded PRNG.
  CheckManager(event::Loop& loop, std::shared_ptr<const model::Config> config, ProbeFactory factory,
               OnHealth on_health, Random random = {});
  ~CheckManager();
  CheckManager(const CheckManager&) = delete;
  CheckManager& operator=(const CheckManager&) = delete;

  // Keeps matched checkers running with their state, starts new ones as at boot, drops removed
  // ones. Emits a HealthEvent for each kept real server whose aliveness or weight changes.
  void reload(std::shared_ptr<const model::Config> config);

  // ha_suspend: whether a virtual server address is configured on this host. Checkers of
  // ha_suspend virtual servers at that address run only while it is.
  void setAddressPresent(const base::IpAddress& address, bool present);

  // BFD_CHECK: a bfd_instance's session is Up or not (keeld posts it from the BFD thread's
  // events). Before the first report a BFD_CHECK is UP, or DOWN with alpha.
  void setBfdState(const std::string& session, bool up);

  std::optional<bool> alive(const model::RealServerId& real) const;
  std::optional<int> weight(const model::RealServerId& real) const;
  std::vector<RealServerStatus> status() const;

 private:
  struct CheckerEntry;
  struct RealEntry;
  using Reals = std::map<model::RealServerId, std::unique_ptr<RealEntry>>;

  Reals build(const model::Config& config, Reals& old);
  std::unique_ptr<RealEntry> buildReal(const model::VirtualServer& vs, const model::RealServer& rs,
                                       const model::RealServerId& id, RealEntry* old);
  std::unique_ptr<CheckerEntry> makeChecker(const model::VirtualServer& vs,
                                            const model::RealServer& rs,
                                            const model::RealServerId& id, std::size_t index);
  void onResult(const model::RealServerId& id, std::size_t index, const CheckDecision& decision,
                const ProbeResult& result);
  void logResult(const RealEntry& real, const CheckerEntry& entry, const CheckDecision& decision,
                 const ProbeResult& result) const;
  std::unique_ptr<CheckerEntry> makeFileChecker(const model::RealServer& rs, std::size_t index);
  std::unique_ptr<CheckerEntry> makeBfdChecker(const model::RealServer& rs, std::size_t index);
  void watchTrackFiles(const model::Config* before);
  void onTrackFiles(const std::vector<event::TrackFileChange>& changes);
  void updateReal(const model::RealServerId& id, RealEntry& real);
  static bool computeAlive(const RealEntry& real);
  static std::optional<int> computeWeight(const RealEntry& real);
  bool suspended(const RealEntry& real) const;

  event::Loop& loop_;
  std::shared_ptr<const model::Config> config_;
  ProbeFactory factory_;
  OnHealth on_health_;
  Random random_;
  std::set<base::IpAddress> present_;  // addresses setAddressPresent() reported
  Reals reals_;
  event::TrackFileWatcher files_;       // the track files FILE_CHECKs name
  std::map<std::string, bool> bfd_up_;  // bfd_instance name -> Up, as last reported
};

}  // namespace keel::check
