// Packet builders for the BPF fixtures: Ethernet, 802.1Q, IPv4 (with options and fragment
// fields), IPv6 (with extension headers), TCP, UDP, ICMP and ICMPv6, layered outermost first and
// serialised with correct lengths and checksums, so that an expected packet built from scratch
// also checks every checksum the program updated incrementally. Test code only.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace keel::bpftest {

using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

struct Addr {
  int family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> bytes{};

  std::size_t size() const { return family == 4 ? 4 : 16; }
};

// "192.0.2.1" or "2001:db8::1"; aborts the test binary on a typo.
Addr addr(const std::string& text);

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct EthLayer {
  Mac dst, src;
  std::uint16_t type = 0;  // 0: from the next layer
};
struct VlanLayer {
  std::uint16_t tpid = 0x8100;
  std::uint16_t tci = 0;
};
struct Ipv4Layer {
  Addr src, dst;
  std::uint8_t proto = 0;  // 0: from the next layer
  std::uint8_t ttl = 64;
  std::uint16_t frag = 0;  // flags and offset, host order (0x2000 = MF)
  Bytes options;           // padded to 4 bytes by the caller
  int ihl_override = -1;   // a lying IHL
  int tot_len_override = -1;
  std::uint16_t id = 0x1234;
};
struct Ipv6Ext {
  std::uint8_t type;  // 0, 43, 60, 44, 51...
  Bytes body;         // after next-header and length; sized to the header's unit
};
struct Ipv6Layer {
  Addr src, dst;
  std::uint8_t next = 0;  // 0 with no extension headers: from the next layer
  std::vector<Ipv6Ext> ext;
  int payload_len_override = -1;
};
struct TcpLayer {
  std::uint16_t sport, dport;
  std::uint8_t flags = kAck;
  std::uint32_t seq = 1000, ack = 2000;
  int doff_override = -1;
};
struct UdpLayer {
  std::uint16_t sport, dport;
  bool zero_checksum = false;
};
struct IcmpLayer {  // ICMPv4 or ICMPv6, by the enclosing IP layer
  std::uint8_t type, code = 0;
  std::uint32_t rest = 0;
};
struct RawLayer {
  Bytes bytes;
};

using Layer = std::variant<EthLayer, VlanLayer, Ipv4Layer, Ipv6Layer, TcpLayer, UdpLayer, IcmpLayer,
                           RawLayer>;

class PacketBuilder {
 public:
  PacketBuilder& eth(Mac dst, Mac src, std::uint16_t type = 0);
  PacketBuilder& vlan(std::uint16_t tci, std::uint16_t tpid = 0x8100);
  PacketBuilder& ipv4(const Addr& src, const Addr& dst, std::uint8_t proto = 0);
  PacketBuilder& ipv6(const Addr& src, const Addr& dst, std::uint8_t next = 0);
  PacketBuilder& ip(const Addr& src, const Addr& dst);  // v4 or v6 by src's family
  PacketBuilder& tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags = kAck);
  PacketBuilder& udp(std::uint16_t sport, std::uint16_t dport);
  PacketBuilder& icmp(std::uint8_t type, std::uint8_t code = 0, std::uint32_t rest = 0);
  PacketBuilder& raw(Bytes bytes);
  PacketBuilder& payload(const std::string& text);

  // The last layer of that kind, to set unusual fields.
  Ipv4Layer& lastIpv4();
  Ipv6Layer& lastIpv6();
  TcpLayer& lastTcp();
  UdpLayer& lastUdp();

  Bytes build() const;

 private:
  std::vector<Layer> layers_;
};

// The Internet checksum (RFC 1071) of `bytes`, with `initial` added first (a pseudo-header sum).
std::uint16_t inetChecksum(const std::uint8_t* bytes, std::size_t len, std::uint32_t initial = 0);

std::string hex(const Bytes& bytes);

}  // namespace keel::bpftest
