// The generic netlink socket that talks to IPVS (libmnl): resolves the "IPVS" family, sends
// requests and waits for the kernel's ack, runs dumps. Synchronous: the kernel answers at once.
// One per network namespace, created in it; the control-plane thread owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/error.h"
#include "dataplane/ipvs/ipvs_codec.h"
#include "dataplane/ipvs/ipvs_types.h"

struct mnl_socket;

namespace keel::dataplane::ipvs {

class IpvsSocket {
 public:
  // NotFound when the kernel has no IPVS family (ip_vs not loaded and not loadable).
  static base::Result<IpvsSocket> open();
  ~IpvsSocket();
  IpvsSocket(IpvsSocket&& other) noexcept;
  IpvsSocket& operator=(IpvsSocket&& other) noexcept;
  IpvsSocket(const IpvsSocket&) = delete;
  IpvsSocket& operator=(const IpvsSocket&) = delete;

  std::uint16_t family() const { return family_; }
  std::uint32_t nextSeq() { return ++seq_; }

  // Sends `m` and waits for the kernel's ack; a refusal is a System error with its errno.
  base::Result<void> request(Message& m);
  // Sends the dump request `m`; `each` sees every reply message until NLMSG_DONE.
  base::Result<void> dump(Message& m,
                          const std::function<base::Result<void>(const nlmsghdr*)>& each);

  // The reads, built on the two above.
  base::Result<std::vector<IpvsService>> services();  // with their dests
  base::Result<std::vector<IpvsDest>> dests(const IpvsServiceKey& key);
  base::Result<IpvsInfo> info();
  base::Result<IpvsTimeouts> timeouts();
  base::Result<std::vector<SyncDaemon>> daemons();

 private:
  IpvsSocket(mnl_socket* nl, std::uint16_t family) : nl_(nl), family_(family) {}
  base::Result<void> run(Message& m,
                         const std::function<base::Result<void>(const nlmsghdr*)>& each);

  mnl_socket* nl_ = nullptr;
  std::uint16_t family_ = 0;
  std::uint32_t seq_ = 0;
};

}  // namespace keel::dataplane::ipvs
