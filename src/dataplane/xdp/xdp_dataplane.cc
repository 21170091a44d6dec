#include "dataplane/xdp/xdp_dataplane.h"

#include <sys/epoll.h>
#include <unistd.h>

#include "base/log.h"
#include "dataplane/xdp/vip_interfaces.h"

namespace keel::dataplane::xdp {

base::Result<std::unique_ptr<XdpDataplane>> XdpDataplane::start(
    event::Loop& loop, std::shared_ptr<const model::Config> config, XdpOptions options) {
  if (::geteuid() != 0) return base::makeError(base::ErrorCode::Unsupported, "Not running as root");
  auto nl = net::Rtnetlink::open(true, true);
  if (!nl) return nl.error();
  auto program = XdpProgram::load(defaultConfig());
  if (!program) return program.error();
  if (options.keep_attached) (*program)->keepAttached();
  std::unique_ptr<XdpDataplane> dp(
      new XdpDataplane(loop, std::move(config), std::move(*nl), std::move(*program)));
  if (auto s = loop.watch(dp->nl_->eventFd(), EPOLLIN,
                          [raw = dp.get()](std::uint32_t) { raw->onNetlink(); });
      !s) {
    base::logWarning("Cannot watch netlink events ({}); real servers' MAC changes are not followed",
                     s.error().str());
  } else {
    dp->watching_ = true;
  }
  base::logInfo("XDP data plane loaded");
  return dp;
}

XdpDataplane::XdpDataplane(event::Loop& loop, std::shared_ptr<const model::Config> config,
                           net::Rtnetlink nl, std::unique_ptr<XdpProgram> program)
    : loop_(loop),
      config_(std::move(config)),
      nl_(std::make_unique<net::Rtnetlink>(std::move(nl))),
      egress_(std::make_unique<EgressResolver>(*nl_)),
      program_(std::move(program)),
      maps_(std::make_unique<BpfMapIo>(program_->mapFds())),
      sync_(std::make_unique<MapSync>(
          *maps_, [egress = egress_.get()](const lb::Real& real, std::string* why) {
            return egress->lookup(real, why);
          })) {}

XdpDataplane::~XdpDataplane() {
  if (watching_) loop_.unwatch(nl_->eventFd());
}

base::Status XdpDataplane::apply(std::shared_ptr<const lb::ServiceTable> table) {
  table_ = std::move(table);
  if (!table_) return base::ok();
  const std::vector<VipInterface> interfaces = vipInterfaces(*config_, *table_, *nl_);
  for (const VipInterface& i : interfaces) {
    auto mode = program_->attach(i.index, i.name, i.mac);
    if (!mode) base::logError("{} (chosen by {})", mode.error().str(), i.reason);
  }
  sync_->setConfig(tunnelConfig(interfaces, *table_, *nl_));
  return sync_->apply(table_);
}

void XdpDataplane::reload(std::shared_ptr<const model::Config> config) {
  config_ = std::move(config);
  if (auto s = apply(table_); !s) base::logError("{}", s.error().str());
}

void XdpDataplane::onNetlink() {
  bool changed = false;
  auto s = nl_->readEvents([&](const net::NetEvent& e) {
    if (e.kind == net::NetEvent::Kind::LinkChanged) program_->linkChanged(e.link.index, e.link.mac);
    changed |= egress_->onEvent(e);
  });
  if (!s) {
    // Lost events (ENOBUFS): forget the caches and read the kernel's state again.
    egress_->reset();
    changed = true;
  }
  if (changed) {
    if (auto r = sync_->refresh(); !r) base::logError("{}", r.error().str());
  }
}

}  // namespace keel::dataplane::xdp
