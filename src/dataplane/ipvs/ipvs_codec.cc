#include "dataplane/ipvs/ipvs_codec.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include <fmt/format.h>

namespace keel::dataplane::ipvs {

namespace {

constexpr std::size_t kRequestSize = 1024;  // the largest request is a service and a destination

base::Error malformed(std::string what) {
  return base::makeError(base::ErrorCode::Parse, "malformed IPVS reply: " + std::move(what));
}

// -- building -------------------------------------------------------------------------------

void putAddress(nlmsghdr* nlh, std::uint16_t type, const base::IpAddress& a) {
  std::array<std::uint8_t, 16> bytes{};  // union nf_inet_addr: IPv4 in the first 4 bytes
  std::memcpy(bytes.data(), a.bytes().data(), a.bytes().size());
  mnl_attr_put(nlh, type, bytes.size(), bytes.data());
}

void putServiceKey(nlmsghdr* nlh, const IpvsServiceKey& key) {
  mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, key.af);
  if (key.fwmark != 0) {
    mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_FWMARK, key.fwmark);
    return;
  }
  mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, key.protocol);
  putAddress(nlh, IPVS_SVC_ATTR_ADDR, key.address);
  mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, htons(key.port));
}

// The service attribute: its identity and, for NEW/SET, every setting (the kernel wants all).
void putService(nlmsghdr* nlh, const IpvsServiceKey& key, const IpvsServiceConfig* config) {
  nlattr* nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
  putServiceKey(nlh, key);
  if (config != nullptr) {
    mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME, config->scheduler.c_str());
    if (!config->pe_name.empty()) {
      mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_PE_NAME, config->pe_name.c_str());
    }
    const ip_vs_flags flags{config->flags & ~kFlagHashed, ~0U};
    mnl_attr_put(nlh, IPVS_SVC_ATTR_FLAGS, sizeof(flags), &flags);
    mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_TIMEOUT, config->timeout);
    mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_NETMASK, config->netmask);
  }
  mnl_attr_nest_end(nlh, nest);
}

void putDest(nlmsghdr* nlh, const IpvsDestConfig& d, bool full) {
  nlattr* nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
  mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, static_cast<std::uint16_t>(d.address.family()));
  putAddress(nlh, IPVS_DEST_ATTR_ADDR, d.address);
  mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, htons(d.port));
  if (full) {
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, d.forwarding);
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, d.weight);
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_U_THRESH, d.upper_threshold);
    mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_L_THRESH, d.lower_threshold);
    if (d.forwarding == kFwdTunnel) {
      mnl_attr_put_u8(nlh, IPVS_DEST_ATTR_TUN_TYPE, static_cast<std::uint8_t>(d.tun_type));
      mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_TUN_PORT, htons(d.tun_port));
      mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_TUN_FLAGS, d.tun_flags);
    }
  }
  mnl_attr_nest_end(nlh, nest);
}

Message request(std::uint16_t family, std::uint8_t cmd, std::uint32_t seq) {
  return Message(family, cmd, NLM_F_REQUEST | NLM_F_ACK, seq);
}

Message dump(std::uint16_t family, std::uint8_t cmd, std::uint32_t seq) {
  return Message(family, cmd, NLM_F_REQUEST | NLM_F_DUMP, seq);
}

Message serviceMessage(std::uint16_t family, std::uint8_t cmd, std::uint32_t seq,
                       const IpvsServiceKey& key, const IpvsServiceConfig* config) {
  Message m = request(family, cmd, seq);
  putService(m.header(), key, config);
  return m;
}

Message destMessage(std::uint16_t family, std::uint8_t cmd, std::uint32_t seq,
                    const IpvsServiceKey& key, const IpvsDestConfig& dest, bool full) {
  Message m = request(family, cmd, seq);
  putService(m.header(), key, nullptr);
  putDest(m.header(), dest, full);
  return m;
}

// -- parsing --------------------------------------------------------------------------------

// Attributes by type, up to kMax; a type above it is ignored (a newer kernel's).
template <int kMax>
struct Attrs {
  std::array<const nlattr*, kMax + 1> at{};
  const nlattr* operator[](int type) const { return at[static_cast<std::size_t>(type)]; }
};

template <int kMax>
int collect(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attrs<kMax>*>(data);
  const int type = mnl_attr_get_type(attr);
  if (type >= 0 && type <= kMax) attrs->at[static_cast<std::size_t>(type)] = attr;
  return MNL_CB_OK;
}

template <int kMax>
base::Result<Attrs<kMax>> topLevel(const nlmsghdr* nlh) {
  Attrs<kMax> attrs;
  if (nlh->nlmsg_len < mnl_nlmsg_size(GENL_HDRLEN)) return malformed("short message");
  if (mnl_attr_parse(nlh, GENL_HDRLEN, collect<kMax>, &attrs) < 0) {
    return malformed("bad attribute layout");
  }
  return attrs;
}

template <int kMax>
base::Result<Attrs<kMax>> nested(const nlattr* nest, const char* what) {
  Attrs<kMax> attrs;
  if (nest == nullptr) return malformed(fmt::format("no {} attribute", what));
  if (mnl_attr_parse_nested(nest, collect<kMax>, &attrs) < 0) {
    return malformed(fmt::format("bad {} attribute layout", what));
  }
  return attrs;
}

// A fixed-size attribute's value, checked for its size; `fallback` when absent.
template <typename T>
base::Result<T> fixed(const nlattr* attr, const char* name, T fallback = {}) {
  if (attr == nullptr) return fallback;
  if (mnl_attr_get_payload_len(attr) != sizeof(T)) {
    return malformed(
        fmt::format("{} has {} bytes, want {}", name, mnl_attr_get_payload_len(attr), sizeof(T)));
  }
  T v;
  std::memcpy(&v, mnl_attr_get_payload(attr), sizeof(T));
  return v;
}

template <typename T>
base::Result<T> required(const nlattr* attr, const char* name) {
  if (attr == nullptr) return malformed(fmt::format("no {}", name));
  return fixed<T>(attr, name);
}

std::string text(const nlattr* attr) {
  if (attr == nullptr) return {};
  const auto* p = static_cast<const char*>(mnl_attr_get_payload(attr));
  return {p, strnlen(p, mnl_attr_get_payload_len(attr))};
}

base::Result<base::IpAddress> address(const nlattr* attr, std::uint16_t af, const char* name) {
  if (attr == nullptr) return malformed(fmt::format("no {}", name));
  const std::size_t want = af == AF_INET6 ? 16 : 4;
  if (af != AF_INET && af != AF_INET6) return malformed(fmt::format("{}: family {}", name, af));
  if (mnl_attr_get_payload_len(attr) < want) return malformed(fmt::format("short {}", name));
  const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  if (af == AF_INET) return base::IpAddress::fromV4Bytes({p[0], p[1], p[2], p[3]});
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), p, b.size());
  return base::IpAddress::fromV6Bytes(b);
}

// IPVS_*_ATTR_STATS64 (u64 each) or, from an older kernel, IPVS_*_ATTR_STATS (u32 counts).
base::Result<IpvsStats> stats(const nlattr* stats64, const nlattr* stats32) {
  const bool wide = stats64 != nullptr;
  if (!wide && stats32 == nullptr) return IpvsStats{};
  auto a = nested<IPVS_STATS_ATTR_MAX>(wide ? stats64 : stats32, "stats");
  if (!a) return a.error();
  auto get = [&](int type, bool always_u64) -> base::Result<std::uint64_t> {
    if (wide || always_u64) return fixed<std::uint64_t>((*a)[type], "a counter");
    auto v = fixed<std::uint32_t>((*a)[type], "a counter");
    if (!v) return v.error();
    return std::uint64_t{*v};
  };
  IpvsStats s;
  const std::array<std::pair<int, std::uint64_t*>, 10> fields{
      {{IPVS_STATS_ATTR_CONNS, &s.conns},
       {IPVS_STATS_ATTR_INPKTS, &s.in_packets},
       {IPVS_STATS_ATTR_OUTPKTS, &s.out_packets},
       {IPVS_STATS_ATTR_INBYTES, &s.in_bytes},
       {IPVS_STATS_ATTR_OUTBYTES, &s.out_bytes},
       {IPVS_STATS_ATTR_CPS, &s.cps},
       {IPVS_STATS_ATTR_INPPS, &s.in_pps},
       {IPVS_STATS_ATTR_OUTPPS, &s.out_pps},
       {IPVS_STATS_ATTR_INBPS, &s.in_bps},
       {IPVS_STATS_ATTR_OUTBPS, &s.out_bps}}};
  for (const auto& [type, field] : fields) {
    const bool bytes = type == IPVS_STATS_ATTR_INBYTES || type == IPVS_STATS_ATTR_OUTBYTES;
    auto v = get(type, bytes);
    if (!v) return v.error();
    *field = *v;
  }
  return s;
}

base::Result<IpvsServiceKey> serviceKey(const Attrs<IPVS_SVC_ATTR_MAX>& a) {
  IpvsServiceKey key;
  auto af = required<std::uint16_t>(a[IPVS_SVC_ATTR_AF], "service family");
  if (!af) return af.error();
  key.af = *af;
  if (key.af != AF_INET && key.af != AF_INET6) return malformed(fmt::format("family {}", key.af));
  auto mark = fixed<std::uint32_t>(a[IPVS_SVC_ATTR_FWMARK], "fwmark");
  if (!mark) return mark.error();
  key.fwmark = *mark;
  if (key.fwmark != 0) {
    key.address = key.af == AF_INET6 ? base::IpAddress::fromV6Bytes({}) : base::IpAddress{};
    return key;
  }
  auto proto = required<std::uint16_t>(a[IPVS_SVC_ATTR_PROTOCOL], "service protocol");
  auto addr = address(a[IPVS_SVC_ATTR_ADDR], key.af, "service address");
  auto port = required<std::uint16_t>(a[IPVS_SVC_ATTR_PORT], "service port");
  if (!proto) return proto.error();
  if (!addr) return addr.error();
  if (!port) return port.error();
  key.protocol = *proto;
  key.address = *addr;
  key.port = ntohs(*port);
  return key;
}

}  // namespace

Message::Message(std::uint16_t family, std::uint8_t cmd, std::uint16_t flags, std::uint32_t seq,
                 std::uint8_t version)
    : buf_(kRequestSize) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
  nlh->nlmsg_type = family;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = version;
}

std::span<const std::uint8_t> Message::bytes() const {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
  return {buf_.data(), nlh->nlmsg_len};
}

std::uint32_t Message::seq() const {
  return reinterpret_cast<const nlmsghdr*>(buf_.data())->nlmsg_seq;
}

Message newService(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                   const IpvsServiceConfig& config) {
  return serviceMessage(family, IPVS_CMD_NEW_SERVICE, seq, key, &config);
}

Message setService(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                   const IpvsServiceConfig& config) {
  return serviceMessage(family, IPVS_CMD_SET_SERVICE, seq, key, &config);
}

Message delService(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key) {
  return serviceMessage(family, IPVS_CMD_DEL_SERVICE, seq, key, nullptr);
}

Message newDest(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                const IpvsDestConfig& dest) {
  return destMessage(family, IPVS_CMD_NEW_DEST, seq, key, dest, true);
}

Message setDest(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                const IpvsDestConfig& dest) {
  return destMessage(family, IPVS_CMD_SET_DEST, seq, key, dest, true);
}

Message delDest(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key,
                const IpvsDestConfig& dest) {
  return destMessage(family, IPVS_CMD_DEL_DEST, seq, key, dest, false);
}

Message getServices(std::uint16_t family, std::uint32_t seq) {
  return dump(family, IPVS_CMD_GET_SERVICE, seq);
}

Message getDests(std::uint16_t family, std::uint32_t seq, const IpvsServiceKey& key) {
  Message m = dump(family, IPVS_CMD_GET_DEST, seq);
  putService(m.header(), key, nullptr);
  return m;
}

Message getInfo(std::uint16_t family, std::uint32_t seq) {
  return request(family, IPVS_CMD_GET_INFO, seq);
}

Message getConfig(std::uint16_t family, std::uint32_t seq) {
  return request(family, IPVS_CMD_GET_CONFIG, seq);
}

Message setConfig(std::uint16_t family, std::uint32_t seq, const IpvsTimeouts& t) {
  Message m = request(family, IPVS_CMD_SET_CONFIG, seq);
  if (t.tcp != 0) mnl_attr_put_u32(m.header(), IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
  if (t.tcp_fin != 0) mnl_attr_put_u32(m.header(), IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
  if (t.udp != 0) mnl_attr_put_u32(m.header(), IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
  return m;
}

Message newDaemon(std::uint16_t family, std::uint32_t seq, const SyncDaemon& d) {
  Message m = request(family, IPVS_CMD_NEW_DAEMON, seq);
  nlmsghdr* nlh = m.header();
  nlattr* nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DAEMON);
  mnl_attr_put_u32(nlh, IPVS_DAEMON_ATTR_STATE, d.state);
  mnl_attr_put_strz(nlh, IPVS_DAEMON_ATTR_MCAST_IFN, d.interface.c_str());
  mnl_attr_put_u32(nlh, IPVS_DAEMON_ATTR_SYNC_ID, d.sync_id);
  if (d.max_len != 0) mnl_attr_put_u16(nlh, IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.max_len);
  if (d.port != 0) mnl_attr_put_u16(nlh, IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
  if (d.ttl != 0) mnl_attr_put_u8(nlh, IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
  if (d.group && d.group->isV6()) {
    mnl_attr_put(nlh, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, d.group->bytes().data());
  } else if (d.group) {
    mnl_attr_put(nlh, IPVS_DAEMON_ATTR_MCAST_GROUP, 4, d.group->bytes().data());
  }
  mnl_attr_nest_end(nlh, nest);
  return m;
}

Message delDaemon(std::uint16_t family, std::uint32_t seq, std::uint32_t state) {
  Message m = request(family, IPVS_CMD_DEL_DAEMON, seq);
  nlattr* nest = mnl_attr_nest_start(m.header(), IPVS_CMD_ATTR_DAEMON);
  mnl_attr_put_u32(m.header(), IPVS_DAEMON_ATTR_STATE, state);
  mnl_attr_nest_end(m.header(), nest);
  return m;
}

Message getDaemons(std::uint16_t family, std::uint32_t seq) {
  return dump(family, IPVS_CMD_GET_DAEMON, seq);
}

Message flush(std::uint16_t family, std::uint32_t seq) {
  return request(family, IPVS_CMD_FLUSH, seq);
}

Message getFamily(std::uint32_t seq) {
  Message m(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK, seq, 1);
  mnl_attr_put_strz(m.header(), CTRL_ATTR_FAMILY_NAME, std::string(kFamilyName).c_str());
  return m;
}

base::Result<IpvsService> parseService(const nlmsghdr* nlh) {
  auto top = topLevel<IPVS_CMD_ATTR_MAX>(nlh);
  if (!top) return top.error();
  auto a = nested<IPVS_SVC_ATTR_MAX>((*top)[IPVS_CMD_ATTR_SERVICE], "service");
  if (!a) return a.error();
  IpvsService s;
  auto key = serviceKey(*a);
  if (!key) return key.error();
  s.key = *key;
  s.config.scheduler = text((*a)[IPVS_SVC_ATTR_SCHED_NAME]);
  s.config.pe_name = text((*a)[IPVS_SVC_ATTR_PE_NAME]);
  auto flags = fixed<ip_vs_flags>((*a)[IPVS_SVC_ATTR_FLAGS], "service flags");
  auto timeout = fixed<std::uint32_t>((*a)[IPVS_SVC_ATTR_TIMEOUT], "persistence timeout");
  auto netmask = fixed<std::uint32_t>((*a)[IPVS_SVC_ATTR_NETMASK], "netmask");
  auto counters = stats((*a)[IPVS_SVC_ATTR_STATS64], (*a)[IPVS_SVC_ATTR_STATS]);
  if (!flags) return flags.error();
  if (!timeout) return timeout.error();
  if (!netmask) return netmask.error();
  if (!counters) return counters.error();
  s.config.flags = flags->flags & ~kFlagHashed;
  s.config.timeout = *timeout;
  s.config.netmask = *netmask;
  s.stats = *counters;
  return s;
}

base::Result<IpvsDest> parseDest(const nlmsghdr* nlh) {
  auto top = topLevel<IPVS_CMD_ATTR_MAX>(nlh);
  if (!top) return top.error();
  auto a = nested<IPVS_DEST_ATTR_MAX>((*top)[IPVS_CMD_ATTR_DEST], "destination");
  if (!a) return a.error();
  IpvsDest d;
  auto af = fixed<std::uint16_t>((*a)[IPVS_DEST_ATTR_ADDR_FAMILY], "destination family", AF_INET);
  if (!af) return af.error();
  auto addr = address((*a)[IPVS_DEST_ATTR_ADDR], *af, "destination address");
  auto port = required<std::uint16_t>((*a)[IPVS_DEST_ATTR_PORT], "destination port");
  if (!addr) return addr.error();
  if (!port) return port.error();
  d.config.address = *addr;
  d.config.port = ntohs(*port);
  const std::array<std::pair<int, std::uint32_t*>, 7> words{
      {{IPVS_DEST_ATTR_FWD_METHOD, &d.config.forwarding},
       {IPVS_DEST_ATTR_WEIGHT, &d.config.weight},
       {IPVS_DEST_ATTR_U_THRESH, &d.config.upper_threshold},
       {IPVS_DEST_ATTR_L_THRESH, &d.config.lower_threshold},
       {IPVS_DEST_ATTR_ACTIVE_CONNS, &d.active_conns},
       {IPVS_DEST_ATTR_INACT_CONNS, &d.inactive_conns},
       {IPVS_DEST_ATTR_PERSIST_CONNS, &d.persistent_conns}}};
  for (const auto& [type, field] : words) {
    auto v = fixed<std::uint32_t>((*a)[type], "a destination value");
    if (!v) return v.error();
    *field = *v;
  }
  d.config.forwarding &= IP_VS_CONN_F_FWD_MASK;
  auto tun_type = fixed<std::uint8_t>((*a)[IPVS_DEST_ATTR_TUN_TYPE], "tunnel type");
  auto tun_port = fixed<std::uint16_t>((*a)[IPVS_DEST_ATTR_TUN_PORT], "tunnel port");
  auto tun_flags = fixed<std::uint16_t>((*a)[IPVS_DEST_ATTR_TUN_FLAGS], "tunnel flags");
  auto counters = stats((*a)[IPVS_DEST_ATTR_STATS64], (*a)[IPVS_DEST_ATTR_STATS]);
  if (!tun_type || !tun_port || !tun_flags) return malformed("bad tunnel attribute");
  if (!counters) return counters.error();
  if (*tun_type > static_cast<std::uint8_t>(TunnelType::Gre)) {
    return malformed(fmt::format("tunnel type {}", *tun_type));
  }
  d.config.tun_type = static_cast<TunnelType>(*tun_type);
  d.config.tun_port = ntohs(*tun_port);
  d.config.tun_flags = *tun_flags;
  d.stats = *counters;
  return d;
}

base::Result<IpvsInfo> parseInfo(const nlmsghdr* nlh) {
  auto a = topLevel<IPVS_INFO_ATTR_MAX>(nlh);
  if (!a) return a.error();
  auto version = required<std::uint32_t>((*a)[IPVS_INFO_ATTR_VERSION], "version");
  auto size = required<std::uint32_t>((*a)[IPVS_INFO_ATTR_CONN_TAB_SIZE], "table size");
  if (!version) return version.error();
  if (!size) return size.error();
  return IpvsInfo{*version, *size};
}

base::Result<IpvsTimeouts> parseConfig(const nlmsghdr* nlh) {
  auto a = topLevel<IPVS_CMD_ATTR_MAX>(nlh);
  if (!a) return a.error();
  auto tcp = fixed<std::uint32_t>((*a)[IPVS_CMD_ATTR_TIMEOUT_TCP], "tcp timeout");
  auto fin = fixed<std::uint32_t>((*a)[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN], "tcpfin timeout");
  auto udp = fixed<std::uint32_t>((*a)[IPVS_CMD_ATTR_TIMEOUT_UDP], "udp timeout");
  if (!tcp || !fin || !udp) return malformed("bad timeout attribute");
  return IpvsTimeouts{*tcp, *fin, *udp};
}

base::Result<SyncDaemon> parseDaemon(const nlmsghdr* nlh) {
  auto top = topLevel<IPVS_CMD_ATTR_MAX>(nlh);
  if (!top) return top.error();
  auto a = nested<IPVS_DAEMON_ATTR_MAX>((*top)[IPVS_CMD_ATTR_DAEMON], "daemon");
  if (!a) return a.error();
  SyncDaemon d;
  auto state = required<std::uint32_t>((*a)[IPVS_DAEMON_ATTR_STATE], "daemon state");
  auto id = required<std::uint32_t>((*a)[IPVS_DAEMON_ATTR_SYNC_ID], "sync id");
  auto maxlen = fixed<std::uint16_t>((*a)[IPVS_DAEMON_ATTR_SYNC_MAXLEN], "maxlen");
  auto port = fixed<std::uint16_t>((*a)[IPVS_DAEMON_ATTR_MCAST_PORT], "port");
  auto ttl = fixed<std::uint8_t>((*a)[IPVS_DAEMON_ATTR_MCAST_TTL], "ttl");
  if (!state) return state.error();
  if (!id) return id.error();
  if (!maxlen || !port || !ttl) return malformed("bad daemon attribute");
  d.state = *state;
  d.interface = text((*a)[IPVS_DAEMON_ATTR_MCAST_IFN]);
  d.sync_id = *id;
  d.max_len = *maxlen;
  d.port = *port;
  d.ttl = *ttl;
  if (const nlattr* g6 = (*a)[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
    auto g = address(g6, AF_INET6, "sync group");
    if (!g) return g.error();
    if (!g->isUnspecified()) d.group = *g;
  }
  if (const nlattr* g4 = (*a)[IPVS_DAEMON_ATTR_MCAST_GROUP]; g4 != nullptr && !d.group) {
    auto g = address(g4, AF_INET, "sync group");
    if (!g) return g.error();
    if (!g->isUnspecified()) d.group = *g;
  }
  return d;
}

base::Result<std::uint16_t> parseFamilyId(const nlmsghdr* nlh) {
  auto a = topLevel<CTRL_ATTR_MAX>(nlh);
  if (!a) return a.error();
  return required<std::uint16_t>((*a)[CTRL_ATTR_FAMILY_ID], "family id");
}

}  // namespace keel::dataplane::ipvs
