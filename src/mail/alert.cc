#include "mail/alert.h"

#include <fmt/format.h>

namespace keel::mail {

namespace {

struct VrrpTexts {
  std::string_view state;
  std::string_view subject;
  std::string_view instance_body;
  std::string_view group_body;
};

constexpr VrrpTexts kVrrp[] = {
    {"MASTER", "Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <=",
     "=> All VRRP group instances are now in MASTER state <="},
    {"BACKUP", "Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <=",
     "=> All VRRP group instances are now in BACKUP state <="},
    {"FAULT", "Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <=",
     "=> All VRRP group instances are now in FAULT state <="},
    {"STOP", "Stopping",
     "=> VRRP Instance stopping <=", "=> All VRRP group instances are now stopping <="},
};

std::optional<Alert> vrrp(bool group, const AlertFields& f, const std::string& router_id) {
  for (const VrrpTexts& t : kVrrp) {
    if (t.state != f.state) continue;
    return Alert{fmt::format("[{}] VRRP {} {} - {}", router_id, group ? "Group" : "Instance",
                             f.name, t.subject),
                 std::string(group ? t.group_body : t.instance_body)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Alert> formatAlert(AlertKind kind, const AlertFields& f,
                                 const std::string& router_id) {
  switch (kind) {
    case AlertKind::VrrpInstance:
      return vrrp(false, f, router_id);
    case AlertKind::VrrpGroup:
      return vrrp(true, f, router_id);
    case AlertKind::RealServer:
      return Alert{fmt::format("[{}] Realserver {} of virtual server {} - {}", router_id, f.name,
                               f.virtual_server, f.state),
                   f.message};
    case AlertKind::VirtualServer:
      return Alert{fmt::format("[{}] Virtualserver {} - {}", router_id, f.name, f.state),
                   f.message};
  }
  return std::nullopt;
}

std::string realServerText(const base::IpAddress& address, base::IpProtocol protocol,
                           std::uint16_t port) {
  std::string proto(base::ipProtocolName(protocol));
  for (char& c : proto) c = static_cast<char>(c - 'A' + 'a');
  return fmt::format("[{}]:{}:{}", address.str(), proto, port);
}

std::string fwmarkText(std::uint32_t mark) { return fmt::format("FWM {}", mark); }

std::string groupText(const std::string& group, std::uint16_t port) {
  return fmt::format("[{}]:{}", group, port);
}

bool vrrpAlerts(std::optional<bool> own, const model::GlobalDefs& g) {
  return own.value_or(g.smtp_alert_vrrp.value_or(g.smtp_alert.value_or(false)));
}

bool checkerAlerts(std::optional<bool> own, const model::GlobalDefs& g, bool real_server) {
  return own.value_or(g.smtp_alert_checker.value_or(g.smtp_alert.value_or(real_server)));
}

}  // namespace keel::mail
