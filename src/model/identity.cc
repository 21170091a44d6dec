#include "model/identity.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "model/virtual_server.h"

namespace keel::model {

namespace {

std::string lowerProtocol(base::IpProtocol p) {
  std::string s(base::ipProtocolName(p));
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t mix(std::size_t seed, std::size_t v) { return seed * 1000003U ^ v; }

}  // namespace

VirtualServerId VirtualServerId::of(const VirtualServer& vs) {
  if (const auto* a = std::get_if<VsAddress>(&vs.key)) {
    return ofAddress(a->address, a->port, vs.protocol);
  }
  if (const auto* f = std::get_if<VsFwmark>(&vs.key)) return ofFwmark(f->mark);
  return ofGroup(std::get<VsGroup>(vs.key).name);
}

VirtualServerId VirtualServerId::ofAddress(const base::IpAddress& address, std::uint16_t port,
                                           base::IpProtocol protocol) {
  VirtualServerId id;
  id.address = address;
  id.port = port;
  id.protocol = protocol;
  return id;
}

VirtualServerId VirtualServerId::ofFwmark(std::uint32_t mark) {
  VirtualServerId id;
  id.kind = Kind::Fwmark;
  id.fwmark = mark;
  return id;
}

VirtualServerId VirtualServerId::ofGroup(std::string name) {
  VirtualServerId id;
  id.kind = Kind::Group;
  id.group = std::move(name);
  return id;
}

std::string endpointStr(const base::IpAddress& address, std::uint16_t port) {
  return address.isV6() ? fmt::format("[{}]:{}", address.str(), port)
                        : fmt::format("{}:{}", address.str(), port);
}

std::string str(const VirtualServerId& id) {
  switch (id.kind) {
    case VirtualServerId::Kind::Address:
      return fmt::format("{}/{}", endpointStr(id.address, id.port),
                         base::ipProtocolName(id.protocol));
    case VirtualServerId::Kind::Fwmark:
      return fmt::format("fwmark {}", id.fwmark);
    case VirtualServerId::Kind::Group:
      break;
  }
  return fmt::format("group {}", id.group);
}

std::string virtualServerName(const VirtualServer& vs) { return str(VirtualServerId::of(vs)); }

std::string str(const RealServerId& id) {
  return fmt::format("{} -> {}", str(id.virtual_server), endpointStr(id.address, id.port));
}

std::string keepalivedText(const base::IpAddress& address, std::uint16_t port,
                           base::IpProtocol protocol) {
  return fmt::format("[{}]:{}:{}", address.str(), lowerProtocol(protocol), port);
}

std::string keepalivedText(const VirtualServerId& id) {
  switch (id.kind) {
    case VirtualServerId::Kind::Address:
      return keepalivedText(id.address, id.port, id.protocol);
    case VirtualServerId::Kind::Fwmark:
      return fmt::format("FWM {}", id.fwmark);
    case VirtualServerId::Kind::Group:
      break;
  }
  return fmt::format("[{}]", id.group);
}

std::size_t hashValue(const VirtualServerId& id) {
  std::size_t h = static_cast<std::size_t>(id.kind);
  h = mix(h, base::hashValue(id.address));
  h = mix(h, (static_cast<std::size_t>(id.port) << 8U) | static_cast<std::size_t>(id.protocol));
  h = mix(h, id.fwmark);
  return mix(h, std::hash<std::string>{}(id.group));
}

std::size_t hashValue(const RealServerId& id) {
  std::size_t h = hashValue(id.virtual_server);
  h = mix(h, base::hashValue(id.address));
  return mix(h, id.port);
}

}  // namespace keel::model
