#include "check/manager.h"

#include <algorithm>
#include <limits>
#include <random>
#include <utility>

#include "base/log.h"
#include "check/file_check.h"
#include "check/names.h"
#include "model/validate.h"

namespace keel::check {

struct CheckManager::CheckerEntry {
  model::Checker config;
  std::string virtualhost;
  std::string kind;
  std::unique_ptr<Checker> checker;  // null: the kind is not supported
  std::string unsupported;           // why, when checker is null
  std::optional<int> weight;         // the last weight the probe reported (misc_dynamic)
  // FILE_CHECK: the track file, its weight and reverse (the checker's, else the track file's),
  // and the verdict on its last value.
  struct File {
    std::string name;
    int weight = 1;
    bool reverse = false;
    FileVerdict verdict;
  };
  std::optional<File> file;
  // BFD_CHECK: the session and whether the checker is up.
  struct Bfd {
    std::string name;
    bool up = true;
  };
  std::optional<Bfd> bfd;
};

struct CheckManager::RealEntry {
  std::string vs_text;  // "[10.0.0.1]:tcp:80"
  std::string rs_text;  // "[10.0.0.2]:tcp:80"
  int configured_weight = 1;
  bool ha_suspend = false;
  std::optional<base::IpAddress> vs_address;
  std::vector<std::unique_ptr<CheckerEntry>> checkers;
  bool alive = true;
  std::optional<int> weight;
};

namespace {

std::string virtualhostOf(const model::VirtualServer& vs, const model::Checker& checker) {
  if (const auto* http = std::get_if<model::HttpCheck>(&checker.kind)) {
    if (!http->virtualhost.empty()) return http->virtualhost;
  }
  return vs.virtualhost;
}

CheckManager::Random defaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

CheckManager::CheckManager(event::Loop& loop, std::shared_ptr<const model::Config> config,
                           ProbeFactory factory, OnHealth on_health, Random random)
    : loop_(loop),
      factory_(std::move(factory)),
      on_health_(std::move(on_health)),
      random_(random ? std::move(random) : defaultRandom()),
      files_(loop, [this](const std::vector<event::TrackFileChange>& c) { onTrackFiles(c); }) {
  reload(std::move(config));
}

CheckManager::~CheckManager() = default;

void CheckManager::reload(std::shared_ptr<const model::Config> config) {
  const std::shared_ptr<const model::Config> before = std::move(config_);
  config_ = std::move(config);
  watchTrackFiles(before.get());
  Reals old = std::move(reals_);
  reals_.clear();
  Reals fresh = build(*config_, old);
  std::vector<model::HealthEvent> events;
  for (const auto& [id, real] : fresh) {
    auto it = old.find(id);
    if (it == old.end()) continue;
    if (real->alive != it->second->alive || real->weight != it->second->weight) {
      events.push_back({id, real->alive, real->weight});
    }
  }
  reals_ = std::move(fresh);
  old.clear();  // removed checkers stop here
  for (const model::HealthEvent& event : events) on_health_(event);
}

CheckManager::Reals CheckManager::build(const model::Config& config, Reals& old) {
  Reals out;
  for (const model::VirtualServer& vs : config.virtual_servers) {
    const model::VirtualServerId vs_id = model::VirtualServerId::of(vs);
    for (const model::RealServer& rs : vs.real_servers) {
      model::RealServerId id{vs_id, rs.address, rs.port};
      if (out.count(id) != 0) continue;  // a duplicate real server: validate reports it
      auto prev = old.find(id);
      RealEntry* prev_entry = prev != old.end() ? prev->second.get() : nullptr;
      auto entry = buildReal(vs, rs, id, prev_entry);
      out.emplace(std::move(id), std::move(entry));
    }
  }
  return out;
}

std::unique_ptr<CheckManager::RealEntry> CheckManager::buildReal(const model::VirtualServer& vs,
                                                                 const model::RealServer& rs,
                                                                 const model::RealServerId& id,
                                                                 RealEntry* old) {
  auto real = std::make_unique<RealEntry>();
  real->vs_text = virtualServerText(vs);
  real->rs_text = realServerText(vs, rs);
  real->configured_weight = rs.weight;
  real->ha_suspend = vs.ha_suspend;
  if (const auto* a = std::get_if<model::VsAddress>(&vs.key)) real->vs_address = a->address;
  std::vector<std::size_t> started;
  for (std::size_t i = 0; i < rs.checkers.size(); ++i) {
    const model::Checker& wanted = rs.checkers[i];
    if (std::holds_alternative<model::FileCheck>(wanted.kind)) {
      real->checkers.push_back(makeFileChecker(rs, i));  // no state but the file's value
      continue;
    }
    if (std::holds_alternative<model::BfdCheck>(wanted.kind)) {
      real->checkers.push_back(makeBfdChecker(rs, i));  // no state but the session's
      continue;
    }
    if (old != nullptr && i < old->checkers.size() && old->checkers[i] &&
        old->checkers[i]->config == wanted &&
        old->checkers[i]->virtualhost == virtualhostOf(vs, wanted)) {
      real->checkers.push_back(std::move(old->checkers[i]));
      continue;
    }
    real->checkers.push_back(makeChecker(vs, rs, id, i));
    started.push_back(i);
  }
  real->alive = computeAlive(*real);
  real->weight = computeWeight(*real);
  const bool suspend = suspended(*real);
  for (const auto& entry : real->checkers) {
    if (!entry->checker) continue;
    if (suspend) {
      entry->checker->pause();
    } else {
      entry->checker->resume();
    }
  }
  for (std::size_t i : started) {
    Checker* c = real->checkers[i]->checker.get();
    if (c == nullptr) continue;
    base::logInfo("{}ctivating healthchecker for service {} for VS {}", suspend ? "Dea" : "A",
                  real->rs_text, real->vs_text);
    c->start(random_());
  }
  return real;
}

std::unique_ptr<CheckManager::CheckerEntry> CheckManager::makeChecker(
    const model::VirtualServer& vs, const model::RealServer& rs, const model::RealServerId& id,
    std::size_t index) {
  auto entry = std::make_unique<CheckerEntry>();
  entry->config = rs.checkers[index];
  entry->virtualhost = virtualhostOf(vs, entry->config);
  entry->kind = checkerKindName(entry->config);
  const ProbeTarget target =
      resolveTarget(entry->config, base::Endpoint(rs.address, rs.port), entry->virtualhost);
  base::Result<std::unique_ptr<Probe>> probe = factory_(loop_, entry->config, target);
  if (!probe || !*probe) {
    entry->unsupported = probe ? "no probe" : probe.error().str();
    base::logWarning("{} for service {} of VS {} ignored: {}", entry->kind, realServerText(vs, rs),
                     virtualServerText(vs), entry->unsupported);
    return entry;
  }
  entry->checker = std::make_unique<Checker>(
      loop_, entry->config, std::move(*probe),
      [this, id, index](const CheckDecision& decision, const ProbeResult& result) {
        onResult(id, index, decision, result);
      });
  return entry;
}

std::unique_ptr<CheckManager::CheckerEntry> CheckManager::makeFileChecker(
    const model::RealServer& rs, std::size_t index) {
  auto entry = std::make_unique<CheckerEntry>();
  entry->config = rs.checkers[index];
  entry->kind = checkerKindName(entry->config);
  const auto& check = std::get<model::FileCheck>(entry->config.kind);
  const auto& files = config_->track_files;
  auto tf = std::find_if(files.begin(), files.end(),
                         [&](const model::TrackFile& f) { return f.name == check.track_file; });
  if (tf == files.end()) {  // model/validate.cc refuses it; never up on a dangling name
    entry->file = CheckerEntry::File{check.track_file, 0, true, {false, 0}};
    return entry;
  }
  CheckerEntry::File file{tf->name, tf->weight, tf->weight_reverse, {}};
  if (check.weight) {
    file.weight = *check.weight;
    file.reverse = check.weight_reverse;
  }
  file.verdict = judgeTrackFile(files_.value(tf->name), file.weight, file.reverse);
  entry->file = std::move(file);
  return entry;
}

std::unique_ptr<CheckManager::CheckerEntry> CheckManager::makeBfdChecker(
    const model::RealServer& rs, std::size_t index) {
  auto entry = std::make_unique<CheckerEntry>();
  entry->config = rs.checkers[index];
  entry->kind = checkerKindName(entry->config);
  const std::string& name = std::get<model::BfdCheck>(entry->config.kind).name;
  auto known = bfd_up_.find(name);
  entry->bfd =
      CheckerEntry::Bfd{name, known != bfd_up_.end() ? known->second : !entry->config.timing.alpha};
  return entry;
}

void CheckManager::setBfdState(const std::string& session, bool up) {
  auto [it, inserted] = bfd_up_.try_emplace(session, up);
  if (!inserted && it->second == up) return;
  it->second = up;
  for (const auto& [id, real] : reals_) {
    bool touched = false;
    for (const auto& entry : real->checkers) {
      if (!entry->bfd || entry->bfd->name != session || entry->bfd->up == up) continue;
      base::logInfo("BFD check of [{}] RS({}) is {}", session, real->rs_text, up ? "UP" : "DOWN");
      entry->bfd->up = up;
      touched = true;
    }
    if (touched) updateReal(id, *real);
  }
}

// The track files some FILE_CHECK names, with init_file applied to those new to this
// configuration (or changed).
void CheckManager::watchTrackFiles(const model::Config* before) {
  std::map<std::string, std::string> paths;
  for (const model::TrackFile& tf : config_->track_files) {
    const bool used = std::any_of(
        config_->virtual_servers.begin(), config_->virtual_servers.end(), [&](const auto& vs) {
          return std::any_of(vs.real_servers.begin(), vs.real_servers.end(), [&](const auto& rs) {
            return std::any_of(rs.checkers.begin(), rs.checkers.end(), [&](const auto& c) {
              const auto* f = std::get_if<model::FileCheck>(&c.kind);
              return f != nullptr && f->track_file == tf.name;
            });
          });
        });
    if (!used) continue;
    paths.emplace(tf.name, tf.file);
    const bool known = before != nullptr &&
                       std::find(before->track_files.begin(), before->track_files.end(), tf) !=
                           before->track_files.end();
    if (!tf.init_file || known) continue;
    if (auto st = event::initTrackFile(tf.file, *tf.init_file, tf.init_file_overwrite); !st) {
      base::logWarning("track_file {} cannot initialise {}: {}", tf.name, tf.file,
                       st.error().str());
    }
  }
  files_.setFiles(paths);
}

void CheckManager::onTrackFiles(const std::vector<event::TrackFileChange>& changes) {
  for (const auto& [id, real] : reals_) {
    bool touched = false;
    for (const auto& entry : real->checkers) {
      if (!entry->file) continue;
      auto change = std::find_if(changes.begin(), changes.end(),
                                 [&](const auto& c) { return c.name == entry->file->name; });
      if (change == changes.end()) continue;
      const FileVerdict verdict =
          judgeTrackFile(change->after, entry->file->weight, entry->file->reverse);
      if (verdict == entry->file->verdict) continue;
      if (verdict.up != entry->file->verdict.up) {
        base::logInfo("FILE_CHECK on service {} {}: track_file {} value {}", real->rs_text,
                      verdict.up ? "succeeded" : "failed", change->name, change->after);
      }
      entry->file->verdict = verdict;
      touched = true;
    }
    if (touched) updateReal(id, *real);
  }
}

void CheckManager::updateReal(const model::RealServerId& id, RealEntry& real) {
  const bool alive = computeAlive(real);
  const std::optional<int> weight = computeWeight(real);
  if (alive == real.alive && weight == real.weight) return;
  real.alive = alive;
  real.weight = weight;
  on_health_(model::HealthEvent{id, alive, weight});
}

void CheckManager::onResult(const model::RealServerId& id, std::size_t index,
                            const CheckDecision& decision, const ProbeResult& result) {
  auto it = reals_.find(id);
  if (it == reals_.end() || index >= it->second->checkers.size()) return;
  RealEntry& real = *it->second;
  CheckerEntry& entry = *real.checkers[index];
  logResult(real, entry, decision, result);
  if (result.ok && result.weight) entry.weight = result.weight;
  updateReal(id, real);
}

void CheckManager::logResult(const RealEntry& real, const CheckerEntry& entry,
                             const CheckDecision& decision, const ProbeResult& result) const {
  const bool tcp = std::holds_alternative<model::TcpCheck>(entry.config.kind);
  if (decision.log_attempt_failure) {
    if (tcp) {
      base::logInfo("TCP connection to {} {}.", real.rs_text,
                    result.reason == "timeout" ? "timedout" : "failed");
    } else {
      base::logInfo("{} on service {} failed: {}.", entry.kind, real.rs_text, result.reason);
    }
  }
  if (!result.ok) base::logDebug("{} on service {}: {}", entry.kind, real.rs_text, result.reason);
  switch (decision.log) {
    case CheckLog::None:
      break;
    case CheckLog::Success:
      if (tcp) {
        base::logInfo("TCP connection to {} success.", real.rs_text);
      } else {
        base::logInfo("{} on service {} succeeded.", entry.kind, real.rs_text);
      }
      break;
    case CheckLog::Failed:
      base::logInfo("{} on service {} failed.", entry.kind, real.rs_text);
      break;
    case CheckLog::FailedAfterRetries:
      base::logInfo("{} on service {} failed after {} retries.", entry.kind, real.rs_text,
                    entry.config.timing.retry);
      break;
  }
}

bool CheckManager::computeAlive(const RealEntry& real) {
  for (const auto& entry : real.checkers) {
    if (entry->checker && !entry->checker->up()) return false;
    if (entry->file && !entry->file->verdict.up) return false;
    if (entry->bfd && !entry->bfd->up) return false;
  }
  return true;
}

// docs/reference/keepalived.md §3.3: configured weight plus each dynamic checker's delta (a
// misc_dynamic checker reports the weight it would give the real server alone; a weighted
// FILE_CHECK its value times its weight), limited to 0..INT_MAX as keepalived's real_weight().
std::optional<int> CheckManager::computeWeight(const RealEntry& real) {
  bool dynamic = false;
  std::int64_t total = real.configured_weight;
  for (const auto& entry : real.checkers) {
    if (entry->weight) {
      total += *entry->weight - real.configured_weight;
      dynamic = true;
    }
    if (entry->file && entry->file->weight != 0) {
      total += entry->file->verdict.weight_delta;
      dynamic = true;
    }
  }
  if (!dynamic) return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(total, 0, std::numeric_limits<int>::max()));
}

bool CheckManager::suspended(const RealEntry& real) const {
  return real.ha_suspend && real.vs_address && present_.count(*real.vs_address) == 0;
}

void CheckManager::setAddressPresent(const base::IpAddress& address, bool present) {
  if (present ? !present_.insert(address).second : present_.erase(address) == 0) return;
  for (const auto& [id, real] : reals_) {
    if (!real->ha_suspend || real->vs_address != address) continue;
    base::logInfo("{} healthchecker for service {} for VS {}",
                  present ? "Activating" : "Suspending", real->rs_text, real->vs_text);
    for (const auto& entry : real->checkers) {
      if (!entry->checker) continue;
      if (present) {
        entry->checker->resume();
      } else {
        entry->checker->pause();
      }
    }
  }
}

std::optional<bool> CheckManager::alive(const model::RealServerId& real) const {
  auto it = reals_.find(real);
  if (it == reals_.end()) return std::nullopt;
  return it->second->alive;
}

std::optional<int> CheckManager::weight(const model::RealServerId& real) const {
  auto it = reals_.find(real);
  if (it == reals_.end()) return std::nullopt;
  return it->second->weight;
}

std::vector<RealServerStatus> CheckManager::status() const {
  std::vector<RealServerStatus> out;
  for (const auto& [id, real] : reals_) {
    RealServerStatus s{id, real->alive, real->weight, {}};
    for (const auto& entry : real->checkers) {
      CheckerStatus c;
      c.kind = entry->kind;
      c.supported = entry->checker != nullptr || entry->file || entry->bfd;
      if (entry->file) {
        c.up = entry->file->verdict.up;
        c.has_run = true;
        c.last_reason = "track_file " + entry->file->name + " value " +
                        std::to_string(files_.value(entry->file->name));
      } else if (entry->bfd) {
        c.up = entry->bfd->up;
        c.has_run = bfd_up_.contains(entry->bfd->name);
        c.last_reason = "bfd_instance " + entry->bfd->name;
      } else if (entry->checker) {
        c.up = entry->checker->up();
        c.has_run = entry->checker->state().hasRun();
        c.paused = entry->checker->paused();
        c.retries_done = entry->checker->state().retriesDone();
        c.last_reason = entry->checker->lastReason();
        c.last_duration = entry->checker->lastDuration();
        c.no_descriptor = entry->checker->noDescriptor();
      } else {
        c.last_reason = entry->unsupported;
      }
      s.checkers.push_back(std::move(c));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace keel::check
