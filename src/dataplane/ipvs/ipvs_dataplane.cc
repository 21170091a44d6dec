#include "dataplane/ipvs/ipvs_dataplane.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "base/log.h"
#include "base/unique_fd.h"
#include "dataplane/ipvs/conn_table.h"

namespace keel::dataplane::ipvs {

namespace {

constexpr std::size_t kMaxConnFileBytes = 64 * 1024 * 1024;  // about 500k connections

base::Result<std::string> readFile(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return KEEL_SYS_ERROR(errno, "cannot open " + path);
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return KEEL_SYS_ERROR(errno, "cannot read " + path);
    if (n == 0 || out.size() >= kMaxConnFileBytes) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// Whether the running daemon `have` is the one asked for (a zero or unset setting of `want` is
// the kernel's default, whatever it is).
bool sameDaemon(const SyncDaemon& have, const SyncDaemon& want) {
  return have.interface == want.interface && have.sync_id == want.sync_id &&
         (want.max_len == 0 || have.max_len == want.max_len) &&
         (want.port == 0 || have.port == want.port) && (want.ttl == 0 || have.ttl == want.ttl) &&
         (!want.group || have.group == want.group);
}

std::vector<DesiredService> desiredOf(const lb::ServiceTable& table) {
  std::vector<DesiredService> out;
  out.reserve(table.services.size());
  for (const lb::ServicePtr& s : table.services) out.push_back(toIpvs(*s));
  return out;
}

// `modprobe -q ip_vs`, as keepalived does when IPVS is missing; false when it fails.
bool loadIpvsModule() {
  const char* argv[] = {"/sbin/modprobe", "-q", "ip_vs", nullptr};
  pid_t pid = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's argv is char* const*
  if (::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
      0) {
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

IpvsOptions optionsOf(const model::Config& config, bool keep_at_stop) {
  IpvsOptions o;
  o.flush_at_start = config.global.lvs_flush;
  o.flush_at_stop = config.global.lvs_flush_on_stop;
  o.keep_at_stop = keep_at_stop;
  o.timeouts = timeoutsOf(config.global.lvs_timeouts);
  return o;
}

base::Result<std::unique_ptr<IpvsDataplane>> IpvsDataplane::start(
    std::shared_ptr<const model::Config> config, IpvsOptions options) {
  auto socket = IpvsSocket::open();
  if (!socket && socket.error().code == base::ErrorCode::NotFound && options.load_module &&
      loadIpvsModule()) {
    socket = IpvsSocket::open();
  }
  if (!socket) return socket.error();
  std::unique_ptr<IpvsDataplane> dp(
      new IpvsDataplane(std::move(*socket), std::move(config), std::move(options)));
  KEEL_TRY(dp->prepare());
  base::logInfo("IPVS data plane started (connection table size {})", dp->table_size_);
  return dp;
}

// lvs_flush and lvs_timeouts, at start.
base::Status IpvsDataplane::prepare() {
  if (auto info = socket_->info()) table_size_ = info->conn_tab_size;
  if (options_.flush_at_start) {
    Message m = flush(socket_->family(), socket_->nextSeq());
    KEEL_TRY(socket_->request(m));
    base::logInfo("IPVS: every service flushed (lvs_flush)");
  }
  setTimeouts();
  return base::ok();
}

// lvs_timeouts, when any is set; a refusal is logged.
void IpvsDataplane::setTimeouts() {
  const IpvsTimeouts& t = options_.timeouts;
  if (t.tcp == 0 && t.tcp_fin == 0 && t.udp == 0) return;
  Message m = setConfig(socket_->family(), socket_->nextSeq(), t);
  if (auto s = socket_->request(m); !s) {
    base::logError("IPVS: lvs_timeouts not set: {}", s.error().str());
  }
}

IpvsDataplane::~IpvsDataplane() { release(); }

void IpvsDataplane::release() {
  for (std::uint32_t state : std::set<std::uint32_t>(daemons_)) {
    if (auto s = stopSyncDaemon(state); !s) base::logError("IPVS: {}", s.error().str());
  }
  if (options_.flush_at_stop) {
    Message m = flush(socket_->family(), socket_->nextSeq());
    if (auto s = socket_->request(m); !s) base::logError("IPVS: flush: {}", s.error().str());
    return;
  }
  if (options_.keep_at_stop) return;
  for (const IpvsServiceKey& key : owned_) {
    Message m = delService(socket_->family(), socket_->nextSeq(), key);
    if (auto s = socket_->request(m); !s && s.error().sys_errno != ESRCH) {
      base::logError("IPVS: cannot remove {}: {}", describe(key), s.error().str());
    }
  }
}

base::Status IpvsDataplane::apply(std::shared_ptr<const lb::ServiceTable> table) {
  if (!table) return base::ok();
  ++applies_;
  auto kernel = socket_->services();
  if (!kernel) {
    ++apply_errors_;
    return kernel.error();
  }
  const std::vector<DesiredService> desired = desiredOf(*table);
  const Plan p = plan(*kernel, desired, owned_);
  reportForeign(p.foreign);
  std::vector<std::string> failed;
  KEEL_TRY(execute(p, failed));
  for (const DesiredService& d : desired) owned_.insert(d.key);
  if (failed.empty()) return base::ok();
  ++apply_errors_;
  return base::makeError(base::ErrorCode::System,
                         fmt::format("IPVS refused {} of {} changes: {}", failed.size(),
                                     p.ops.size(), fmt::join(failed, "; ")));
}

// A changed or removed lvs_sync_daemon stops the daemons keel started; the VRRP states the daemon
// tells after a reload start them again under the new settings.
void IpvsDataplane::reload(std::shared_ptr<const model::Config> config) {
  if (!config) return;
  const bool changed =
      !config_ || config_->global.lvs_sync_daemon != config->global.lvs_sync_daemon;
  if (!config_ || config_->global.lvs_timeouts != config->global.lvs_timeouts) {
    options_.timeouts = timeoutsOf(config->global.lvs_timeouts);
    setTimeouts();
  }
  config_ = std::move(config);
  if (!changed) return;
  for (std::uint32_t state : std::set<std::uint32_t>(daemons_)) {
    if (auto s = stopSyncDaemon(state); !s) base::logError("IPVS: {}", s.error().str());
  }
}

void IpvsDataplane::vrrpState(const std::string& instance, bool master) {
  if (!config_) return;
  const std::optional<SyncDaemon> d = syncDaemonFor(*config_, instance, master);
  if (!d) return;
  if (auto s = setSyncRole(*d); !s) {
    base::logError("{}", s.error().str());
    return;
  }
  base::logInfo("IPVS sync daemon: {} on {} (syncid {}) for {}", master ? "master" : "backup",
                d->interface, d->sync_id, instance);
}

base::Result<void> IpvsDataplane::execute(const Plan& p, std::vector<std::string>& failed) {
  const std::uint16_t family = socket_->family();
  for (const Op& op : p.ops) {
    const std::uint32_t seq = socket_->nextSeq();
    Message m = std::visit(
        [&](const auto& o) -> Message {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, NewService>) {
            return newService(family, seq, o.key, o.config);
          } else if constexpr (std::is_same_v<T, SetService>) {
            return setService(family, seq, o.key, o.config);
          } else if constexpr (std::is_same_v<T, DelService>) {
            return delService(family, seq, o.key);
          } else if constexpr (std::is_same_v<T, NewDest>) {
            return newDest(family, seq, o.service, o.dest);
          } else if constexpr (std::is_same_v<T, SetDest>) {
            return setDest(family, seq, o.service, o.dest);
          } else {
            return delDest(family, seq, o.service, o.dest);
          }
        },
        op);
    ++operations_;
    auto s = socket_->request(m);
    base::logDebug("IPVS: {}{}", describe(op), s ? "" : ": " + s.error().str());
    if (!s) {
      failed.push_back(fmt::format("{}: {}", describe(op), s.error().str()));
      continue;
    }
    if (const auto* del = std::get_if<DelService>(&op)) owned_.erase(del->key);
    if (const auto* add = std::get_if<NewService>(&op)) owned_.insert(add->key);
  }
  return base::ok();
}

void IpvsDataplane::reportForeign(const std::vector<IpvsServiceKey>& foreign) {
  for (const IpvsServiceKey& key : foreign) {
    if (reported_.insert(key).second) {
      base::logWarning("IPVS service {} is not keel's (not in the configuration): left alone",
                       describe(key));
    }
  }
}

base::Result<std::vector<ServiceStats>> IpvsDataplane::stats() const {
  auto kernel = socket_->services();
  if (!kernel) return kernel.error();
  std::vector<ServiceStats> out;
  for (const IpvsService& s : *kernel) {
    if (owned_.count(s.key) == 0) continue;
    ServiceStats stats{serviceKey(s.key), ipvs::counters(s.stats), {}};
    for (const IpvsDest& d : s.dests) {
      stats.reals.push_back(
          {realKey(d.config), ipvs::counters(d.stats), d.active_conns, d.inactive_conns});
    }
    out.push_back(std::move(stats));
  }
  return out;
}

base::Result<std::vector<std::pair<std::string, std::uint64_t>>> IpvsDataplane::counters() const {
  return std::vector<std::pair<std::string, std::uint64_t>>{{"applies", applies_},
                                                            {"apply_errors", apply_errors_},
                                                            {"operations", operations_},
                                                            {"owned_services", owned_.size()},
                                                            {"foreign_services", reported_.size()},
                                                            {"conn_tab_size", table_size_}};
}

base::Result<std::vector<Connection>> IpvsDataplane::connections(std::size_t limit) const {
  auto text = readFile(options_.conn_file);
  if (!text) return text.error();
  return parseConnections(*text, limit);
}

base::Result<void> IpvsDataplane::setSyncRole(const SyncDaemon& daemon) {
  auto running = socket_->daemons();
  if (!running) return running.error();
  for (const SyncDaemon& d : *running) {
    if (d.state != daemon.state) {
      Message m = delDaemon(socket_->family(), socket_->nextSeq(), d.state);
      KEEL_TRY(socket_->request(m));
      daemons_.erase(d.state);
      continue;
    }
    if (sameDaemon(d, daemon)) {
      daemons_.insert(daemon.state);
      return base::ok();
    }
    Message m = delDaemon(socket_->family(), socket_->nextSeq(), daemon.state);
    KEEL_TRY(socket_->request(m));
  }
  Message m = newDaemon(socket_->family(), socket_->nextSeq(), daemon);
  if (auto s = socket_->request(m); !s) {
    return base::makeError(base::ErrorCode::System,
                           fmt::format("IPVS sync daemon ({} on {}, syncid {}) not started: {}",
                                       daemon.state == kSyncMaster ? "master" : "backup",
                                       daemon.interface, daemon.sync_id, s.error().str()));
  }
  daemons_.insert(daemon.state);
  return base::ok();
}

base::Result<void> IpvsDataplane::stopSyncDaemon(std::uint32_t state) {
  if (daemons_.erase(state) == 0) return base::ok();
  Message m = delDaemon(socket_->family(), socket_->nextSeq(), state);
  if (auto s = socket_->request(m); !s && s.error().sys_errno != ESRCH) return s.error();
  return base::ok();
}

base::Result<std::vector<SyncDaemon>> IpvsDataplane::syncDaemons() const {
  return socket_->daemons();
}

}  // namespace keel::dataplane::ipvs
