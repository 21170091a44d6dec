#include "net/rtnetlink.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

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

base::Result<mnl_socket*> openSocket(unsigned groups) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl == nullptr) return KEEL_SYS_ERROR(errno, "cannot open an rtnetlink socket");
  if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    return KEEL_SYS_ERROR(err, "cannot bind an rtnetlink socket");
  }
  return nl;
}

}  // namespace

base::Result<Rtnetlink> Rtnetlink::open(bool events, bool neighbour_events) {
  auto requests = openSocket(0);
  if (!requests) return requests.error();
  mnl_socket* ev = nullptr;
  if (events) {
    auto opened = openSocket(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                             (neighbour_events ? RTMGRP_NEIGH : 0U));
    if (!opened) {
      mnl_socket_close(*requests);
      return opened.error();
    }
    ev = *opened;
    const int fd = mnl_socket_get_fd(ev);
    if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
      const int err = errno;
      mnl_socket_close(*requests);
      mnl_socket_close(ev);
      return KEEL_SYS_ERROR(err, "cannot make the rtnetlink event socket non-blocking");
    }
  }
  return Rtnetlink(*requests, ev);
}

Rtnetlink::Rtnetlink(Rtnetlink&& other) noexcept
    : requests_(std::exchange(other.requests_, nullptr)),
      events_(std::exchange(other.events_, nullptr)),
      seq_(other.seq_) {}

Rtnetlink& Rtnetlink::operator=(Rtnetlink&& other) noexcept {
  if (this != &other) {
    this->~Rtnetlink();
    requests_ = std::exchange(other.requests_, nullptr);
    events_ = std::exchange(other.events_, nullptr);
    seq_ = other.seq_;
  }
  return *this;
}

Rtnetlink::~Rtnetlink() {
  if (requests_ != nullptr) mnl_socket_close(requests_);
  if (events_ != nullptr) mnl_socket_close(events_);
}

int Rtnetlink::eventFd() const { return events_ != nullptr ? mnl_socket_get_fd(events_) : -1; }

// Sends the message in `buf` and reads replies until the kernel's ack or NLMSG_DONE, calling
// `each` for every data message. A negative ack comes back as a System error with its errno.
base::Status Rtnetlink::request(std::vector<char>& buf,
                                const std::function<int(const void*)>& each) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
  const std::uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(requests_, nlh, nlh->nlmsg_len) < 0) {
    return KEEL_SYS_ERROR(errno, "rtnetlink send failed");
  }
  const unsigned portid = mnl_socket_get_portid(requests_);
  struct Ctx {
    const std::function<int(const void*)>* each;
  } ctx{&each};
  auto cb = [](const nlmsghdr* msg, void* data) -> int {
    const auto* c = static_cast<Ctx*>(data);
    return (*c->each)(msg);
  };
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(requests_, buf.data(), buf.size());
    if (n < 0) return KEEL_SYS_ERROR(errno, "rtnetlink receive failed");
    const int ret = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, cb, &ctx);
    if (ret < 0) return KEEL_SYS_ERROR(errno, "rtnetlink request refused");
    if (ret == MNL_CB_STOP) return base::ok();
  }
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

base::Result<Link> Rtnetlink::link(const std::string& name) {
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

base::Status Rtnetlink::readEvents(const std::function<void(const NetEvent&)>& sink) {
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
