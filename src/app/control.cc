#include "app/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include <fmt/format.h>

#include "app/control_views.h"
#include "app/runtime_dir.h"
#include "base/log.h"
#include "ctl/config_json.h"
#include "ctl/ipvsadm.h"
#include "ctl/protocol.h"
#include "lb/whereis.h"

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

constexpr std::size_t kMaxDiagnosticsAnswered = 20;

// The first diagnostics of a read, rendered (file:line:col, the line, the caret).
std::string diagnosticsText(const LoadResult& r) {
  std::string out;
  std::size_t n = 0;
  for (const conf::Diagnostic& d : r.diagnostics) {
    if (n++ == kMaxDiagnosticsAnswered) {
      out += fmt::format("... and {} more (see the log)\n", r.diagnostics.size() - n + 1);
      break;
    }
    out += conf::render(d);
  }
  return out;
}

std::string reloadResponse(const LoadResult& r) {
  if (!r.config) {
    return ctl::errorResponse(fmt::format("reload failed: {}; the running configuration stays\n{}",
                                          r.error, diagnosticsText(r)));
  }
  return ctl::okResponse({{"text", "reloaded\n"}, {"plan", planJson(r.plan)}});
}

std::string checkResponse(const LoadResult& r) {
  if (!r.config) {
    return ctl::errorResponse(fmt::format("{}; a reload would keep the running configuration\n{}",
                                          r.error, diagnosticsText(r)));
  }
  return ctl::okResponse(
      {{"text", diagnosticsText(r) + planText(r.plan)}, {"plan", planJson(r.plan)}});
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
  base::Result<ordered_json> list(const ctl::Request& r, const RuntimeView& view);
  base::Result<ordered_json> connections();
  static ordered_json vrrp(const ctl::Request& r, const RuntimeView& view);
  static ordered_json checks(const RuntimeView& view);
  base::Result<ordered_json> whereis(const ctl::Request& r);
  bool deferred(std::string_view line, const ctl::StreamServer::Responder& respond);
  base::Result<ordered_json> dump();
  std::string metrics() const;
  void startMetrics();
  void sampleRates();
  RuntimeView view() const { return sources_.view ? sources_.view() : RuntimeView{}; }
  static std::shared_ptr<const lb::ServiceTable> table(const RuntimeView& view);

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
  o.deferred = [this](std::string_view line, const ctl::StreamServer::Responder& respond) {
    return deferred(line, respond);
  };
  o.admit = peerAllowed;
  o.oversized_reply = ctl::errorResponse("request too large");
  o.name = "control socket";
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
  const auto config = view().config;
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
  o.name = "metrics listener";
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
  if (r.cmd == "list") return list(r, view());
  if (r.cmd == "connections") return connections();
  if (r.cmd == "vrrp") return vrrp(r, view());
  if (r.cmd == "checks") return checks(view());
  if (r.cmd == "whereis") return whereis(r);
  if (r.cmd == "dump") return dump();
  if (r.cmd == "ping") return ordered_json::object();
  if (r.cmd == "reload") {
    return error(ctl::stringArg(r, "check") ? "reload --check needs an absolute file name"
                                            : "reload is not available");
  }
  return error("unknown command \"" + r.cmd + "\"");
}

std::shared_ptr<const lb::ServiceTable> OperationsImpl::table(const RuntimeView& view) {
  return view.table ? view.table : std::make_shared<const lb::ServiceTable>();
}

base::Result<ordered_json> OperationsImpl::list(const ctl::Request& r, const RuntimeView& view) {
  const dataplane::Dataplane* dp = sources_.dataplane ? sources_.dataplane() : nullptr;
  std::vector<dataplane::ServiceStats> stats;
  if (dp != nullptr) {
    auto s = dp->stats();
    if (s) stats = std::move(*s);
  }
  const auto views = ctl::buildViews(*table(view), stats, rates_);
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

ordered_json OperationsImpl::vrrp(const ctl::Request& r, const RuntimeView& view) {
  ordered_json instances = vrrpJson(view.vrrp);
  std::string text = vrrpText(instances, ctl::flagArg(r, "stats"));
  return ordered_json{{"instances", std::move(instances)}, {"text", std::move(text)}};
}

ordered_json OperationsImpl::checks(const RuntimeView& view) {
  ordered_json reals = checksJson(view.reals);
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
  lb::WhereIsQuery q{vip->address(), vip->port(), lb::Protocol::Tcp, from->address(), from->port()};
  if (ctl::stringArg(r, "protocol") == "udp") q.protocol = lb::Protocol::Udp;
  auto answer = lb::whereIs(*table(view()), q);
  if (!answer) return error(answer.error().message);
  return ordered_json{{"service", answer->service.str()},
                      {"real", answer->real ? answer->real->str() : ""},
                      {"why", answer->why},
                      {"text", lb::formatWhereIs(q, *answer) + "\n"}};
}

// `reload` and `reload --check FILE`: answered once the file has been read off the loop (and,
// for a reload, applied).
bool OperationsImpl::deferred(std::string_view line, const ctl::StreamServer::Responder& respond) {
  auto request = ctl::parseRequest(line.substr(0, line.size() - 1));
  if (!request || request->cmd != "reload") return false;  // serve() answers it
  auto answer = [respond](std::string bytes) { respond({std::move(bytes), false}); };
  const auto file = ctl::stringArg(*request, "check");
  if (!file) {
    if (!sources_.reload) return false;
    sources_.reload([answer](const LoadResult& r) { answer(reloadResponse(r)); });
    return true;
  }
  if (!sources_.check || file->empty() || file->front() != '/') return false;
  auto queued = sources_.check(*file, [answer](const LoadResult& r) { answer(checkResponse(r)); });
  if (!queued) answer(ctl::errorResponse(queued.error().message));
  return true;
}

base::Result<ordered_json> OperationsImpl::dump() {
  const RuntimeView v = view();
  ordered_json out = ordered_json::object();
  out["config"] = v.config ? ctl::toJson(*v.config) : ordered_json(nullptr);
  ordered_json request = {{"cmd", "list"}};
  auto l = list({"list", request}, v);
  out["services"] = l ? (*l)["services"] : ordered_json::array();
  out["vrrp"] = vrrp({"vrrp", request}, v)["instances"];
  out["checks"] = checks(v)["reals"];
  return out;
}

std::string OperationsImpl::metrics() const {
  ctl::MetricsText m;
  const RuntimeView v = view();
  addVrrpMetrics(v, m);
  addCheckMetrics(v, m);
  addDataplaneMetrics(sources_.dataplane ? sources_.dataplane() : nullptr, m);
  addControlMetrics(control_->counters(), m);
  addLoopMetrics(loop_.stats(), m);
  return m.str();
}

}  // namespace

base::Result<std::unique_ptr<Operations>> startOperations(event::Loop& loop,
                                                          const std::string& runtime_dir,
                                                          ControlSources sources) {
  auto ops = std::make_unique<OperationsImpl>(loop, std::move(sources));
  if (auto s = ops->start(runtime_dir); !s) return s.error();
  return std::unique_ptr<Operations>(std::move(ops));
}

}  // namespace keel::app
