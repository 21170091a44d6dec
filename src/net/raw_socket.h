// A raw IP socket for one protocol on one interface — VRRP's (IP protocol 112) adverts, sent
// with TTL / hop limit 255 (RFC 5798 §5.1.1.3, §5.1.2.3) and received with the metadata the
// receive checks need (source, destination, TTL). Non-blocking; the owner watches fd() in its
// event loop. Close-on-exec. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "net/sockets.h"

namespace keel::net {

class RawSocket final : public IpSocket {
 public:
  // Errors: System (e.g. EPERM without CAP_NET_RAW).
  static base::Result<RawSocket> open(const RawSocketOptions& options);

  base::Status join(const base::IpAddress& group) override;
  base::Status leave(const base::IpAddress& group) override;
  // The kernel adds the IP header (TOS 0xc0 for IPv4).
  base::Status send(std::span<const std::uint8_t> payload,
                    const base::IpAddress& destination) override;
  // Datagrams larger than 64 KiB are cut (the receive checks then see a length mismatch).
  base::Result<std::optional<RawPacket>> receive() override;
  int fd() const override { return fd_.get(); }

 private:
  RawSocket(base::UniqueFd fd, RawSocketOptions options)
      : fd_(std::move(fd)), options_(std::move(options)) {}

  base::UniqueFd fd_;
  RawSocketOptions options_;
};

}  // namespace keel::net
