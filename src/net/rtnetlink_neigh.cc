// Neighbour and route lookups of Rtnetlink (rtnetlink.h): RTM_GETNEIGH dumps, RTM_GETROUTE
// for one address, and NTF_USE to start resolution.
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "net/rtnetlink.h"
#include "net/rtnetlink_internal.h"

namespace keel::net {

bool Neighbour::usable() const {
  constexpr std::uint16_t kUsable =
      NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
  return (state & kUsable) != 0 && mac.size() == 6;
}

namespace nl {

std::optional<Neighbour> parseNeighbour(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ndmsg))) return std::nullopt;
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6) return std::nullopt;
  Attrs attrs{};
  if (mnl_attr_parse(nlh, sizeof(*ndm), collectAttr, &attrs) < 0) return std::nullopt;
  if (attrs[NDA_DST] == nullptr) return std::nullopt;
  auto address = addressAttr(attrs[NDA_DST], ndm->ndm_family);
  if (!address) return std::nullopt;
  Neighbour n;
  n.index = ndm->ndm_ifindex;
  n.address = *address;
  n.state = ndm->ndm_state;
  if (const nlattr* mac = attrs[NDA_LLADDR]; mac != nullptr) {
    const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(mac));
    n.mac.assign(p, p + mnl_attr_get_payload_len(mac));
  }
  return n;
}

}  // namespace nl

base::Result<std::vector<Neighbour>> Rtnetlink::neighbours(int family) {
  std::vector<char> buf;
  nlmsghdr* nlh = nl::putHeader(buf, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, nextSeq());
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = static_cast<std::uint8_t>(family);
  std::vector<Neighbour> out;
  KEEL_TRY(request(buf, [&](const void* msg) {
    if (auto n = nl::parseNeighbour(static_cast<const nlmsghdr*>(msg))) out.push_back(*n);
    return MNL_CB_OK;
  }));
  return out;
}

base::Result<RouteHop> Rtnetlink::route(const base::IpAddress& to) {
  std::vector<char> buf;
  nlmsghdr* nlh = nl::putHeader(buf, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, nextSeq());
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<std::uint8_t>(to.family());
  rtm->rtm_dst_len = static_cast<std::uint8_t>(to.maxPrefixLength());
  mnl_attr_put(nlh, RTA_DST, to.bytes().size(), to.bytes().data());
  std::optional<RouteHop> hop;
  auto done = request(buf, [&](const void* msg) {
    const auto* m = static_cast<const nlmsghdr*>(msg);
    if (m->nlmsg_type != RTM_NEWROUTE || m->nlmsg_len < mnl_nlmsg_size(sizeof(rtmsg))) {
      return MNL_CB_OK;
    }
    const auto* r = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
    nl::Attrs attrs{};
    if (mnl_attr_parse(m, sizeof(*r), nl::collectAttr, &attrs) < 0) return MNL_CB_OK;
    RouteHop h;
    h.local = r->rtm_type == RTN_LOCAL;
    if (attrs[RTA_OIF] != nullptr) h.index = static_cast<int>(mnl_attr_get_u32(attrs[RTA_OIF]));
    if (attrs[RTA_GATEWAY] != nullptr)
      h.gateway = nl::addressAttr(attrs[RTA_GATEWAY], r->rtm_family);
    hop = h;
    return MNL_CB_OK;
  });
  if (!done) {
    const int err = done.error().sys_errno;
    if (err == ENETUNREACH || err == EHOSTUNREACH || err == ESRCH) {
      return base::makeError(base::ErrorCode::NotFound, fmt::format("no route to {}", to.str()));
    }
    return KEEL_SYS_ERROR(err, fmt::format("cannot look up the route to {}", to.str()));
  }
  if (!hop) {
    return base::makeError(base::ErrorCode::NotFound, fmt::format("no route to {}", to.str()));
  }
  return *hop;
}

base::Status Rtnetlink::resolveNeighbour(int index, const base::IpAddress& address) {
  std::vector<char> buf;
  nlmsghdr* nlh =
      nl::putHeader(buf, RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK, nextSeq());
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = static_cast<std::uint8_t>(address.family());
  ndm->ndm_ifindex = index;
  ndm->ndm_flags = NTF_USE;
  ndm->ndm_state = NUD_NONE;
  mnl_attr_put(nlh, NDA_DST, address.bytes().size(), address.bytes().data());
  auto done = request(buf, [](const void*) { return MNL_CB_OK; });
  if (!done) {
    return KEEL_SYS_ERROR(done.error().sys_errno,
                          fmt::format("cannot resolve {} on interface {}", address.str(), index));
  }
  return base::ok();
}

}  // namespace keel::net
