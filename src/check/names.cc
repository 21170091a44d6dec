#include "check/names.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace keel::check {
namespace {

std::string lowerProtocol(base::IpProtocol p) {
  std::string s(base::ipProtocolName(p));
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string endpointText(const model::VirtualServer& vs, const base::IpAddress& address,
                         std::uint16_t port) {
  return fmt::format("[{}]:{}:{}", address.str(), lowerProtocol(vs.protocol), port);
}

std::string realServerText(const model::VirtualServer& vs, const model::RealServer& rs) {
  return endpointText(vs, rs.address, rs.port);
}

std::string virtualServerText(const model::VirtualServer& vs) {
  if (const auto* a = std::get_if<model::VsAddress>(&vs.key)) {
    return endpointText(vs, a->address, a->port);
  }
  if (const auto* f = std::get_if<model::VsFwmark>(&vs.key)) return fmt::format("FWM {}", f->mark);
  return fmt::format("[{}]", std::get<model::VsGroup>(vs.key).name);
}

std::string checkerKindName(const model::Checker& checker) {
  return std::visit(
      [](const auto& k) -> std::string {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, model::HttpCheck>) return k.tls ? "SSL_GET" : "HTTP_GET";
        if constexpr (std::is_same_v<T, model::TcpCheck>) return "TCP_CHECK";
        if constexpr (std::is_same_v<T, model::SmtpCheck>) return "SMTP_CHECK";
        if constexpr (std::is_same_v<T, model::DnsCheck>) return "DNS_CHECK";
        if constexpr (std::is_same_v<T, model::MiscCheck>) return "MISC_CHECK";
        if constexpr (std::is_same_v<T, model::UdpCheck>) return "UDP_CHECK";
        if constexpr (std::is_same_v<T, model::PingCheck>) return "PING_CHECK";
        if constexpr (std::is_same_v<T, model::FileCheck>) return "FILE_CHECK";
        return "BFD_CHECK";
      },
      checker.kind);
}

}  // namespace keel::check
