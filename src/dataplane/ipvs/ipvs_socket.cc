#include "dataplane/ipvs/ipvs_socket.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace keel::dataplane::ipvs {

namespace {

struct RunContext {
  const std::function<base::Result<void>(const nlmsghdr*)>* each = nullptr;
  base::Result<void> status;
};

int onMessage(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<RunContext*>(data);
  if (ctx->each == nullptr || !*ctx->each) return MNL_CB_OK;
  // A reply that does not parse is remembered, and the rest of the dump still read, so that the
  // next request does not meet its leftovers.
  if (auto s = (*ctx->each)(nlh); !s && ctx->status) ctx->status = s;
  return MNL_CB_OK;
}

}  // namespace

base::Result<IpvsSocket> IpvsSocket::open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
  if (nl == nullptr) return KEEL_SYS_ERROR(errno, "cannot open a generic netlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(nl);
    return KEEL_SYS_ERROR(err, "cannot bind a generic netlink socket");
  }
  IpvsSocket s(nl, GENL_ID_CTRL);
  std::uint16_t family = 0;
  Message m = getFamily(s.nextSeq());
  auto found = s.run(m, [&family](const nlmsghdr* nlh) -> base::Result<void> {
    auto id = parseFamilyId(nlh);
    if (!id) return id.error();
    family = *id;
    return base::ok();
  });
  if (!found) {
    if (found.error().sys_errno == ENOENT) {
      return base::makeError(base::ErrorCode::NotFound,
                             "the kernel has no IPVS (generic netlink family \"IPVS\" not found: "
                             "is the ip_vs module loaded?)");
    }
    return found.error();
  }
  s.family_ = family;
  return s;
}

IpvsSocket::~IpvsSocket() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

IpvsSocket::IpvsSocket(IpvsSocket&& other) noexcept
    : nl_(std::exchange(other.nl_, nullptr)), family_(other.family_), seq_(other.seq_) {}

IpvsSocket& IpvsSocket::operator=(IpvsSocket&& other) noexcept {
  if (this != &other) {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = std::exchange(other.nl_, nullptr);
    family_ = other.family_;
    seq_ = other.seq_;
  }
  return *this;
}

base::Result<void> IpvsSocket::run(Message& m,
                                   const std::function<base::Result<void>(const nlmsghdr*)>& each) {
  const auto bytes = m.bytes();
  if (mnl_socket_sendto(nl_, bytes.data(), bytes.size()) < 0) {
    return KEEL_SYS_ERROR(errno, "IPVS netlink send failed");
  }
  const unsigned portid = mnl_socket_get_portid(nl_);
  std::vector<char> buf(32768);  // libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE
  RunContext ctx{&each, base::ok()};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) return KEEL_SYS_ERROR(errno, "IPVS netlink receive failed");
    const int ret =
        mnl_cb_run(buf.data(), static_cast<std::size_t>(n), m.seq(), portid, onMessage, &ctx);
    if (ret == MNL_CB_STOP) return ctx.status;
    if (ret < 0) {
      if (!ctx.status) return ctx.status;
      return KEEL_SYS_ERROR(errno, "IPVS refused the request");
    }
  }
}

base::Result<void> IpvsSocket::request(Message& m) { return run(m, {}); }

base::Result<void> IpvsSocket::dump(
    Message& m, const std::function<base::Result<void>(const nlmsghdr*)>& each) {
  return run(m, each);
}

base::Result<std::vector<IpvsDest>> IpvsSocket::dests(const IpvsServiceKey& key) {
  std::vector<IpvsDest> out;
  Message m = getDests(family_, nextSeq(), key);
  KEEL_TRY(dump(m, [&out](const nlmsghdr* nlh) -> base::Result<void> {
    auto d = parseDest(nlh);
    if (!d) return d.error();
    out.push_back(*d);
    return base::ok();
  }));
  return out;
}

base::Result<std::vector<IpvsService>> IpvsSocket::services() {
  std::vector<IpvsService> out;
  Message m = getServices(family_, nextSeq());
  KEEL_TRY(dump(m, [&out](const nlmsghdr* nlh) -> base::Result<void> {
    auto s = parseService(nlh);
    if (!s) return s.error();
    out.push_back(std::move(*s));
    return base::ok();
  }));
  for (IpvsService& s : out) {
    auto d = dests(s.key);
    if (!d) return d.error();
    s.dests = std::move(*d);
  }
  return out;
}

base::Result<IpvsInfo> IpvsSocket::info() {
  IpvsInfo info;
  Message m = getInfo(family_, nextSeq());
  KEEL_TRY(run(m, [&info](const nlmsghdr* nlh) -> base::Result<void> {
    auto i = parseInfo(nlh);
    if (!i) return i.error();
    info = *i;
    return base::ok();
  }));
  return info;
}

base::Result<IpvsTimeouts> IpvsSocket::timeouts() {
  IpvsTimeouts t;
  Message m = getConfig(family_, nextSeq());
  KEEL_TRY(run(m, [&t](const nlmsghdr* nlh) -> base::Result<void> {
    auto c = parseConfig(nlh);
    if (!c) return c.error();
    t = *c;
    return base::ok();
  }));
  return t;
}

base::Result<std::vector<SyncDaemon>> IpvsSocket::daemons() {
  std::vector<SyncDaemon> out;
  Message m = getDaemons(family_, nextSeq());
  KEEL_TRY(dump(m, [&out](const nlmsghdr* nlh) -> base::Result<void> {
    auto d = parseDaemon(nlh);
    if (!d) return d.error();
    out.push_back(std::move(*d));
    return base::ok();
  }));
  return out;
}

}  // namespace keel::dataplane::ipvs
