#include "dataplane/ipvs/ipvs_codec.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::dataplane::ipvs {
namespace {

using Bytes = std::vector<std::uint8_t>;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

// A netlink attribute written by hand (little-endian host, as the kernel's), independent of the
// code under test: fixtures for replies.
Bytes attr(std::uint16_t type, const Bytes& payload) {
  Bytes out(4);
  const auto len = static_cast<std::uint16_t>(4 + payload.size());
  std::memcpy(out.data(), &len, 2);
  std::memcpy(out.data() + 2, &type, 2);
  out.insert(out.end(), payload.begin(), payload.end());
  out.resize((out.size() + 3) & ~std::size_t{3}, 0);
  return out;
}
template <typename T>
Bytes raw(T v) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes nest(std::uint16_t type, std::initializer_list<Bytes> parts) {
  return attr(type | NLA_F_NESTED, cat(parts));
}
// nlmsghdr + genlmsghdr + attributes; aligned storage for the header casts.
struct Reply {
  std::vector<std::uint32_t> words;
  explicit Reply(std::uint8_t cmd, const Bytes& attrs) {
    Bytes b(NLMSG_HDRLEN + GENL_HDRLEN);
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(b.size() + attrs.size());
    h.nlmsg_type = 0x20;
    std::memcpy(b.data(), &h, sizeof(h));
    b[NLMSG_HDRLEN] = cmd;
    b[NLMSG_HDRLEN + 1] = 1;
    b.insert(b.end(), attrs.begin(), attrs.end());
    words.resize((b.size() + 3) / 4);
    std::memcpy(words.data(), b.data(), b.size());
  }
  const nlmsghdr* nlh() const { return reinterpret_cast<const nlmsghdr*>(words.data()); }
};

// A request to family 0x21 asking for an ack: headers, then `attrs`.
Bytes request(std::uint32_t seq, std::uint8_t cmd, const Bytes& attrs) {
  return cat({raw<std::uint32_t>(static_cast<std::uint32_t>(20 + attrs.size())),
              raw<std::uint16_t>(0x21), raw<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK),
              raw<std::uint32_t>(seq), raw<std::uint32_t>(0), Bytes{cmd, 1, 0, 0}, attrs});
}

Bytes addrBytes(const char* text) {
  const auto a = ip(text);
  return Bytes(a.bytes().begin(), a.bytes().end());
}

Bytes v4addr16(const char* text) {
  Bytes b(16, 0);
  const auto a = ip(text);
  std::memcpy(b.data(), a.bytes().data(), 4);
  return b;
}

// -- requests: the exact bytes of two messages, then the structure of the others ----------------

TEST(IpvsCodec, DelServiceIsExactlyTheKernelsLayout) {
  Message m = delService(0x21, 7, {AF_INET, IPPROTO_TCP, ip("198.18.0.100"), 80, 0});
  const Bytes want = request(
      7, IPVS_CMD_DEL_SERVICE,
      nest(IPVS_CMD_ATTR_SERVICE, {attr(IPVS_SVC_ATTR_AF, raw<std::uint16_t>(AF_INET)),
                                   attr(IPVS_SVC_ATTR_PROTOCOL, raw<std::uint16_t>(IPPROTO_TCP)),
                                   attr(IPVS_SVC_ATTR_ADDR, v4addr16("198.18.0.100")),
                                   attr(IPVS_SVC_ATTR_PORT, raw<std::uint16_t>(htons(80)))}));
  const auto got = m.bytes();
  EXPECT_EQ(Bytes(got.begin(), got.end()), want);
}

TEST(IpvsCodec, NewDestCarriesServiceIdentityAndEveryDestinationSetting) {
  IpvsDestConfig d;
  d.address = ip("198.18.0.11");
  d.port = 8080;
  d.forwarding = kFwdRoute;
  d.weight = 3;
  d.upper_threshold = 100;
  d.lower_threshold = 10;
  Message m = newDest(0x21, 9, {AF_INET, 0, base::IpAddress{}, 0, 7}, d);
  const Bytes want =
      request(9, IPVS_CMD_NEW_DEST,
              cat({nest(IPVS_CMD_ATTR_SERVICE, {attr(IPVS_SVC_ATTR_AF, raw<std::uint16_t>(AF_INET)),
                                                attr(IPVS_SVC_ATTR_FWMARK, raw<std::uint32_t>(7))}),
                   nest(IPVS_CMD_ATTR_DEST,
                        {attr(IPVS_DEST_ATTR_ADDR_FAMILY, raw<std::uint16_t>(AF_INET)),
                         attr(IPVS_DEST_ATTR_ADDR, v4addr16("198.18.0.11")),
                         attr(IPVS_DEST_ATTR_PORT, raw<std::uint16_t>(htons(8080))),
                         attr(IPVS_DEST_ATTR_FWD_METHOD, raw<std::uint32_t>(IP_VS_CONN_F_DROUTE)),
                         attr(IPVS_DEST_ATTR_WEIGHT, raw<std::uint32_t>(3)),
                         attr(IPVS_DEST_ATTR_U_THRESH, raw<std::uint32_t>(100)),
                         attr(IPVS_DEST_ATTR_L_THRESH, raw<std::uint32_t>(10))})}));
  const auto got = m.bytes();
  EXPECT_EQ(Bytes(got.begin(), got.end()), want);
}

// The attributes of a built message, by (nest type, attribute type) -> payload.
std::map<std::pair<int, int>, Bytes> attributes(Message& m) {
  std::map<std::pair<int, int>, Bytes> out;
  const auto bytes = m.bytes();
  std::size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
  auto walk = [&](std::size_t from, std::size_t to, int outer, auto& self) -> void {
    while (from + 4 <= to) {
      std::uint16_t len = 0;
      std::uint16_t type = 0;
      std::memcpy(&len, bytes.data() + from, 2);
      std::memcpy(&type, bytes.data() + from + 2, 2);
      ASSERT_GE(len, 4);
      if ((type & NLA_F_NESTED) != 0) {
        self(from + 4, from + len, type & NLA_TYPE_MASK, self);
      } else {
        out[{outer, type}] = Bytes(bytes.begin() + static_cast<long>(from + 4),
                                   bytes.begin() + static_cast<long>(from + len));
      }
      from += (len + 3u) & ~3u;
    }
  };
  walk(off, bytes.size(), 0, walk);
  return out;
}

TEST(IpvsCodec, NewServiceSendsSchedulerFlagsTimeoutAndNetmask) {
  IpvsServiceConfig c{"sh", kFlagPersistent | kFlagSched1 | kFlagSched2 | kFlagHashed, 300,
                      htonl(0xffffff00), ""};
  Message m = newService(0x21, 1, {AF_INET, IPPROTO_UDP, ip("198.18.0.100"), 53, 0}, c);
  auto a = attributes(m);
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_SCHED_NAME}), (Bytes{'s', 'h', 0}));
  ip_vs_flags flags{};
  std::memcpy(&flags, a.at({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_FLAGS}).data(), sizeof(flags));
  EXPECT_EQ(flags.flags, kFlagPersistent | kFlagSched1 | kFlagSched2);  // never the hashed bit
  EXPECT_EQ(flags.mask, ~0U);
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_TIMEOUT}), raw<std::uint32_t>(300));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_NETMASK}),
            raw<std::uint32_t>(htonl(0xffffff00)));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_PROTOCOL}), raw<std::uint16_t>(IPPROTO_UDP));
  EXPECT_EQ(a.count({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_PE_NAME}), 0u);
}

TEST(IpvsCodec, Ipv6ServiceAndTunnelDestination) {
  IpvsDestConfig d;
  d.address = ip("2001:db8::11");
  d.port = 80;
  d.forwarding = kFwdTunnel;
  d.tun_type = TunnelType::Gue;
  d.tun_port = 6080;
  d.tun_flags = kTunRemCsum;
  Message m = setDest(0x21, 2, {AF_INET6, IPPROTO_TCP, ip("2001:db8::100"), 80, 0}, d);
  auto a = attributes(m);
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_ADDR}), addrBytes("2001:db8::100"));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DEST, IPVS_DEST_ATTR_ADDR_FAMILY}), raw<std::uint16_t>(AF_INET6));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DEST, IPVS_DEST_ATTR_TUN_TYPE}), Bytes{1});
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DEST, IPVS_DEST_ATTR_TUN_PORT}), raw<std::uint16_t>(htons(6080)));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DEST, IPVS_DEST_ATTR_TUN_FLAGS}), raw<std::uint16_t>(2));
}

TEST(IpvsCodec, DaemonAndTimeoutRequests) {
  SyncDaemon d{kSyncBackup, "eth1", 9, 1400, ip("239.1.2.3"), 8850, 2};
  Message m = newDaemon(0x21, 3, d);
  auto a = attributes(m);
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_STATE}), raw<std::uint32_t>(2));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_MCAST_IFN}),
            (Bytes{'e', 't', 'h', '1', 0}));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_SYNC_ID}), raw<std::uint32_t>(9));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_SYNC_MAXLEN}), raw<std::uint16_t>(1400));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_MCAST_GROUP}), (Bytes{239, 1, 2, 3}));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_MCAST_PORT}), raw<std::uint16_t>(8850));
  EXPECT_EQ(a.at({IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_MCAST_TTL}), Bytes{2});
  SyncDaemon plain{kSyncMaster, "eth0", 1, 0, std::nullopt, 0, 0};
  Message p = newDaemon(0x21, 4, plain);
  EXPECT_EQ(attributes(p).size(), 3u);  // the kernel's defaults stand for the rest

  Message t = setConfig(0x21, 5, {900, 0, 300});
  auto ta = attributes(t);
  EXPECT_EQ(ta.at({0, IPVS_CMD_ATTR_TIMEOUT_TCP}), raw<std::uint32_t>(900));
  EXPECT_EQ(ta.count({0, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN}), 0u);  // 0: left as it is
  EXPECT_EQ(ta.at({0, IPVS_CMD_ATTR_TIMEOUT_UDP}), raw<std::uint32_t>(300));
}

TEST(IpvsCodec, DumpsAndTheFamilyLookup) {
  Message s = getServices(0x21, 1);
  EXPECT_EQ(s.header()->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  Message f = getFamily(2);
  EXPECT_EQ(f.header()->nlmsg_type, GENL_ID_CTRL);
  EXPECT_EQ(attributes(f).at({0, CTRL_ATTR_FAMILY_NAME}), (Bytes{'I', 'P', 'V', 'S', 0}));
}

// -- replies ------------------------------------------------------------------------------------

Bytes stats64(std::uint64_t conns, std::uint64_t inbytes) {
  return nest(IPVS_SVC_ATTR_STATS64, {attr(IPVS_STATS_ATTR_CONNS, raw(conns)),
                                      attr(IPVS_STATS_ATTR_INPKTS, raw<std::uint64_t>(3)),
                                      attr(IPVS_STATS_ATTR_OUTPKTS, raw<std::uint64_t>(0)),
                                      attr(IPVS_STATS_ATTR_INBYTES, raw(inbytes)),
                                      attr(IPVS_STATS_ATTR_OUTBYTES, raw<std::uint64_t>(0)),
                                      attr(IPVS_STATS_ATTR_CPS, raw<std::uint64_t>(1)),
                                      attr(IPVS_STATS_ATTR_INPPS, raw<std::uint64_t>(2)),
                                      attr(IPVS_STATS_ATTR_OUTPPS, raw<std::uint64_t>(0)),
                                      attr(IPVS_STATS_ATTR_INBPS, raw<std::uint64_t>(99)),
                                      attr(IPVS_STATS_ATTR_OUTBPS, raw<std::uint64_t>(0))});
}

Bytes serviceReply(std::initializer_list<Bytes> extra) {
  Bytes svc =
      cat({attr(IPVS_SVC_ATTR_AF, raw<std::uint16_t>(AF_INET)),
           attr(IPVS_SVC_ATTR_PROTOCOL, raw<std::uint16_t>(IPPROTO_TCP)),
           attr(IPVS_SVC_ATTR_ADDR, v4addr16("198.18.0.100")),
           attr(IPVS_SVC_ATTR_PORT, raw<std::uint16_t>(htons(80))),
           attr(IPVS_SVC_ATTR_SCHED_NAME, {'r', 'r', 0}),
           attr(IPVS_SVC_ATTR_FLAGS,
                cat({raw<std::uint32_t>(kFlagPersistent | kFlagHashed), raw<std::uint32_t>(~0U)})),
           attr(IPVS_SVC_ATTR_TIMEOUT, raw<std::uint32_t>(50)),
           attr(IPVS_SVC_ATTR_NETMASK, raw<std::uint32_t>(0xffffffff)), stats64(12, 3400),
           attr(99, Bytes{1, 2, 3})});  // an attribute a newer kernel might add
  for (const Bytes& e : extra) svc.insert(svc.end(), e.begin(), e.end());
  return attr(IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, svc);
}

TEST(IpvsCodec, ParsesAServiceWithItsStats) {
  Reply r(IPVS_CMD_NEW_SERVICE, serviceReply({}));
  auto s = parseService(r.nlh());
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->key, (IpvsServiceKey{AF_INET, IPPROTO_TCP, ip("198.18.0.100"), 80, 0}));
  EXPECT_EQ(s->config, (IpvsServiceConfig{"rr", kFlagPersistent, 50, 0xffffffff, ""}));
  EXPECT_EQ(s->stats.conns, 12u);
  EXPECT_EQ(s->stats.in_bytes, 3400u);
  EXPECT_EQ(s->stats.in_bps, 99u);
}

TEST(IpvsCodec, ParsesADestination) {
  Reply r(IPVS_CMD_NEW_DEST,
          nest(IPVS_CMD_ATTR_DEST,
               {attr(IPVS_DEST_ATTR_ADDR, addrBytes("2001:db8::11")),
                attr(IPVS_DEST_ATTR_PORT, raw<std::uint16_t>(htons(80))),
                attr(IPVS_DEST_ATTR_FWD_METHOD, raw<std::uint32_t>(IP_VS_CONN_F_MASQ)),
                attr(IPVS_DEST_ATTR_WEIGHT, raw<std::uint32_t>(5)),
                attr(IPVS_DEST_ATTR_U_THRESH, raw<std::uint32_t>(0)),
                attr(IPVS_DEST_ATTR_L_THRESH, raw<std::uint32_t>(0)),
                attr(IPVS_DEST_ATTR_ACTIVE_CONNS, raw<std::uint32_t>(4)),
                attr(IPVS_DEST_ATTR_INACT_CONNS, raw<std::uint32_t>(6)),
                attr(IPVS_DEST_ATTR_PERSIST_CONNS, raw<std::uint32_t>(1)),
                attr(IPVS_DEST_ATTR_ADDR_FAMILY, raw<std::uint16_t>(AF_INET6)),
                attr(IPVS_DEST_ATTR_TUN_TYPE, Bytes{0}),
                attr(IPVS_DEST_ATTR_TUN_PORT, raw<std::uint16_t>(0)),
                attr(IPVS_DEST_ATTR_TUN_FLAGS, raw<std::uint16_t>(0))}));
  auto d = parseDest(r.nlh());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->config.address, ip("2001:db8::11"));
  EXPECT_EQ(d->config.port, 80);
  EXPECT_EQ(d->config.weight, 5u);
  EXPECT_EQ(d->active_conns, 4u);
  EXPECT_EQ(d->inactive_conns, 6u);
  EXPECT_EQ(d->persistent_conns, 1u);
}

TEST(IpvsCodec, MalformedRepliesAreRejectedWithTheReason) {
  // A port of the wrong size.
  Reply bad_port(
      IPVS_CMD_NEW_SERVICE,
      nest(IPVS_CMD_ATTR_SERVICE, {attr(IPVS_SVC_ATTR_AF, raw<std::uint16_t>(AF_INET)),
                                   attr(IPVS_SVC_ATTR_PROTOCOL, raw<std::uint16_t>(IPPROTO_TCP)),
                                   attr(IPVS_SVC_ATTR_ADDR, v4addr16("198.18.0.100")),
                                   attr(IPVS_SVC_ATTR_PORT, raw<std::uint32_t>(80))}));
  auto s = parseService(bad_port.nlh());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("service port has 4 bytes, want 2"), std::string::npos)
      << s.error().message;
  // No service attribute at all; an unknown family; a short address.
  EXPECT_FALSE(parseService(Reply(IPVS_CMD_NEW_SERVICE, {}).nlh()));
  EXPECT_FALSE(parseService(
      Reply(IPVS_CMD_NEW_SERVICE,
            nest(IPVS_CMD_ATTR_SERVICE, {attr(IPVS_SVC_ATTR_AF, raw<std::uint16_t>(7))}))
          .nlh()));
  EXPECT_FALSE(
      parseDest(Reply(IPVS_CMD_NEW_DEST,
                      nest(IPVS_CMD_ATTR_DEST, {attr(IPVS_DEST_ATTR_ADDR, Bytes{1, 2}),
                                                attr(IPVS_DEST_ATTR_PORT, raw<std::uint16_t>(80))}))
                    .nlh()));
  // An attribute whose length runs past the message.
  Reply overrun(IPVS_CMD_NEW_SERVICE, attr(IPVS_CMD_ATTR_SERVICE, Bytes(8, 0)));
  overrun.words[(NLMSG_HDRLEN + GENL_HDRLEN) / 4] = 0x00010040;  // len 64 > what is there
  EXPECT_FALSE(parseService(overrun.nlh()));
}

TEST(IpvsCodec, ParsesInfoTimeoutsAndDaemons) {
  Reply info(IPVS_CMD_SET_INFO,
             cat({attr(IPVS_INFO_ATTR_VERSION, raw<std::uint32_t>(0x010201)),
                  attr(IPVS_INFO_ATTR_CONN_TAB_SIZE, raw<std::uint32_t>(4096))}));
  auto i = parseInfo(info.nlh());
  ASSERT_TRUE(i);
  EXPECT_EQ(i->conn_tab_size, 4096u);
  Reply cfg(IPVS_CMD_SET_CONFIG, cat({attr(IPVS_CMD_ATTR_TIMEOUT_TCP, raw<std::uint32_t>(900)),
                                      attr(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, raw<std::uint32_t>(120)),
                                      attr(IPVS_CMD_ATTR_TIMEOUT_UDP, raw<std::uint32_t>(300))}));
  EXPECT_EQ(*parseConfig(cfg.nlh()), (IpvsTimeouts{900, 120, 300}));
  Reply daemon(
      IPVS_CMD_NEW_DAEMON,
      nest(IPVS_CMD_ATTR_DAEMON, {attr(IPVS_DAEMON_ATTR_STATE, raw<std::uint32_t>(kSyncMaster)),
                                  attr(IPVS_DAEMON_ATTR_MCAST_IFN, {'l', 'o', 0}),
                                  attr(IPVS_DAEMON_ATTR_SYNC_ID, raw<std::uint32_t>(5)),
                                  attr(IPVS_DAEMON_ATTR_SYNC_MAXLEN, raw<std::uint16_t>(1472)),
                                  attr(IPVS_DAEMON_ATTR_MCAST_PORT, raw<std::uint16_t>(8848)),
                                  attr(IPVS_DAEMON_ATTR_MCAST_TTL, Bytes{1}),
                                  attr(IPVS_DAEMON_ATTR_MCAST_GROUP, Bytes{224, 0, 0, 81})}));
  auto d = parseDaemon(daemon.nlh());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(*d, (SyncDaemon{kSyncMaster, "lo", 5, 1472, ip("224.0.0.81"), 8848, 1}));
}

}  // namespace
}  // namespace keel::dataplane::ipvs
