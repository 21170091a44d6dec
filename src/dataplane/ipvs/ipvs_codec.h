// Generic netlink messages of the IPVS family (linux/ip_vs.h): requests built into byte buffers,
// replies parsed from them. Pure (no sockets): ipvs_socket.h sends and receives, the tests hold
// fixtures. A reply that is malformed (an attribute of the wrong size, a missing identity) is
// rejected with the reason, never trusted. Any thread.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "dataplane/ipvs/ipvs_types.h"

namespace keel::dataplane::ipvs {

inline constexpr std::string_view kFamilyName = "IPVS";
inline constexpr std::uint8_t kFamilyVersion = 1;

// A request: nlmsghdr, genlmsghdr and attributes. `family` is the netlink message type: the id
// the kernel gave "IPVS" (or GENL_ID_CTRL for the family lookup).
class Message {
 public:
  Message(std::uint16_t family, std::uint8_t cmd, std::uint16_t flags, std::uint32_t seq,
          std::uint8_t version = kFamilyVersion);

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  std::span<const std::uint8_t> bytes() const;
  std::uint32_t seq() const;

 private:
  std::vector<std::uint8_t> buf_;
};

// Requests. Each asks for an ack (NLM_F_ACK) or is a dump (NLM_F_DUMP).
Message newService(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                   const IpvsServiceConfig& config);
Message setService(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                   const IpvsServiceConfig& config);
Message delService(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key);
Message newDest(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                const IpvsDestConfig& dest);
Message setDest(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                const IpvsDestConfig& dest);
Message delDest(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                const IpvsDestConfig& dest);
Message getServices(std::uint16_t family, std::uint32_t seq);
Message getDests(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key);
Message getInfo(std::uint16_t family, std::uint32_t seq);
Message getConfig(std::uint16_t family, std::uint32_t seq);
Message setConfig(std::uint16_t family, std::uint32_t seq, const IpvsTimeouts& timeouts);
Message newDaemon(std::uint16_t family, std::uint32_t seq, const SyncDaemon& daemon);
Message delDaemon(std::uint16_t family, std::uint32_t seq, std::uint32_t state);
Message getDaemons(std::uint16_t family, std::uint32_t seq);
Message flush(std::uint16_t family, std::uint32_t seq);
// CTRL_CMD_GETFAMILY for "IPVS" (to GENL_ID_CTRL).
Message getFamily(std::uint32_t seq);

// Replies, one netlink message each.
base::Result<IpvsService> parseService(const nlmsghdr* nlh);
base::Result<IpvsDest> parseDest(const nlmsghdr* nlh);
base::Result<IpvsInfo> parseInfo(const nlmsghdr* nlh);
base::Result<IpvsTimeouts> parseConfig(const nlmsghdr* nlh);
base::Result<SyncDaemon> parseDaemon(const nlmsghdr* nlh);
base::Result<std::uint16_t> parseFamilyId(const nlmsghdr* nlh);

}  // namespace keel::dataplane::ipvs
