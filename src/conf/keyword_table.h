// The keyword table: one row for every keyword keepalived 2.2.7 installs
// (tests/conformance/keepalived-2.2.7-keywords.tsv) and every keel extension, per block, with
// what keel does with it (docs/compatibility.md is generated from it, `keeld --keywords`):
//
//   Implemented  bound into the model and acted on as keepalived does (differences that are
//                improvements are in the row's note; values keel refuses are RefusedForms)
//   Refused      keeld -t fails (keepalived's config-error exit code) at the keyword's
//                file:line:col with the row's reason: what is missing and what to use instead.
//                Anything whose absence could change who owns a VIP, whether a real server is in
//                service, or where traffic goes, and that keel does not do, is here.
//   Warned       accepted with no effect and one warning naming it: only keywords whose absence
//                cannot change any of those three (SNMP, DBus, mail, process names, ...).
//
// A keyword not in the table for its block is unknown (an error, as keepalived's "Unknown
// keyword"). The binder is driven by it: bindBlock() (bind_context.h) asks the table before it
// looks at its block's bind functions, and a unit test holds the bind tables and the Implemented
// rows equal. Pure constant data; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keel::conf {

// The blocks keywords live in, as bits so that one row can name several.
enum class Block : std::uint32_t {
  Top = 1u << 0,             // the file's top level
  GlobalDefs = 1u << 1,      // global_defs
  VrrpScript = 1u << 2,      // vrrp_script NAME
  TrackFile = 1u << 3,       // track_file / vrrp_track_file NAME
  TrackProcess = 1u << 4,    // vrrp_track_process NAME
  SyncGroup = 1u << 5,       // vrrp_sync_group NAME
  Instance = 1u << 6,        // vrrp_instance NAME
  Authentication = 1u << 7,  // vrrp_instance's authentication
  GarpGroup = 1u << 8,       // garp_group
  TrackGroup = 1u << 9,      // track_group NAME
  BfdInstance = 1u << 10,    // bfd_instance NAME
  Ssl = 1u << 11,            // SSL (the checkers' TLS settings)
  VirtualServer = 1u << 12,  // virtual_server
  RealServer = 1u << 13,     // real_server
  HttpGet = 1u << 14,
  SslGet = 1u << 15,
  TcpCheck = 1u << 16,
  SmtpCheck = 1u << 17,
  SmtpHost = 1u << 18,  // SMTP_CHECK's deprecated host block
  DnsCheck = 1u << 19,
  MiscCheck = 1u << 20,
  UdpCheck = 1u << 21,
  PingCheck = 1u << 22,
  FileCheck = 1u << 23,
  BfdCheck = 1u << 24,
  Url = 1u << 25,      // HTTP_GET/SSL_GET's url
  VsGroup = 1u << 26,  // virtual_server_group NAME (entries, and fwmark)
};
inline constexpr std::uint32_t kBlockCount = 27;

using Blocks = std::uint32_t;
constexpr Blocks operator|(Block a, Block b) {
  return static_cast<Blocks>(a) | static_cast<Blocks>(b);
}
constexpr Blocks operator|(Blocks a, Block b) { return a | static_cast<Blocks>(b); }

// The block's name as a configuration writes it ("vrrp_instance", "HTTP_GET", "top level").
std::string_view blockName(Block block);

enum class Support : std::uint8_t { Implemented, Refused, Warned };
std::string_view supportName(Support support);  // "implemented", "refused", "warned"

struct KeywordRow {
  std::string_view name;
  Blocks blocks = 0;
  Support support = Support::Implemented;
  // Refused, Warned: why, and what to use instead. Implemented: differences from keepalived
  // worth knowing (may be empty).
  std::string_view note;
  bool keel_extension = false;
};

// A value or form of an implemented keyword that keel refuses (`auth_type AH`, `protocol SCTP`,
// `virtual_server fwmark`, ...): an error with the reason, as a Refused row.
struct RefusedForm {
  std::string_view keyword;
  std::string_view form;  // as written after the keyword
  std::string_view reason;
};

// Every row, in documentation order (blocks, then names).
std::span<const KeywordRow> keywordRows();
// Every refused form.
std::span<const RefusedForm> refusedForms();

// The row for `name` in `block`, or null when the keyword is unknown there.
const KeywordRow* findKeyword(Block block, std::string_view name);
// The refused form `form` of `keyword`. REQUIRES: it is in refusedForms().
const RefusedForm& refusedForm(std::string_view keyword, std::string_view form);

// The blocks named by `blocks`, in enum order.
std::vector<Block> blocksOf(Blocks blocks);

// The rows of one source: global_defs and the top level, VRRP, virtual servers and checkers.
std::span<const KeywordRow> globalKeywordRows();
std::span<const KeywordRow> vrrpKeywordRows();
std::span<const KeywordRow> lvsKeywordRows();

// docs/compatibility.md: every keyword, its blocks, class and note, and the refused forms.
std::string compatibilityMarkdown();

}  // namespace keel::conf
