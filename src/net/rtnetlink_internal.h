// Helpers shared by the rtnetlink request and parse code (rtnetlink.cc, rtnetlink_neigh.cc);
// not part of net's interface. Pure functions over netlink buffers; any thread.
#pragma once

#include <libmnl/libmnl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "net/rtnetlink.h"

namespace keel::net::nl {

inline constexpr std::size_t kBufferSize = 32 * 1024;

// The attributes of one message, indexed by type (types past the end are ignored).
using Attrs = std::array<const nlattr*, 64>;

// mnl_attr_parse callback that fills an Attrs.
int collectAttr(const nlattr* attr, void* data);

// Clears `buf` to kBufferSize and starts a message in it.
nlmsghdr* putHeader(std::vector<char>& buf, std::uint16_t type, std::uint16_t flags,
                    std::uint32_t seq);

// The address an attribute carries for `family`; nullopt when its length does not fit.
std::optional<base::IpAddress> addressAttr(const nlattr* attr, int family);

// Sends the request in `buf` on the netlink socket `fd` and reads answers into `buf` until the
// kernel's ack or NLMSG_DONE, calling `each` for every data message. Whatever an earlier request
// left unread is dropped first. A negative ack is a System error with its errno; a read that
// times out (the socket's SO_RCVTIMEO) is a System error with ETIMEDOUT.
base::Status transact(int fd, std::vector<char>& buf, const std::function<int(const void*)>& each);

// An RTM_NEWNEIGH/RTM_DELNEIGH message; nullopt when malformed or not IPv4/IPv6.
std::optional<Neighbour> parseNeighbour(const nlmsghdr* nlh);

}  // namespace keel::net::nl
