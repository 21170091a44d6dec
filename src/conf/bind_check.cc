// The checkers of a real server (docs/reference/keepalived.md §1.14): one bind table per checker
// type, joined from the parts the types share.
#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "base/regex.h"
#include "conf/bind_blocks.h"
#include "conf/bind_lvs.h"
#include "conf/values.h"

namespace keel::conf {

namespace {

using std::chrono::seconds;
using CD = CheckDraft;
using U = model::HttpUrl;

template <class K>
K* as(CheckDraft& d) {
  return std::get_if<K>(&d.checker.kind);
}

// -- url { path ...; digest ...; status_code ...; virtualhost ... } ---------------------------

void bindDigest(const Statement& e, U& url, BindContext& ctx) {
  auto d = ctx.word(e);
  bool hex = d && d->size() == 32 && std::all_of(d->begin(), d->end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
             });
  if (d && !hex) ctx.error(e, 0, fmt::format("invalid digest \"{}\": expected 32 hex digits", *d));
  if (hex) url.digest = *d;
}

void bindStatusCodes(const Statement& e, U& url, BindContext& ctx) {
  if (!ctx.args(e, 1, SIZE_MAX)) return;
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    std::string_view text = e.args[i].text;
    auto dash = text.find('-');
    auto lo = parseInt("status_code", text.substr(0, dash), 100, 599);
    auto hi = dash == std::string_view::npos
                  ? lo
                  : parseInt("status_code", text.substr(dash + 1), 100, 599);
    if (!lo || !hi || *hi < *lo) {
      ctx.error(e, static_cast<int>(i),
                fmt::format("invalid status_code \"{}\": expected N or N-M with 100-599", text));
      continue;
    }
    url.status_codes.push_back({static_cast<int>(*lo), static_cast<int>(*hi)});
  }
}

// -- regex, regex_no_match, regex_options, regex_min_offset, regex_max_offset, regex_stack ----

model::HttpRegex& regexOf(U& url) {
  if (!url.regex) url.regex.emplace();
  return *url.regex;
}

void bindRegexOptions(const Statement& e, U& url, BindContext& ctx) {
  if (!ctx.args(e, 1, SIZE_MAX)) return;
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    const std::string& name = e.args[i].text;
    if (!base::Regex::optionFlag(name)) {
      ctx.error(e, static_cast<int>(i), fmt::format("unknown regex option \"{}\"", name));
      continue;
    }
    regexOf(url).options.push_back(name);
  }
}

template <bool kMax>
void bindRegexOffset(const Statement& e, U& url, BindContext& ctx) {
  auto v = ctx.integer(e, 0, std::numeric_limits<std::int64_t>::max());
  if (!v) return;
  if (kMax) {
    regexOf(url).max_offset = static_cast<std::uint64_t>(*v);
  } else {
    regexOf(url).min_offset = static_cast<std::uint64_t>(*v);
  }
}

void bindRegexStack(const Statement& e, U& url, BindContext& ctx) {
  if (!ctx.args(e, 2, 2)) return;
  auto start = parseInt("regex_stack", e.args[0].text, 1, 1LL << 30);
  auto max = parseInt("regex_stack", e.args[1].text, 1, 1LL << 30);
  if (!start || !max || *start > *max) {
    ctx.error(e, 0, "invalid regex_stack: expected START MAX in bytes, 1 <= START <= MAX <= 1 GiB");
    return;
  }
  regexOf(url).stack = {static_cast<std::size_t>(*start), static_cast<std::size_t>(*max)};
}

constexpr std::array<Keyword<U>, 10> kUrl = {{
    {"path", Shape::Value, [](auto& e, U& u, auto& ctx) { ctx.setWord(e, u.path); }},
    {"digest", Shape::Value, bindDigest},
    {"status_code", Shape::Value, bindStatusCodes},
    {"virtualhost", Shape::Value, [](auto& e, U& u, auto& ctx) { ctx.setWord(e, u.virtualhost); }},
    {"regex", Shape::Value,
     [](auto& e, U& u, auto& ctx) {
       if (ctx.args(e, 1, 1)) regexOf(u).pattern = e.args[0].text;
     }},
    {"regex_no_match", Shape::Value,
     [](auto& e, U& u, auto& ctx) { ctx.setFlag(e, regexOf(u).no_match); }},
    {"regex_options", Shape::Value, bindRegexOptions},
    {"regex_min_offset", Shape::Value, bindRegexOffset<false>},
    {"regex_max_offset", Shape::Value, bindRegexOffset<true>},
    {"regex_stack", Shape::Value, bindRegexStack},
}};

// The url's regex settings make sense together, and its pattern compiles (with its options):
// else a config error where the user can fix it.
bool checkRegex(const Statement& s, const U& url, BindContext& ctx) {
  if (!url.regex) return true;
  const model::HttpRegex& r = *url.regex;
  const Statement* pattern = nullptr;
  for (const Statement& e : *s.block) {
    if (e.keyword == "regex") pattern = &e;
  }
  if (pattern == nullptr) {
    ctx.error(s, -1, "url has regex settings but no regex");
    return false;
  }
  if (r.max_offset && r.min_offset > *r.max_offset) {
    ctx.error(s, -1,
              fmt::format("regex_min_offset {} is beyond regex_max_offset {}", r.min_offset,
                          *r.max_offset));
    return false;
  }
  if (auto re = base::Regex::compile(r.pattern, r.options); !re) {
    ctx.error(*pattern, 0, re.error().message);
    return false;
  }
  return true;
}

void bindUrl(const Statement& s, CD& d, BindContext& ctx) {
  auto* http = as<model::HttpCheck>(d);
  if (http == nullptr || !ctx.args(s, 0, 0)) return;
  U url;
  bindBlock<U>(Block::Url, *s.block, kUrl, url, ctx);
  if (url.path.empty()) {
    ctx.error(s, -1, "url has no path");
    return;
  }
  if (!checkRegex(s, url, ctx)) return;
  http->urls.push_back(std::move(url));
}

// -- where a connecting checker connects from and to ------------------------------------------

template <std::optional<base::IpAddress> model::CheckTarget::*Field>
void bindTargetAddress(const Statement& s, CD& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (auto a = ctx.address(s)) d.checker.target.*Field = *a;
}

template <std::optional<std::uint16_t> model::CheckTarget::*Field>
void bindTargetPort(const Statement& s, CD& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (auto p = ctx.port(s)) d.checker.target.*Field = *p;
}

constexpr std::array<Keyword<CD>, 6> kTarget = {{
    {"connect_ip", Shape::Value, bindTargetAddress<&model::CheckTarget::connect_ip>},
    {"connect_port", Shape::Value, bindTargetPort<&model::CheckTarget::connect_port>},
    {"bindto", Shape::Value, bindTargetAddress<&model::CheckTarget::bindto>},
    {"bind_port", Shape::Value, bindTargetPort<&model::CheckTarget::bind_port>},
    {"bind_if", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, d.checker.target.bind_if); }},
    {"fwmark", Shape::Value,
     [](auto& s, CD& d, auto& ctx) {
       if (auto m = ctx.integer(s, 0, 0xffffffff)) {
         d.checker.target.fwmark = static_cast<std::uint32_t>(*m);
       }
     }},
}};

constexpr std::array<Keyword<CD>, 1> kLogAllFailures = {{
    {"log_all_failures", Shape::Value, bindInheritedFlag<CD, &Inherited::log_all_failures>},
}};

// What every connecting checker accepts.
constexpr auto kConnecting =
    concat(kTarget, kConnectTimeout<CD>, kTimingKeywords<CD>, kLogAllFailures);

// -- HTTP_GET, SSL_GET ------------------------------------------------------------------------

void bindHttpProtocol(const Statement& s, CD& d, BindContext& ctx) {
  auto v = ctx.word(s);
  if (v && *v != "1.0" && *v != "1.0C" && *v != "1.1") {
    ctx.error(s, 0, fmt::format("invalid http_protocol \"{}\": expected 1.0, 1.0C or 1.1", *v));
  } else if (v) {
    as<model::HttpCheck>(d)->http_protocol = *v;
  }
}

constexpr std::array<Keyword<CD>, 6> kHttpOwn = {{
    {"url", Shape::Block, bindUrl},
    {"http_protocol", Shape::Value, bindHttpProtocol},
    {"enable_sni", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setFlag(s, as<model::HttpCheck>(d)->enable_sni); }},
    {"fast_recovery", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setFlag(s, as<model::HttpCheck>(d)->fast_recovery); }},
    {"virtualhost", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, as<model::HttpCheck>(d)->virtualhost); }},
    {"nb_get_retry", Shape::Value,
     [](auto& s, CD& d, auto& ctx) {
       ctx.warning(s, -1, "nb_get_retry is deprecated, use retry");
       bindRetry<CD>(s, d, ctx);
     }},
}};
constexpr auto kHttp = concat(kConnecting, kHttpOwn);

// -- SMTP_CHECK, DNS_CHECK, MISC_CHECK --------------------------------------------------------

constexpr std::array<Keyword<CD>, 2> kSmtpOwn = {{
    {"helo_name", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, as<model::SmtpCheck>(d)->helo_name); }},
    {"host", Shape::Block, [](auto& s, CD& d, auto&) { d.smtp_hosts.push_back(&s); }},
}};
constexpr auto kSmtp = concat(kConnecting, kSmtpOwn);

constexpr std::array<Keyword<CD>, 2> kDnsOwn = {{
    {"type", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, as<model::DnsCheck>(d)->type); }},
    {"name", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, as<model::DnsCheck>(d)->name); }},
}};
constexpr auto kDns = concat(kConnecting, kDnsOwn);

void bindMiscUser(const Statement& s, CD& d, BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return;
  auto* misc = as<model::MiscCheck>(d);
  misc->path.user = s.args[0].text;
  if (s.args.size() == 2) misc->path.group = s.args[1].text;
}

constexpr std::array<Keyword<CD>, 4> kMiscOwn = {{
    {"misc_path", Shape::Value,
     [](auto& s, CD& d, auto& ctx) {
       if (auto x = ctx.script(s)) as<model::MiscCheck>(d)->path = std::move(*x);
     }},
    {"misc_timeout", Shape::Value,
     [](auto& s, CD& d, auto& ctx) {
       if (auto t = ctx.timer(s, seconds(1), seconds(86400))) as<model::MiscCheck>(d)->timeout = *t;
     }},
    {"misc_dynamic", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setFlag(s, as<model::MiscCheck>(d)->dynamic); }},
    {"user", Shape::Value, bindMiscUser},
}};
constexpr auto kMisc = concat(kTimingKeywords<CD>, kLogAllFailures, kMiscOwn);

// -- UDP_CHECK --------------------------------------------------------------------------------

// The statement's arguments as one hex string, as keepalived joins them.
std::optional<HexBytes> hexArgs(const Statement& s, bool wildcards, BindContext& ctx) {
  std::string text;
  for (const auto& a : s.args) text += (text.empty() ? "" : " ") + a.text;
  auto hex = parseHexString(s.keyword, text, wildcards);
  if (!hex) {
    ctx.error(s, 0, hex.error().message);
    return std::nullopt;
  }
  if (hex->bytes.empty()) {
    ctx.error(s, 0, fmt::format("{} has no hex digits", s.keyword));
    return std::nullopt;
  }
  return std::move(*hex);
}

void bindPayload(const Statement& s, CD& d, BindContext& ctx) {
  if (!ctx.args(s, 1, SIZE_MAX)) return;
  if (auto hex = hexArgs(s, false, ctx)) as<model::UdpCheck>(d)->payload = std::move(hex->bytes);
}

// `require_reply [HEX]`: a reply is needed; with HEX it must match (X: any nibble).
void bindRequireReply(const Statement& s, CD& d, BindContext& ctx) {
  auto* udp = as<model::UdpCheck>(d);
  udp->require_reply = true;
  if (s.args.empty()) return;
  if (auto hex = hexArgs(s, true, ctx)) {
    udp->reply_data = std::move(hex->bytes);
    udp->reply_mask = std::move(hex->wildcard);
  }
}

template <int model::UdpCheck::*Field>
void bindReplyLength(const Statement& s, CD& d, BindContext& ctx) {
  if (auto n = ctx.integer(s, 0, 65535)) as<model::UdpCheck>(d)->*Field = static_cast<int>(*n);
}

constexpr std::array<Keyword<CD>, 4> kUdpOwn = {{
    {"payload", Shape::Value, bindPayload},
    {"require_reply", Shape::Value, bindRequireReply},
    {"min_reply_length", Shape::Value, bindReplyLength<&model::UdpCheck::min_reply_length>},
    {"max_reply_length", Shape::Value, bindReplyLength<&model::UdpCheck::max_reply_length>},
}};
constexpr auto kUdp = concat(kConnecting, kUdpOwn);

// -- FILE_CHECK -------------------------------------------------------------------------------

// `weight W [reverse|noreverse]`: overrides the track_file's weight and reverse.
void bindFileWeight(const Statement& s, CD& d, BindContext& ctx) {
  if (auto w = ctx.weightAndReverse(s, 2147483647)) {
    as<model::FileCheck>(d)->weight = w->first;
    as<model::FileCheck>(d)->weight_reverse = w->second;
  }
}

constexpr std::array<Keyword<CD>, 2> kFile = {{
    {"track_file", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, as<model::FileCheck>(d)->track_file); }},
    {"weight", Shape::Value, bindFileWeight},
}};

// -- BFD_CHECK --------------------------------------------------------------------------------

constexpr std::array<Keyword<CD>, 2> kBfd = {{
    {"name", Shape::Value,
     [](auto& s, CD& d, auto& ctx) { ctx.setWord(s, as<model::BfdCheck>(d)->name); }},
    {"alpha", Shape::Value, bindInheritedFlag<CD, &Inherited::alpha>},
}};

// -- one checker ------------------------------------------------------------------------------

struct CheckerType {
  std::string_view name;
  Block block;
  std::span<const Keyword<CD>> table;
  model::Checker (*make)();
};

template <class K>
model::Checker make() {
  return model::Checker{K{}, {}, {}};
}

model::Checker makeSsl() { return model::Checker{model::HttpCheck{.tls = true}, {}, {}}; }

constexpr std::array<CheckerType, 10> kTypes = {{
    {"HTTP_GET", Block::HttpGet, kHttp, make<model::HttpCheck>},
    {"SSL_GET", Block::SslGet, kHttp, makeSsl},
    {"TCP_CHECK", Block::TcpCheck, kConnecting, make<model::TcpCheck>},
    {"SMTP_CHECK", Block::SmtpCheck, kSmtp, make<model::SmtpCheck>},
    {"DNS_CHECK", Block::DnsCheck, kDns, make<model::DnsCheck>},
    {"MISC_CHECK", Block::MiscCheck, kMisc, make<model::MiscCheck>},
    {"UDP_CHECK", Block::UdpCheck, kUdp, make<model::UdpCheck>},
    {"PING_CHECK", Block::PingCheck, kConnecting, make<model::PingCheck>},
    {"FILE_CHECK", Block::FileCheck, kFile, make<model::FileCheck>},
    {"BFD_CHECK", Block::BfdCheck, kBfd, make<model::BfdCheck>},
}};

// SMTP_CHECK's deprecated `host { connect_ip ... }` blocks: keepalived makes each one a checker of
// its own, with the SMTP_CHECK's other settings.
void bindSmtpHosts(const CheckDraft& base, RsDraft& rs, BindContext& ctx) {
  if (base.smtp_hosts.empty()) {
    rs.checks.push_back(base);
    return;
  }
  ctx.warning(*base.smtp_hosts[0], -1,
              "SMTP_CHECK host blocks are deprecated, use one SMTP_CHECK each");
  for (const Statement* host : base.smtp_hosts) {
    CheckDraft one = base;
    one.smtp_hosts.clear();
    bindBlock<CD>(Block::SmtpHost, *host->block, kTarget, one, ctx);
    rs.checks.push_back(std::move(one));
  }
}

}  // namespace

void bindChecker(const Statement& s, RsDraft& rs, BindContext& ctx) {
  auto type = std::find_if(kTypes.begin(), kTypes.end(),
                           [&](const CheckerType& t) { return t.name == s.keyword; });
  if (type == kTypes.end() || !ctx.args(s, 0, 0)) return;
  CheckDraft d{type->make(), {}, {}};
  bindBlock<CD>(type->block, *s.block, type->table, d, ctx);
  if (auto* m = as<model::MiscCheck>(d); m && m->path.empty()) {
    ctx.error(s, -1, "MISC_CHECK has no misc_path");
    return;
  }
  if (auto* f = as<model::FileCheck>(d); f && f->track_file.empty()) {
    ctx.error(s, -1, "FILE_CHECK has no track_file");
    return;
  }
  if (auto* u = as<model::UdpCheck>(d); u && u->min_reply_length > u->max_reply_length) {
    // keepalived reports it as a configuration error (keepalived -t fails) and runs on
    ctx.error(s, -1,
              fmt::format("UDP_CHECK min_reply_length {} > max_reply_length {} - will always fail",
                          u->min_reply_length, u->max_reply_length));
  }
  if (auto* b = as<model::BfdCheck>(d); b && b->name.empty()) {
    ctx.error(s, -1, "BFD_CHECK has no name");
    return;
  }
  if (auto* h = as<model::HttpCheck>(d); h && h->urls.empty()) {
    ctx.error(s, -1, fmt::format("{} has no url", s.keyword));
    return;
  }
  bindSmtpHosts(d, rs, ctx);
}

std::vector<std::string_view> checkBound(Block block) {
  if (block == Block::Url) return namesOf(kUrl);
  if (block == Block::SmtpHost) return namesOf(kTarget);
  for (const CheckerType& t : kTypes) {
    if (t.block != block) continue;
    std::vector<std::string_view> out;
    out.reserve(t.table.size());
    for (const auto& k : t.table) out.push_back(k.name);
    return out;
  }
  return {};
}

}  // namespace keel::conf
