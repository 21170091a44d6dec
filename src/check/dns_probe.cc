#include "check/dns_probe.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace keel::check {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxName = 255;  // RFC 1035 §2.3.4, on the wire
constexpr std::size_t kMaxLabel = 63;
constexpr int kMaxPointers = 16;  // compression pointers followed in one name
constexpr std::size_t kMaxReply = 4096;
constexpr int kMaxDatagramsPerWake = 32;

struct TypeName {
  std::string_view name;
  std::uint16_t code;
};
constexpr std::array<TypeName, 7> kTypes{
    {{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28}}};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

// A name read from a message: its labels joined by '.', and where the data after it starts.
struct ReadName {
  std::string text;
  std::size_t next = 0;
};

// RFC 1035 §4.1.4: a name is labels ending in a zero octet or a pointer to an earlier name.
base::Result<ReadName> readName(std::span<const std::uint8_t> msg, std::size_t at) {
  ReadName out;
  std::size_t pos = at;
  std::size_t wire = 0;
  int pointers = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= msg.size()) return base::makeError(base::ErrorCode::Parse, "name runs past the end");
    const std::uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) {
        return base::makeError(base::ErrorCode::Parse, "truncated compression pointer");
      }
      const std::size_t target = static_cast<std::size_t>(len & 0x3f) << 8 | msg[pos + 1];
      if (++pointers > kMaxPointers || target >= pos) {
        return base::makeError(base::ErrorCode::Parse, "compression pointer loop");
      }
      if (!jumped) out.next = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) return base::makeError(base::ErrorCode::Parse, "bad label type");
    wire += 1 + len;
    if (wire > kMaxName) return base::makeError(base::ErrorCode::Parse, "name too long");
    if (len == 0) break;
    if (pos + 1 + len > msg.size()) {
      return base::makeError(base::ErrorCode::Parse, "label runs past the end");
    }
    if (!out.text.empty()) out.text.push_back('.');
    out.text.append(reinterpret_cast<const char*>(msg.data() + pos + 1), len);
    pos += 1 + len;
  }
  if (!jumped) out.next = pos + 1;
  return out;
}

std::string_view rcodeName(int rcode) {
  static constexpr std::array<std::string_view, 6> kNames{"NOERROR",  "FORMERR", "SERVFAIL",
                                                          "NXDOMAIN", "NOTIMP",  "REFUSED"};
  return rcode < static_cast<int>(kNames.size()) ? kNames[static_cast<std::size_t>(rcode)] : "";
}

DnsVerdict skip(std::string reason) { return {DnsVerdict::Kind::Skip, std::move(reason)}; }
DnsVerdict reject(std::string reason) { return {DnsVerdict::Kind::Reject, std::move(reason)}; }

}  // namespace

base::Result<std::uint16_t> dnsTypeCode(std::string_view type) {
  for (const TypeName& t : kTypes) {
    if (equalNoCase(t.name, type)) return t.code;
  }
  return base::makeError(base::ErrorCode::InvalidArgument,
                         "unknown DNS check type '" + std::string(type) + "'");
}

base::Result<std::vector<std::uint8_t>> encodeDnsQuery(std::uint16_t id, std::string_view name,
                                                       std::uint16_t type) {
  std::vector<std::uint8_t> out;
  put16(out, id);
  put16(out, 0x0100);  // RD
  put16(out, 1);       // QDCOUNT
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  if (name == ".") name = "";
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::size_t wire = 1;
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabel) {
      return base::makeError(base::ErrorCode::InvalidArgument,
                             "DNS name has an empty label or one over 63 octets");
    }
    wire += 1 + label.size();
    if (wire > kMaxName) {
      return base::makeError(base::ErrorCode::InvalidArgument, "DNS name over 255 octets");
    }
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
    if (name.empty()) {
      return base::makeError(base::ErrorCode::InvalidArgument, "DNS name has an empty label");
    }
  }
  out.push_back(0);
  put16(out, type);
  put16(out, 1);  // IN
  return out;
}

DnsVerdict judgeDnsReply(std::span<const std::uint8_t> query, std::span<const std::uint8_t> reply) {
  if (reply.size() < kHeaderSize || query.size() < kHeaderSize) {
    return skip("reply of " + std::to_string(reply.size()) + " bytes is shorter than a header");
  }
  if (read16(reply, 0) != read16(query, 0)) return skip("reply with another id");
  const std::uint16_t flags = read16(reply, 2);
  if ((flags & 0x8000) == 0) return skip("datagram is not a reply (QR unset)");
  const int rcode = flags & 0x000f;
  if (rcode != 0) {
    return reject("reply rcode " + std::to_string(rcode) + " " + std::string(rcodeName(rcode)));
  }
  if (read16(reply, 4) == 0) return {DnsVerdict::Kind::Accept, ""};  // no question echoed
  auto got = readName(reply, kHeaderSize);
  if (!got) return reject("malformed question in reply: " + got.error().message);
  if (got->next + 4 > reply.size()) return reject("malformed question in reply: truncated");
  auto want = readName(query, kHeaderSize);
  if (!want || !equalNoCase(got->text, want->text) ||
      read16(reply, got->next) != read16(query, want->next) ||
      read16(reply, got->next + 2) != read16(query, want->next + 2)) {
    return reject("reply is for another question (" + got->text + ")");
  }
  return {DnsVerdict::Kind::Accept, ""};
}

DnsProbe::DnsProbe(event::Loop& loop, ProbeTarget target, model::DnsCheck check)
    : SocketProbe(loop), target_(std::move(target)), check_(std::move(check)) {}

void DnsProbe::start(base::TimePoint deadline, Done done) {
  done_ = std::move(done);
  last_skip_.clear();
  auto type = dnsTypeCode(check_.type);
  if (!type) return failSoon(type.error().str());
  static thread_local std::mt19937 rng{std::random_device{}()};
  auto query = encodeDnsQuery(static_cast<std::uint16_t>(rng()), check_.name, *type);
  if (!query) return failSoon(query.error().str());
  query_ = std::move(*query);
  auto fd = openSocket(target_, SOCK_DGRAM);
  if (!fd) return failSoon(fd.error().str(), outOfDescriptors(fd.error()));
  fd_ = std::move(*fd);
  if (::send(fd_.get(), query_.data(), query_.size(), 0) != static_cast<ssize_t>(query_.size())) {
    return failSoon(KEEL_SYS_ERROR(errno, "send").str());
  }
  if (auto st = loop_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t) { onReadable(); }); !st) {
    return failSoon(st.error().str());
  }
  timer_.armAt(deadline, [this] {
    finish({.reason = last_skip_.empty() ? "read timeout" : "read timeout; " + last_skip_});
  });
}

void DnsProbe::onReadable() {
  std::array<std::uint8_t, kMaxReply> buf{};
  for (int i = 0; i < kMaxDatagramsPerWake; ++i) {
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return finish({.reason = KEEL_SYS_ERROR(errno, "recv").str()});
    }
    const DnsVerdict v = judgeDnsReply(query_, std::span(buf.data(), static_cast<std::size_t>(n)));
    if (v.kind == DnsVerdict::Kind::Accept) return finish({.ok = true});
    if (v.kind == DnsVerdict::Kind::Reject) return finish({.reason = v.reason});
    last_skip_ = v.reason;
  }
}

}  // namespace keel::check
