#include "net/sockets.h"

#include "net/announce.h"
#include "net/raw_socket.h"
#include "net/rtnetlink.h"

namespace keel::net {

namespace {

class SystemSockets final : public Sockets {
 public:
  base::Result<std::unique_ptr<Netlink>> openNetlink() override {
    auto nl = Rtnetlink::open(true);
    if (!nl) return nl.error();
    return std::make_unique<Rtnetlink>(std::move(*nl));
  }

  base::Result<std::unique_ptr<IpSocket>> openIp(const RawSocketOptions& options) override {
    auto s = RawSocket::open(options);
    if (!s) return s.error();
    return std::make_unique<RawSocket>(std::move(*s));
  }

  base::Result<std::unique_ptr<FrameSocket>> openFrames(int ifindex) override {
    auto s = PacketSocket::open(ifindex);
    if (!s) return s.error();
    return std::make_unique<PacketSocket>(std::move(*s));
  }
};

}  // namespace

Sockets& systemSockets() {
  static SystemSockets sockets;  // stateless: any thread
  return sockets;
}

}  // namespace keel::net
