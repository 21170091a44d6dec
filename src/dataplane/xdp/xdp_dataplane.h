// XdpDataplane: the XDP data plane behind dataplane::Dataplane (docs/design.md §4,
// docs/dataplane.md). It owns everything XDP needs: the loaded program and its attachments
// (XdpProgram), the maps (BpfMapIo, kept in step by MapSync), the interfaces that carry the VIPs
// (vip_interfaces.h), the BPF ABI's keel_config, and a netlink socket watched on the event loop so
// that a real's changed next hop re-applies the last table (EgressResolver). Created by app's
// factory on the control-plane loop; that thread only.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/xdp/bpf_map_io.h"
#include "dataplane/xdp/egress.h"
#include "dataplane/xdp/map_sync.h"
#include "dataplane/xdp/xdp_program.h"
#include "event/loop.h"
#include "net/rtnetlink.h"

namespace keel::dataplane::xdp {

struct XdpOptions {
  bool keep_attached = false;  // keeld -I: leave the program attached (and forwarding) on stop
};

class XdpDataplane final : public Dataplane {
 public:
  // Loads the program and starts watching netlink on `loop`; attaches nothing until apply().
  // Errors: Unsupported when not root; System when netlink or BPF refuse (the message says which).
  static base::Result<std::unique_ptr<XdpDataplane>> start(
      event::Loop& loop, std::shared_ptr<const model::Config> config, XdpOptions options);
  ~XdpDataplane() override;
  XdpDataplane(const XdpDataplane&) = delete;
  XdpDataplane& operator=(const XdpDataplane&) = delete;

  std::string_view name() const override { return "xdp"; }
  std::string_view title() const override { return "XDP data plane"; }
  // Attaches to any new VIP interface, then writes the maps' difference. Attach failures are
  // logged (with why the interface was chosen); a map write failure is the error.
  base::Status apply(std::shared_ptr<const lb::ServiceTable> table) override;
  void reload(std::shared_ptr<const model::Config> config) override;
  base::Result<std::vector<ServiceStats>> stats() const override { return sync_->stats(); }
  base::Result<std::vector<std::pair<std::string, std::uint64_t>>> counters() const override {
    return sync_->counters();
  }
  base::Result<std::vector<Connection>> connections(std::size_t limit) const override {
    return sync_->connections(limit);
  }

 private:
  XdpDataplane(event::Loop& loop, std::shared_ptr<const model::Config> config, net::Rtnetlink nl,
               std::unique_ptr<XdpProgram> program);
  void onNetlink();

  event::Loop& loop_;
  std::shared_ptr<const model::Config> config_;
  std::unique_ptr<net::Rtnetlink> nl_;
  std::unique_ptr<EgressResolver> egress_;
  std::unique_ptr<XdpProgram> program_;
  std::unique_ptr<BpfMapIo> maps_;
  std::unique_ptr<MapSync> sync_;
  std::shared_ptr<const lb::ServiceTable> table_;
  bool watching_ = false;
};

}  // namespace keel::dataplane::xdp
