// XdpProgram: owns the loaded keel_xdp program (its libbpf skeleton, embedded in keeld) and its
// attachments. Load writes keel_config first (ABI contract 5); attach() tries native (driver)
// mode and falls back to generic (skb) mode with a warning; the destructor detaches from every
// interface it attached to, unless keepAttached() was called. Control-plane thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "dataplane/xdp/bpf/keel_abi.h"
#include "dataplane/xdp/bpf_map_io.h"

struct keel_xdp;

namespace keel::dataplane::xdp {

enum class AttachMode : std::uint8_t { Native, Generic };
std::string_view attachModeName(AttachMode m);  // "native", "generic"

class XdpProgram {
 public:
  // Opens and loads the program, then writes `config` into keel_config. Errors: System (no
  // BPF permission, verifier rejection: the message carries libbpf's errno).
  static base::Result<std::unique_ptr<XdpProgram>> load(const keel_config& config);

  ~XdpProgram();
  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;

  // Attaches to interface `ifindex` (`name` for messages), first writing `mac` as its own
  // (keel_if_macs, ABI contract 6; a MAC that is not 6 bytes leaves the interface unfiltered, with
  // a warning). Attaching twice to one interface is a no-op. Returns the mode it got.
  base::Result<AttachMode> attach(int ifindex, const std::string& name,
                                  const std::vector<std::uint8_t>& mac);
  // An interface's MAC changed (a netlink link event): rewrites its keel_if_macs entry when the
  // program is attached there.
  void linkChanged(int ifindex, const std::vector<std::uint8_t>& mac);
  // Detaches from every interface attached so far.
  void detachAll();
  // Leave the program attached when this object goes away (its maps then live on with it).
  void keepAttached() { keep_ = true; }

  base::Status writeConfig(const keel_config& config);
  MapFds mapFds() const;

 private:
  struct Attachment {
    int ifindex = 0;
    std::string name;
    AttachMode mode = AttachMode::Native;
  };
  explicit XdpProgram(keel_xdp* skel) : skel_(skel) {}
  base::Status writeMac(int ifindex, const std::vector<std::uint8_t>& mac);

  keel_xdp* skel_ = nullptr;
  std::vector<Attachment> attached_;
  bool keep_ = false;
};

}  // namespace keel::dataplane::xdp
