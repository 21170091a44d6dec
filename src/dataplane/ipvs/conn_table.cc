#include "dataplane/ipvs/conn_table.h"

#include <array>
#include <charconv>
#include <optional>
#include <string>

namespace keel::dataplane::ipvs {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view s, int base) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<base::IpAddress> address(std::string_view s) {
  if (s.find(':') != std::string_view::npos) {
    auto a = base::IpAddress::parseV6(s);
    return a ? std::optional(*a) : std::nullopt;
  }
  if (s.size() != 8) return std::nullopt;
  auto v = number<std::uint32_t>(s, 16);
  return v ? std::optional(base::IpAddress::v4(*v)) : std::nullopt;
}

std::optional<lb::Protocol> protocol(std::string_view s) {
  if (s == "TCP") return lb::Protocol::Tcp;
  if (s == "UDP") return lb::Protocol::Udp;
  if (s == "SCTP") return lb::Protocol::Sctp;
  return std::nullopt;
}

// "TCP C612000A 9C40 C6120064 0050 C612000B 0050 ESTABLISHED     899"
std::optional<Connection> parseLine(std::string_view line) {
  const auto w = words(line);
  if (w.size() < 9) return std::nullopt;
  auto proto = protocol(w[0]);
  auto client = address(w[1]);
  auto cport = number<std::uint16_t>(w[2], 16);
  auto vaddr = address(w[3]);
  auto vport = number<std::uint16_t>(w[4], 16);
  auto daddr = address(w[5]);
  auto dport = number<std::uint16_t>(w[6], 16);
  auto expires = number<std::int64_t>(w[8], 10);
  if (!proto || !client || !cport || !vaddr || !vport || !daddr || !dport || !expires) {
    return std::nullopt;
  }
  Connection c;
  c.protocol = *proto;
  c.client = *client;
  c.client_port = *cport;
  c.service = lb::ServiceKey{*vaddr, *vport, *proto, 0};
  c.real = lb::RealKey{*daddr, *dport};
  c.state = std::string(w[7]);
  c.expires = std::chrono::seconds(*expires);
  return c;
}

}  // namespace

std::vector<Connection> parseConnections(std::string_view text, std::size_t limit,
                                         std::size_t* skipped) {
  std::vector<Connection> out;
  std::size_t bad = 0;
  bool header = true;
  while (!text.empty() && out.size() < limit) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (header) {
      header = false;
      continue;
    }
    if (line.empty()) continue;
    if (auto c = parseLine(line)) {
      out.push_back(std::move(*c));
    } else {
      ++bad;
    }
  }
  if (skipped != nullptr) *skipped = bad;
  return out;
}

}  // namespace keel::dataplane::ipvs
