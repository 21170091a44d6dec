#include "app/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "app/control_views.h"
#include "app/dataplane_wiring.h"
#include "app/runtime_dir.h"
#include "app/services.h"
#include "base/log.h"
#include "ctl/config_json.h"
#include "ctl/ipvsadm.h"
#include "ctl/protocol.h"
#include "lb/whereis.h"
#include "vrrp/engine_thread.h"

namespace keel::app {

namespace {

using nlohmann::ordered_json;

constexpr base::Duration kRateInterval = std::chrono::seconds(2);  // as IPVS's estimator
constexpr std::size_t kMaxConnectionsListed = 10000;

// Root and keeld's own user only; the socket's 0600 mode already keeps others from connecting,
// this holds when the mode is changed by hand.
bool peerAllowed(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == 0 || cred.uid == ::geteuid();
}

base::Result<ordered_json> error(std::string message) {
  return base::makeError(base::ErrorCode::InvalidArgument, std::move(message));
}

class OperationsImpl final : public Operations {
 public:
  OperationsImpl(event::Loop& loop, ControlSources sources)
      : loop_(loop), sources_(std::move(sources)), rate_timer_(loop.clock()) {}
  ~OperationsImpl() override {
    if (!socket_path_.empty()) (void)::unlink(socket_path_.c_str());
    // A directory keeld made goes with it unless something else (keel.stats, ...) is left.
    if (!created_dir_.empty()) (void)::rmdir(created_dir_.c_str());
  }
  OperationsImpl(const OperationsImpl&) = delete;
  OperationsImpl& operator=(const OperationsImpl&) = delete;

  base::Status start(const std::string& runtime_dir);
  const ctl::ServerCounters& controlCounters() const override { return control_->counters(); }

 private:
  std::string serve(std::string_view line);
  base::Result<ordered_json> dispatch(const ctl::Request& r);
  base::Result<ordered_json> list(const ctl::Request& r);
  base::Result<ordered_json> connections();
  base::Result<ordered_json> vrrp(const ctl::Request& r);
  base::Result<ordered_json> checks();
  base::Result<ordered_json> whereis(const ctl::Request& r);
  base::Result<ordered_json> reload();
  base::Result<ordered_json> dump();
  std::string metrics() const;
  void startMetrics();
  void sampleRates();
  std::shared_ptr<const dataplane::ServiceTable> table() const;

  event::Loop& loop_;
  ControlSources sources_;
  std::unique_ptr<ctl::StreamServer> control_;
  std::unique_ptr<ctl::StreamServer> metrics_;
  base::Timer rate_timer_;
  std::vector<dataplane::ServiceStats> last_stats_;
  std::vector<dataplane::ServiceStats> rates_;
  base::TimePoint last_sample_{};
  std::string socket_path_;  // removed on stop
  std::string created_dir_;  // the runtime dir if keeld made it: removed on stop when empty
};

base::Status OperationsImpl::start(const std::string& runtime_dir) {
  struct stat st {};
  if (::stat(runtime_dir.c_str(), &st) != 0) created_dir_ = runtime_dir;
  if (auto s = makeRuntimeDir(runtime_dir); !s) return s;
  const std::string path = runtime_dir + "/keel.sock";
  auto fd = ctl::listenUnix(path);
  if (!fd) return fd.error();
  ctl::StreamServer::Options o;
  o.framer = ctl::lineLength;
  o.handler = [this](std::string_view line) {
    return ctl::StreamServer::Reply{serve(line), false};
  };
  o.admit = peerAllowed;
  o.oversized_reply = ctl::errorResponse("request too large");
  auto server = ctl::StreamServer::create(loop_, std::move(*fd), std::move(o));
  if (!server) return server.error();
  control_ = std::move(*server);
  socket_path_ = path;
  base::logInfo("Control socket {}", path);
  startMetrics();
  sampleRates();
  return base::ok();
}

void OperationsImpl::startMetrics() {
  auto config = sources_.config ? sources_.config() : nullptr;
  if (!config || config->global.keel_metrics_listen.empty()) return;
  const std::string& where = config->global.keel_metrics_listen;
  auto fd = ctl::listenTcp(where);
  if (!fd) {
    base::logError("Metrics not served on {}: {}", where, fd.error().str());
    return;
  }
  ctl::StreamServer::Options o;
  o.limits.max_request = 8 * 1024;
  o.limits.max_connections = 16;
  o.framer = ctl::httpHeadLength;
  o.handler = [this](std::string_view head) {
    return ctl::StreamServer::Reply{ctl::httpResponse(head, metrics()), true};
  };
  o.oversized_reply = ctl::httpResponse("", "");
  auto server = ctl::StreamServer::create(loop_, std::move(*fd), std::move(o));
  if (!server) {
    base::logError("Metrics not served on {}: {}", where, server.error().str());
    return;
  }
  metrics_ = std::move(*server);
  base::logInfo("Metrics on http://{}/metrics", where);
}

// Every kRateInterval: the per-second rates of `keelctl -Ln --rate` over the last interval.
void OperationsImpl::sampleRates() {
  const dataplane::Dataplane* dp = sources_.dataplane ? sources_.dataplane() : nullptr;
  const base::TimePoint now = loop_.clock().now();
  auto stats = dp != nullptr ? dp->stats() : base::Result<std::vector<dataplane::ServiceStats>>{};
  if (stats) {
    const double seconds = std::chrono::duration<double>(now - last_sample_).count();
    rates_ = *stats;
    for (auto& s : rates_) {
      const dataplane::ServiceStats* before = nullptr;
      for (const auto& b : last_stats_) before = b.key == s.key ? &b : before;
      s.counters = ctl::ratePerSecond(before ? before->counters : s.counters, s.counters, seconds);
      for (auto& r : s.reals) {
        dataplane::Counters prev = r.counters;
        if (before != nullptr) {
          for (const auto& br : before->reals) prev = br.key == r.key ? br.counters : prev;
        }
        r.counters = ctl::ratePerSecond(prev, r.counters, seconds);
      }
    }
    last_stats_ = std::move(*stats);
  }
  last_sample_ = now;
  rate_timer_.armAfter(kRateInterval, [this] { sampleRates(); });
}

std::string OperationsImpl::serve(std::string_view line) {
  auto request = ctl::parseRequest(line.substr(0, line.size() - 1));
  if (!request) return ctl::errorResponse(request.error().message);
  auto body = dispatch(*request);
  if (!body) return ctl::errorResponse(body.error().message);
  return ctl::okResponse(std::move(*body));
}

base::Result<ordered_json> OperationsImpl::dispatch(const ctl::Request& r) {
  if (r.cmd == "list") return list(r);
  if (r.cmd == "connections") return connections();
  if (r.cmd == "vrrp") return vrrp(r);
  if (r.cmd == "checks") return checks();
  if (r.cmd == "whereis") return whereis(r);
  if (r.cmd == "reload") return reload();
  if (r.cmd == "dump") return dump();
  if (r.cmd == "ping") return ordered_json::object();
  return error("unknown command \"" + r.cmd + "\"");
}

std::shared_ptr<const dataplane::ServiceTable> OperationsImpl::table() const {
  const Services* services = sources_.services ? sources_.services() : nullptr;
  if (services == nullptr) return std::make_shared<const dataplane::ServiceTable>();
  return services->desired().table();
}

base::Result<ordered_json> OperationsImpl::list(const ctl::Request& r) {
  const dataplane::Dataplane* dp = sources_.dataplane ? sources_.dataplane() : nullptr;
  std::vector<dataplane::ServiceStats> stats;
  if (dp != nullptr) {
    auto s = dp->stats();
    if (s) stats = std::move(*s);
  }
  const auto views = ctl::buildViews(*table(), stats, rates_);
  std::string text = ctl::flagArg(r, "rate")    ? ctl::renderRate(views)
                     : ctl::flagArg(r, "stats") ? ctl::renderStats(views)
                                                : ctl::renderList(views);
  return ordered_json{{"dataplane", dp != nullptr ? std::string(dp->name()) : "none"},
                      {"services", ctl::toJson(views)},
                      {"text", std::move(text)}};
}

base::Result<ordered_json> OperationsImpl::connections() {
  const dataplane::Dataplane* dp = sources_.dataplane ? sources_.dataplane() : nullptr;
  if (dp == nullptr) return error("no data plane is running");
  auto conns = dp->connections(kMaxConnectionsListed);
  if (!conns) {
    return error("the " + std::string(dp->name()) +
                 " data plane cannot list connections: " + conns.error().message);
  }
  return ordered_json{{"connections", ctl::toJson(*conns)},
                      {"text", ctl::renderConnections(*conns)}};
}

base::Result<ordered_json> OperationsImpl::vrrp(const ctl::Request& r) {
  const auto status = sources_.vrrp ? sources_.vrrp() : nullptr;
  ordered_json instances = status ? vrrpJson(*status) : ordered_json::array();
  std::string text = vrrpText(instances, ctl::flagArg(r, "stats"));
  return ordered_json{{"instances", std::move(instances)}, {"text", std::move(text)}};
}

base::Result<ordered_json> OperationsImpl::checks() {
  const Services* services = sources_.services ? sources_.services() : nullptr;
  ordered_json reals = services != nullptr ? checksJson(*services) : ordered_json::array();
  std::string text = checksText(reals);
  return ordered_json{{"reals", std::move(reals)}, {"text", std::move(text)}};
}

base::Result<ordered_json> OperationsImpl::whereis(const ctl::Request& r) {
  auto service = ctl::stringArg(r, "service");
  auto client = ctl::stringArg(r, "client");
  if (!service || !client) return error("whereis needs \"service\" and \"client\"");
  auto vip = base::Endpoint::parse(*service);
  if (!vip) return error("bad VIP:PORT: " + vip.error().message);
  auto from = base::Endpoint::parse(*client);
  if (!from) {
    auto address = base::IpAddress::parse(*client);
    if (!address) return error("bad CLIENT_IP[:PORT]: " + address.error().message);
    from = base::Endpoint(*address, 0);
  }
  lb::WhereIsQuery q{vip->address(), vip->port(), dataplane::Protocol::Tcp, from->address(),
                     from->port()};
  if (ctl::stringArg(r, "protocol") == "udp") q.protocol = dataplane::Protocol::Udp;
  auto answer = lb::whereIs(*table(), q);
  if (!answer) return error(answer.error().message);
  return ordered_json{{"service", answer->service.str()},
                      {"real", answer->real ? answer->real->str() : ""},
                      {"why", answer->why},
                      {"text", lb::formatWhereIs(q, *answer) + "\n"}};
}

base::Result<ordered_json> OperationsImpl::reload() {
  if (!sources_.reload) return error("reload is not available");
  if (auto s = sources_.reload(); !s) return error("reload failed: " + s.error().message);
  return ordered_json{{"text", "reloaded\n"}};
}

base::Result<ordered_json> OperationsImpl::dump() {
  auto config = sources_.config ? sources_.config() : nullptr;
  ordered_json out = ordered_json::object();
  out["config"] = config ? ctl::toJson(*config) : ordered_json(nullptr);
  ordered_json request = {{"cmd", "list"}};
  auto l = list({"list", request});
  out["services"] = l ? (*l)["services"] : ordered_json::array();
  out["vrrp"] = (*vrrp({"vrrp", request}))["instances"];
  out["checks"] = (*checks())["reals"];
  return out;
}

std::string OperationsImpl::metrics() const {
  ctl::MetricsText m;
  addVrrpMetrics(sources_.vrrp ? sources_.vrrp().get() : nullptr, m);
  addCheckMetrics(sources_.services ? sources_.services() : nullptr, m);
  addDataplaneMetrics(sources_.dataplane ? sources_.dataplane() : nullptr, m);
  addControlMetrics(control_->counters(), m);
  return m.str();
}

}  // namespace

ControlSources sourcesOf(const std::optional<model::Config>& config,
                         const std::unique_ptr<vrrp::EngineThread>& vrrp,
                         const std::unique_ptr<Services>& services,
                         const std::unique_ptr<DataplaneWiring>& dataplane,
                         std::function<base::Status()> reload) {
  return {[&config] { return config ? std::make_shared<const model::Config>(*config) : nullptr; },
          [&vrrp]() -> std::shared_ptr<const vrrp::EngineStatus> {
            return vrrp ? vrrp->status() : nullptr;
          },
          [&services]() -> const Services* { return services.get(); },
          [&dataplane]() -> const dataplane::Dataplane* {
            return dataplane ? &dataplane->dataplane() : nullptr;
          },
          std::move(reload)};
}

base::Result<std::unique_ptr<Operations>> startOperations(event::Loop& loop,
                                                          const std::string& runtime_dir,
                                                          ControlSources sources) {
  auto ops = std::make_unique<OperationsImpl>(loop, std::move(sources));
  if (auto s = ops->start(runtime_dir); !s) return s.error();
  return std::unique_ptr<Operations>(std::move(ops));
}

}  // namespace keel::app
