#include "packet.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace keel::bpftest {

namespace {

void put16(Bytes& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

void put32(Bytes& b, std::size_t off, std::uint32_t v) {
  put16(b, off, static_cast<std::uint16_t>(v >> 16));
  put16(b, off + 2, static_cast<std::uint16_t>(v));
}

std::uint32_t sum16(const std::uint8_t* p, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (len % 2) sum += p[len - 1] << 8;
  return sum;
}

std::uint32_t pseudoSum(const Addr& src, const Addr& dst, std::uint8_t proto, std::size_t len) {
  return sum16(src.bytes.data(), src.size()) + sum16(dst.bytes.data(), dst.size()) + proto +
         static_cast<std::uint32_t>(len >> 16) + static_cast<std::uint32_t>(len & 0xffff);
}

// The protocol number or EtherType that announces `layer` from the layer before it.
std::uint16_t announce(const Layer& layer) {
  if (std::holds_alternative<Ipv4Layer>(layer)) return 0x0800;
  if (std::holds_alternative<Ipv6Layer>(layer)) return 0x86dd;
  if (std::holds_alternative<VlanLayer>(layer)) return std::get<VlanLayer>(layer).tpid;
  return 0;
}

std::uint8_t ipProto(const Layer& layer, bool v6) {
  if (std::holds_alternative<TcpLayer>(layer)) return 6;
  if (std::holds_alternative<UdpLayer>(layer)) return 17;
  if (std::holds_alternative<IcmpLayer>(layer)) return v6 ? 58 : 1;
  if (std::holds_alternative<Ipv4Layer>(layer)) return 4;
  if (std::holds_alternative<Ipv6Layer>(layer)) return 41;
  return 0;
}

struct Enclosing {  // the nearest IP layer outside an L4 layer
  Addr src, dst;
  bool present = false;
};

}  // namespace

Addr addr(const std::string& text) {
  Addr a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
  } else {
    std::fprintf(stderr, "bad address %s\n", text.c_str());
    std::abort();
  }
  return a;
}

std::uint16_t inetChecksum(const std::uint8_t* bytes, std::size_t len, std::uint32_t initial) {
  std::uint32_t sum = initial + sum16(bytes, len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::string hex(const Bytes& bytes) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    out += buf;
    if (i % 16 == 15)
      out += '\n';
    else if (i % 2 == 1)
      out += ' ';
  }
  return out;
}

PacketBuilder& PacketBuilder::eth(Mac dst, Mac src, std::uint16_t type) {
  layers_.emplace_back(EthLayer{dst, src, type});
  return *this;
}
PacketBuilder& PacketBuilder::vlan(std::uint16_t tci, std::uint16_t tpid) {
  layers_.emplace_back(VlanLayer{tpid, tci});
  return *this;
}
PacketBuilder& PacketBuilder::ipv4(const Addr& src, const Addr& dst, std::uint8_t proto) {
  Ipv4Layer l;
  l.src = src;
  l.dst = dst;
  l.proto = proto;
  layers_.emplace_back(l);
  return *this;
}
PacketBuilder& PacketBuilder::ipv6(const Addr& src, const Addr& dst, std::uint8_t next) {
  Ipv6Layer l;
  l.src = src;
  l.dst = dst;
  l.next = next;
  layers_.emplace_back(l);
  return *this;
}
PacketBuilder& PacketBuilder::ip(const Addr& src, const Addr& dst) {
  return src.family == 4 ? ipv4(src, dst) : ipv6(src, dst);
}
PacketBuilder& PacketBuilder::tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
  TcpLayer l;
  l.sport = sport;
  l.dport = dport;
  l.flags = flags;
  layers_.emplace_back(l);
  return *this;
}
PacketBuilder& PacketBuilder::udp(std::uint16_t sport, std::uint16_t dport) {
  layers_.emplace_back(UdpLayer{sport, dport, false});
  return *this;
}
PacketBuilder& PacketBuilder::icmp(std::uint8_t type, std::uint8_t code, std::uint32_t rest) {
  layers_.emplace_back(IcmpLayer{type, code, rest});
  return *this;
}
PacketBuilder& PacketBuilder::raw(Bytes bytes) {
  layers_.emplace_back(RawLayer{std::move(bytes)});
  return *this;
}
PacketBuilder& PacketBuilder::payload(const std::string& text) {
  return raw(Bytes(text.begin(), text.end()));
}

template <typename T>
static T& lastOf(std::vector<Layer>& layers) {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    if (auto* l = std::get_if<T>(&*it)) return *l;
  std::fprintf(stderr, "no such layer\n");
  std::abort();
}
Ipv4Layer& PacketBuilder::lastIpv4() { return lastOf<Ipv4Layer>(layers_); }
Ipv6Layer& PacketBuilder::lastIpv6() { return lastOf<Ipv6Layer>(layers_); }
TcpLayer& PacketBuilder::lastTcp() { return lastOf<TcpLayer>(layers_); }
UdpLayer& PacketBuilder::lastUdp() { return lastOf<UdpLayer>(layers_); }

Bytes PacketBuilder::build() const {
  Bytes inner;
  for (std::size_t k = layers_.size(); k-- > 0;) {
    const Layer& layer = layers_[k];
    const Layer* next = k + 1 < layers_.size() ? &layers_[k + 1] : nullptr;
    Enclosing ip;
    for (std::size_t j = k; j-- > 0;) {
      if (auto* l4 = std::get_if<Ipv4Layer>(&layers_[j])) {
        ip = {l4->src, l4->dst, true};
        break;
      }
      if (auto* l6 = std::get_if<Ipv6Layer>(&layers_[j])) {
        ip = {l6->src, l6->dst, true};
        break;
      }
    }
    Bytes h;
    if (auto* e = std::get_if<EthLayer>(&layer)) {
      h.assign(14, 0);
      std::memcpy(h.data(), e->dst.data(), 6);
      std::memcpy(h.data() + 6, e->src.data(), 6);
      put16(h, 12, e->type ? e->type : (next ? announce(*next) : 0));
    } else if (auto* v = std::get_if<VlanLayer>(&layer)) {
      // The TPID was written by the layer before; here come TCI and the inner EtherType.
      h.assign(4, 0);
      put16(h, 0, v->tci);
      put16(h, 2, next ? announce(*next) : 0);
    } else if (auto* l4 = std::get_if<Ipv4Layer>(&layer)) {
      std::size_t hlen = 20 + l4->options.size();
      h.assign(hlen, 0);
      int ihl = l4->ihl_override >= 0 ? l4->ihl_override : static_cast<int>(hlen / 4);
      h[0] = static_cast<std::uint8_t>(0x40 | (ihl & 0xf));
      std::size_t tot = hlen + inner.size();
      put16(h, 2,
            static_cast<std::uint16_t>(l4->tot_len_override >= 0 ? l4->tot_len_override : tot));
      put16(h, 4, l4->id);
      put16(h, 6, l4->frag);
      h[8] = l4->ttl;
      h[9] = l4->proto ? l4->proto : (next ? ipProto(*next, false) : 0);
      std::memcpy(h.data() + 12, l4->src.bytes.data(), 4);
      std::memcpy(h.data() + 16, l4->dst.bytes.data(), 4);
      if (!l4->options.empty()) std::memcpy(h.data() + 20, l4->options.data(), l4->options.size());
      put16(h, 10, inetChecksum(h.data(), hlen));
    } else if (auto* l6 = std::get_if<Ipv6Layer>(&layer)) {
      std::uint8_t upper = l6->next ? l6->next : (next ? ipProto(*next, true) : 59);
      Bytes exts;
      for (std::size_t i = l6->ext.size(); i-- > 0;) {
        const Ipv6Ext& x = l6->ext[i];
        Bytes eh{upper, 0};
        eh.insert(eh.end(), x.body.begin(), x.body.end());
        std::size_t total = eh.size();
        eh[1] = static_cast<std::uint8_t>(x.type == 51 ? total / 4 - 2 : total / 8 - 1);
        if (x.type == 44) eh[1] = 0;
        eh.insert(eh.end(), exts.begin(), exts.end());
        exts = std::move(eh);
        upper = x.type;
      }
      h.assign(40, 0);
      put32(h, 0, 6u << 28);
      std::size_t plen = exts.size() + inner.size();
      put16(h, 4,
            static_cast<std::uint16_t>(l6->payload_len_override >= 0 ? l6->payload_len_override
                                                                     : plen));
      h[6] = upper;
      h[7] = 64;
      std::memcpy(h.data() + 8, l6->src.bytes.data(), 16);
      std::memcpy(h.data() + 24, l6->dst.bytes.data(), 16);
      h.insert(h.end(), exts.begin(), exts.end());
    } else if (auto* t = std::get_if<TcpLayer>(&layer)) {
      h.assign(20, 0);
      put16(h, 0, t->sport);
      put16(h, 2, t->dport);
      put32(h, 4, t->seq);
      put32(h, 8, t->flags & kAck ? t->ack : 0);
      h[12] = static_cast<std::uint8_t>((t->doff_override >= 0 ? t->doff_override : 5) << 4);
      h[13] = t->flags;
      put16(h, 14, 65535);
      h.insert(h.end(), inner.begin(), inner.end());
      if (ip.present)
        put16(h, 16, inetChecksum(h.data(), h.size(), pseudoSum(ip.src, ip.dst, 6, h.size())));
      inner = std::move(h);
      continue;
    } else if (auto* u = std::get_if<UdpLayer>(&layer)) {
      h.assign(8, 0);
      put16(h, 0, u->sport);
      put16(h, 2, u->dport);
      put16(h, 4, static_cast<std::uint16_t>(8 + inner.size()));
      h.insert(h.end(), inner.begin(), inner.end());
      if (ip.present && !u->zero_checksum) {
        std::uint16_t c = inetChecksum(h.data(), h.size(), pseudoSum(ip.src, ip.dst, 17, h.size()));
        put16(h, 6, c ? c : 0xffff);
      }
      inner = std::move(h);
      continue;
    } else if (auto* i = std::get_if<IcmpLayer>(&layer)) {
      h.assign(8, 0);
      h[0] = i->type;
      h[1] = i->code;
      put32(h, 4, i->rest);
      h.insert(h.end(), inner.begin(), inner.end());
      bool v6 = ip.present && ip.src.family == 6;
      put16(h, 2,
            inetChecksum(h.data(), h.size(), v6 ? pseudoSum(ip.src, ip.dst, 58, h.size()) : 0));
      inner = std::move(h);
      continue;
    } else if (auto* r = std::get_if<RawLayer>(&layer)) {
      h = r->bytes;
    }
    h.insert(h.end(), inner.begin(), inner.end());
    inner = std::move(h);
  }
  return inner;
}

}  // namespace keel::bpftest
