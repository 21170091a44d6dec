#include "check/names.h"

#include <type_traits>

#include "model/identity.h"

namespace keel::check {

// model/identity.h is the one formatter; these name its keepalived texts for a configured server.
std::string endpointText(const model::VirtualServer& vs, const base::IpAddress& address,
                         std::uint16_t port) {
  return model::keepalivedText(address, port, vs.protocol);
}

std::string realServerText(const model::VirtualServer& vs, const model::RealServer& rs) {
  return endpointText(vs, rs.address, rs.port);
}

std::string virtualServerText(const model::VirtualServer& vs) {
  return model::keepalivedText(model::VirtualServerId::of(vs));
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
