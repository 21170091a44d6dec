#include "dataplane/xdp/xdp_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "base/log.h"
#include "keel_xdp.skel.h"

namespace keel::dataplane::xdp {

std::string_view attachModeName(AttachMode m) {
  return m == AttachMode::Native ? "native" : "generic";
}

base::Result<std::unique_ptr<XdpProgram>> XdpProgram::load(const keel_config& config) {
  keel_xdp* skel = keel_xdp__open();
  if (skel == nullptr) return KEEL_SYS_ERROR(errno, "cannot open the XDP program");
  if (const int rc = keel_xdp__load(skel); rc != 0) {
    keel_xdp__destroy(skel);
    return KEEL_SYS_ERROR(-rc, "cannot load the XDP program");
  }
  std::unique_ptr<XdpProgram> program(new XdpProgram(skel));
  KEEL_TRY(program->writeConfig(config));
  return program;
}

XdpProgram::~XdpProgram() {
  if (!keep_) detachAll();
  if (skel_ != nullptr) keel_xdp__destroy(skel_);
}

base::Result<AttachMode> XdpProgram::attach(int ifindex, const std::string& name,
                                            const std::vector<std::uint8_t>& mac) {
  for (const Attachment& a : attached_) {
    if (a.ifindex == ifindex) return a.mode;
  }
  if (auto s = writeMac(ifindex, mac); !s) {
    base::logWarning("XDP on {} forwards frames for any MAC: {}", name, s.error().str());
  }
  const int fd = bpf_program__fd(skel_->progs.keel_xdp);
  int rc = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, nullptr);
  AttachMode mode = AttachMode::Native;
  if (rc != 0) {
    const int native_err = -rc;
    rc = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, nullptr);
    if (rc != 0) {
      return KEEL_SYS_ERROR(-rc, fmt::format("cannot attach the XDP program to {}", name));
    }
    mode = AttachMode::Generic;
    base::logWarning(
        "XDP on {} runs in generic mode (native attach failed: {}); expect lower "
        "throughput",
        name, std::strerror(native_err));
  }
  attached_.push_back({ifindex, name, mode});
  base::logInfo("XDP program attached to {} ({} mode)", name, attachModeName(mode));
  return mode;
}

base::Status XdpProgram::writeMac(int ifindex, const std::vector<std::uint8_t>& mac) {
  if (mac.size() != 6) {
    return base::makeError(base::ErrorCode::Unsupported, "the interface has no Ethernet address");
  }
  if (ifindex < 0 || static_cast<std::uint32_t>(ifindex) >= KEEL_MAX_IFINDEX) {
    return base::makeError(base::ErrorCode::Unsupported,
                           fmt::format("its index {} is beyond {}", ifindex, KEEL_MAX_IFINDEX - 1));
  }
  keel_if_mac value{};
  std::copy(mac.begin(), mac.end(), value.mac);
  value.valid = 1;
  const auto key = static_cast<std::uint32_t>(ifindex);
  const int rc = bpf_map_update_elem(bpf_map__fd(skel_->maps.keel_if_macs), &key, &value, BPF_ANY);
  if (rc != 0) return KEEL_SYS_ERROR(-rc, "cannot write the interface's MAC");
  return base::ok();
}

void XdpProgram::linkChanged(int ifindex, const std::vector<std::uint8_t>& mac) {
  for (const Attachment& a : attached_) {
    if (a.ifindex != ifindex) continue;
    if (auto s = writeMac(ifindex, mac); !s) {
      base::logWarning("XDP on {}: {}", a.name, s.error().str());
    }
  }
}

void XdpProgram::detachAll() {
  for (const Attachment& a : attached_) {
    const std::uint32_t flags =
        a.mode == AttachMode::Native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    if (const int rc = bpf_xdp_detach(a.ifindex, flags, nullptr); rc != 0 && rc != -ENODEV) {
      base::logWarning("Cannot detach the XDP program from {}: {}", a.name, std::strerror(-rc));
    } else {
      base::logInfo("XDP program detached from {}", a.name);
    }
  }
  attached_.clear();
}

base::Status XdpProgram::writeConfig(const keel_config& config) {
  const std::uint32_t zero = 0;
  const int rc = bpf_map_update_elem(bpf_map__fd(skel_->maps.keel_config), &zero, &config, BPF_ANY);
  if (rc != 0) return KEEL_SYS_ERROR(-rc, "cannot write the XDP configuration");
  return base::ok();
}

MapFds XdpProgram::mapFds() const {
  MapFds fds;
  fds.services = bpf_map__fd(skel_->maps.keel_services);
  fds.reals = bpf_map__fd(skel_->maps.keel_reals);
  fds.ring = bpf_map__fd(skel_->maps.keel_ring);
  fds.svc_stats = bpf_map__fd(skel_->maps.keel_svc_stats);
  fds.real_stats = bpf_map__fd(skel_->maps.keel_real_stats);
  fds.counters = bpf_map__fd(skel_->maps.keel_counters);
  fds.config = bpf_map__fd(skel_->maps.keel_config);
  fds.conns = bpf_map__fd(skel_->maps.keel_conns);
  return fds;
}

}  // namespace keel::dataplane::xdp
