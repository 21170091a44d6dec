// The alert mails keepalived 2.2.7 writes (its smtp.c and the callers in vrrp_notify.c,
// check_*.c and ipwrapper.c): one formatter per alert kind, so VRRP and the checkers only say
// what happened and the subject and body come out as keepalived's, word for word
// (docs/mail.md). Also who gets mail: keepalived's smtp_alert defaults. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/address.h"
#include "model/global_defs.h"

namespace keel::mail {

enum class AlertKind {
  VrrpInstance,   // a vrrp_instance changed state
  VrrpGroup,      // a vrrp_sync_group changed state
  RealServer,     // a checker brought a real server up or down (or keeld stops)
  VirtualServer,  // a virtual server's quorum was gained or lost
};

struct AlertFields {
  // VrrpInstance, VrrpGroup: the instance or group name. RealServer: the real server as
  // realServerText() writes it. VirtualServer: the virtual server as virtualServerText().
  std::string name;
  // VrrpInstance, VrrpGroup: "MASTER", "BACKUP", "FAULT" or "STOP". RealServer, VirtualServer:
  // "UP" or "DOWN" (or keepalived's other words, e.g. at shutdown), put in the subject as is.
  std::string state;
  std::string virtual_server;  // RealServer: its virtual server, as virtualServerText()
  std::string message;         // RealServer, VirtualServer: the body, e.g. "=> TCP CHECK failed
                               // on service <="
};

struct Alert {
  std::string subject;
  std::string body;
  friend bool operator==(const Alert&, const Alert&) = default;
};

// nullopt for a VRRP state keepalived sends no mail for (e.g. INIT).
std::optional<Alert> formatAlert(AlertKind kind, const AlertFields& fields,
                                 const std::string& router_id);

// keepalived's inet_sockaddrtotrio: "[192.0.2.10]:tcp:80", "[2001:db8::1]:udp:53".
std::string realServerText(const base::IpAddress& address, base::IpProtocol protocol,
                           std::uint16_t port);
// keepalived's format_vs: an address virtual server as realServerText(), "FWM 7", or a group
// "[NAME]:PORT".
std::string fwmarkText(std::uint32_t mark);
std::string groupText(const std::string& group, std::uint16_t port);

// Whether an instance / group with `own` (its smtp_alert, unset if not given) mails:
// own, else smtp_alert_vrrp, else smtp_alert, else no.
bool vrrpAlerts(std::optional<bool> own, const model::GlobalDefs& g);
// A virtual server: own, else smtp_alert_checker, else smtp_alert, else no. A real server: the
// same but finally yes (keepalived keeps that default for compatibility).
bool checkerAlerts(std::optional<bool> own, const model::GlobalDefs& g, bool real_server);

}  // namespace keel::mail
