#include "net/rtnetlink.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "net/rtnetlink_internal.h"

namespace keel::net {

namespace nl {

int collectAttr(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attrs*>(data);
  const auto type = static_cast<std::size_t>(mnl_attr_get_type(attr));
  if (type < attrs->size()) (*attrs)[type] = attr;
  return MNL_CB_OK;
}

nlmsghdr* putHeader(std::vector<char>& buf, std::uint16_t type, std::uint16_t flags,
                    std::uint32_t seq) {
  buf.assign(kBufferSize, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  return nlh;
}

std::optional<base::IpAddress> addressAttr(const nlattr* attr, int family) {
  const auto* bytes = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  const std::size_t len = mnl_attr_get_payload_len(attr);
  if (family == AF_INET && len == 4) {
    return base::IpAddress::fromV4Bytes({bytes[0], bytes[1], bytes[2], bytes[3]});
  }
  if (family == AF_INET6 && len == 16) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), bytes, 16);
    return base::IpAddress::fromV6Bytes(b);
  }
  return std::nullopt;
}

namespace {

// Reads and drops whatever waits on the request socket: the rest of an answer an earlier,
// failed request left behind, so that it is never taken for the next one's.
void drainStale(int fd) {
  std::array<char, 64> head{};  // MSG_TRUNC: the rest of each datagram is dropped too
  while (::recv(fd, head.data(), head.size(), MSG_DONTWAIT | MSG_TRUNC) > 0) {
  }
}

}  // namespace

base::Status transact(int fd, std::vector<char>& buf, const std::function<int(const void*)>& each) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
  const std::uint32_t seq = nlh->nlmsg_seq;
  drainStale(fd);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, nlh, nlh->nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return KEEL_SYS_ERROR(errno, "rtnetlink send failed");
  }
  auto cb = [](const nlmsghdr* msg, void* data) -> int {
    return (*static_cast<const std::function<int(const void*)>*>(data))(msg);
  };
  auto* ctx = const_cast<std::function<int(const void*)>*>(&each);
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return KEEL_SYS_ERROR(ETIMEDOUT, "rtnetlink request got no answer in time");
    }
    if (n < 0) return KEEL_SYS_ERROR(errno, "rtnetlink receive failed");
    // Port id 0: any sender; the sequence number ties the answer to this request.
    const int ret = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, 0, cb, ctx);
    if (ret < 0) return KEEL_SYS_ERROR(errno, "rtnetlink request refused");
    if (ret == MNL_CB_STOP) return base::ok();
  }
}

}  // namespace nl

namespace {

using nl::Attrs;
using nl::collectAttr;
using nl::kBufferSize;
using nl::putHeader;

std::optional<Link> parseLink(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg))) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs attrs{};
  if (mnl_attr_parse(nlh, sizeof(*ifi), collectAttr, &attrs) < 0) return std::nullopt;
  Link link;
  link.index = ifi->ifi_index;
  link.up = (ifi->ifi_flags & IFF_UP) != 0;
  link.running = (ifi->ifi_flags & IFF_RUNNING) != 0;
  link.loopback = (ifi->ifi_flags & IFF_LOOPBACK) != 0;
  if (const nlattr* name = attrs[IFLA_IFNAME]; name != nullptr) {
    const auto* text = static_cast<const char*>(mnl_attr_get_payload(name));
    link.name.assign(text, strnlen(text, mnl_attr_get_payload_len(name)));
  }
  if (const nlattr* mac = attrs[IFLA_ADDRESS]; mac != nullptr) {
    const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(mac));
    link.mac.assign(p, p + mnl_attr_get_payload_len(mac));
  }
  return link;
}

std::optional<AddressEntry> parseAddress(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs attrs{};
  if (mnl_attr_parse(nlh, sizeof(*ifa), collectAttr, &attrs) < 0) return std::nullopt;
  const nlattr* a = attrs[IFA_LOCAL] != nullptr ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
  if (a == nullptr) return std::nullopt;
  const auto address = nl::addressAttr(a, ifa->ifa_family);
  if (!address) return std::nullopt;
  auto prefix = base::Prefix::make(*address, ifa->ifa_prefixlen);
  if (!prefix) return std::nullopt;
  AddressEntry entry{static_cast<int>(ifa->ifa_index), *prefix, {}};
  if (const nlattr* label = attrs[IFA_LABEL]; label != nullptr) {
    const auto* text = static_cast<const char*>(mnl_attr_get_payload(label));
    entry.label.assign(text, strnlen(text, mnl_attr_get_payload_len(label)));
  }
  return entry;
}

nlmsghdr* addressMessage(std::vector<char>& buf, std::uint16_t type, std::uint16_t flags,
                         std::uint32_t seq, int index, const base::Prefix& prefix) {
  nlmsghdr* nlh = putHeader(buf, type, flags, seq);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  const base::IpAddress& a = prefix.address();
  ifa->ifa_family = static_cast<std::uint8_t>(a.family());
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(prefix.length());
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<std::uint32_t>(index);
  if (a.isV6()) ifa->ifa_flags = IFA_F_NODAD;
  const auto len = static_cast<std::size_t>(a.bytes().size());
  mnl_attr_put(nlh, IFA_LOCAL, len, a.bytes().data());
  mnl_attr_put(nlh, IFA_ADDRESS, len, a.bytes().data());
  return nlh;
}

// Both sockets are close-on-exec, so no script keeld runs can read its answers or drain its
// events.
base::Result<mnl_socket*> openSocket(unsigned groups, int flags) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | flags);
  if (nl == nullptr) return KEEL_SYS_ERROR(errno, "cannot open an rtnetlink socket");
  if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    return KEEL_SYS_ERROR(err, "cannot bind an rtnetlink socket");
  }
  return nl;
}

// A blocking read on the request socket returns EAGAIN after `timeout` instead of waiting for
// an answer that will not come.
base::Status setReceiveTimeout(mnl_socket* nl, base::Duration timeout) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  if (::setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
    return KEEL_SYS_ERROR(errno, "cannot bound rtnetlink requests in time");
  }
  return base::ok();
}

}  // namespace

base::Result<Rtnetlink> Rtnetlink::open(bool events, bool neighbour_events,
                                        base::Duration request_timeout) {
  auto requests = openSocket(0, 0);
  if (!requests) return requests.error();
  Rtnetlink out(*requests, nullptr);
  KEEL_TRY(setReceiveTimeout(out.requests_, request_timeout));
  if (events) {
    auto opened = openSocket(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                                 (neighbour_events ? RTMGRP_NEIGH : 0U),
                             SOCK_NONBLOCK);
    if (!opened) return opened.error();
    out.events_ = *opened;
  }
  return out;
}

Rtnetlink::Rtnetlink(Rtnetlink&& other) noexcept
    : requests_(std::exchange(other.requests_, nullptr)),
      events_(std::exchange(other.events_, nullptr)),
      seq_(other.seq_) {}

Rtnetlink& Rtnetlink::operator=(Rtnetlink&& other) noexcept {
  if (this != &other) {
    close();
    requests_ = std::exchange(other.requests_, nullptr);
    events_ = std::exchange(other.events_, nullptr);
    seq_ = other.seq_;
  }
  return *this;
}

Rtnetlink::~Rtnetlink() { close(); }

void Rtnetlink::close() {
  if (requests_ != nullptr) mnl_socket_close(std::exchange(requests_, nullptr));
  if (events_ != nullptr) mnl_socket_close(std::exchange(events_, nullptr));
}

int Rtnetlink::eventFd() const { return events_ != nullptr ? mnl_socket_get_fd(events_) : -1; }

int Rtnetlink::requestFd() const { return mnl_socket_get_fd(requests_); }

base::Status Rtnetlink::request(std::vector<char>& buf,
                                const std::function<int(const void*)>& each) {
  return nl::transact(mnl_socket_get_fd(requests_), buf, each);
}

base::Result<std::vector<Link>> Rtnetlink::links() {
  std::vector<char> buf;
  nlmsghdr* nlh = putHeader(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq_++);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  std::vector<Link> out;
  KEEL_TRY(request(buf, [&](const void* msg) {
    if (auto link = parseLink(static_cast<const nlmsghdr*>(msg))) out.push_back(*link);
    return MNL_CB_OK;
  }));
  return out;
}

base::Result<Link> Netlink::link(const std::string& name) {
  auto all = links();
  if (!all) return all.error();
  for (Link& l : *all) {
    if (l.name == name) return std::move(l);
  }
  return base::makeError(base::ErrorCode::NotFound, fmt::format("no interface {}", name));
}

base::Result<std::vector<AddressEntry>> Rtnetlink::addresses(int family) {
  std::vector<char> buf;
  nlmsghdr* nlh = putHeader(buf, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq_++);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<std::uint8_t>(family);
  std::vector<AddressEntry> out;
  KEEL_TRY(request(buf, [&](const void* msg) {
    if (auto a = parseAddress(static_cast<const nlmsghdr*>(msg))) out.push_back(*a);
    return MNL_CB_OK;
  }));
  return out;
}

base::Status Rtnetlink::addAddress(int index, const base::Prefix& prefix, const std::string& label,
                                   bool* existed) {
  if (existed != nullptr) *existed = false;
  std::vector<char> buf;
  nlmsghdr* nlh =
      addressMessage(buf, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
                     seq_++, index, prefix);
  if (!label.empty() && prefix.address().isV4()) mnl_attr_put_strz(nlh, IFA_LABEL, label.c_str());
  auto done = request(buf, [](const void*) { return MNL_CB_OK; });
  if (!done && done.error().sys_errno == EEXIST) {
    if (existed != nullptr) *existed = true;
    return base::ok();
  }
  if (!done) {
    return KEEL_SYS_ERROR(done.error().sys_errno,
                          fmt::format("cannot add {} to interface {}", prefix.str(), index));
  }
  return base::ok();
}

base::Status Rtnetlink::deleteAddress(int index, const base::Prefix& prefix, bool* absent) {
  if (absent != nullptr) *absent = false;
  std::vector<char> buf;
  addressMessage(buf, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq_++, index, prefix);
  auto done = request(buf, [](const void*) { return MNL_CB_OK; });
  if (!done && done.error().sys_errno == EADDRNOTAVAIL) {
    if (absent != nullptr) *absent = true;
    return base::ok();
  }
  if (!done) {
    return KEEL_SYS_ERROR(done.error().sys_errno,
                          fmt::format("cannot remove {} from interface {}", prefix.str(), index));
  }
  return base::ok();
}

base::Status Rtnetlink::setLinkUp(int index, bool up) {
  std::vector<char> buf;
  nlmsghdr* nlh = putHeader(buf, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq_++);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  auto done = request(buf, [](const void*) { return MNL_CB_OK; });
  if (!done) {
    return KEEL_SYS_ERROR(done.error().sys_errno,
                          fmt::format("cannot set interface {} {}", index, up ? "up" : "down"));
  }
  return base::ok();
}

base::Status Rtnetlink::readEvents(const NetEventSink& sink) {
  if (events_ == nullptr) return base::ok();
  std::vector<char> buf(kBufferSize);
  auto cb = [](const nlmsghdr* nlh, void* data) -> int {
    const auto& out = *static_cast<const std::function<void(const NetEvent&)>*>(data);
    NetEvent e;
    switch (nlh->nlmsg_type) {
      case RTM_NEWLINK:
      case RTM_DELLINK:
        if (auto link = parseLink(nlh)) {
          e.kind = nlh->nlmsg_type == RTM_NEWLINK ? NetEvent::Kind::LinkChanged
                                                  : NetEvent::Kind::LinkRemoved;
          e.link = std::move(*link);
          out(e);
        }
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        if (auto a = parseAddress(nlh)) {
          e.kind = nlh->nlmsg_type == RTM_NEWADDR ? NetEvent::Kind::AddressAdded
                                                  : NetEvent::Kind::AddressRemoved;
          e.address = std::move(*a);
          out(e);
        }
        break;
      case RTM_NEWNEIGH:
      case RTM_DELNEIGH:
        if (auto n = nl::parseNeighbour(nlh)) {
          e.kind = nlh->nlmsg_type == RTM_NEWNEIGH ? NetEvent::Kind::NeighbourChanged
                                                   : NetEvent::Kind::NeighbourRemoved;
          e.neighbour = std::move(*n);
          out(e);
        }
        break;
      default:
        break;
    }
    return MNL_CB_OK;
  };
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(events_, buf.data(), buf.size());
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return base::ok();
    if (n < 0 && errno == ENOBUFS) {
      return KEEL_SYS_ERROR(ENOBUFS, "rtnetlink events were lost; re-read the state");
    }
    if (n < 0) return KEEL_SYS_ERROR(errno, "rtnetlink event receive failed");
    auto* data = const_cast<std::function<void(const NetEvent&)>*>(&sink);
    if (mnl_cb_run(buf.data(), static_cast<std::size_t>(n), 0, 0, cb, data) < 0) {
      return KEEL_SYS_ERROR(errno, "malformed rtnetlink event");
    }
  }
}

}  // namespace keel::net
