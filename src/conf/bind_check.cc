// The checkers of a real server (docs/reference/keepalived.md §1.14).
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "conf/bind_lvs.h"
#include "conf/values.h"

namespace keel::conf {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using D = model::Duration;

template <class K>
K* as(CheckDraft& d) {
  return std::get_if<K>(&d.checker.kind);
}

// url { path ...; digest ...; status_code ...; virtualhost ... }
void bindUrl(const Statement& s, model::HttpCheck& http, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  model::HttpUrl url;
  for (const Statement& e : *s.block) {
    if (e.keyword == "path") {
      ctx.setWord(e, url.path);
    } else if (e.keyword == "digest") {
      auto d = ctx.word(e);
      bool hex = d && d->size() == 32 && std::all_of(d->begin(), d->end(), [](char c) {
                   return std::isxdigit(static_cast<unsigned char>(c));
                 });
      if (d && !hex)
        ctx.error(e, 0, fmt::format("invalid digest \"{}\": expected 32 hex digits", *d));
      if (hex) url.digest = *d;
    } else if (e.keyword == "status_code") {
      if (!ctx.args(e, 1, SIZE_MAX)) continue;
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        std::string_view text = e.args[i].text;
        auto dash = text.find('-');
        auto lo = parseInt("status_code", text.substr(0, dash), 100, 599);
        auto hi = dash == std::string_view::npos
                      ? lo
                      : parseInt("status_code", text.substr(dash + 1), 100, 599);
        if (!lo || !hi || *hi < *lo) {
          ctx.error(
              e, static_cast<int>(i),
              fmt::format("invalid status_code \"{}\": expected N or N-M with 100-599", text));
          continue;
        }
        url.status_codes.push_back({static_cast<int>(*lo), static_cast<int>(*hi)});
      }
    } else if (e.keyword == "virtualhost") {
      ctx.setWord(e, url.virtualhost);
    } else if (e.keyword.starts_with("regex")) {
      ctx.warning(e, -1, fmt::format("'{}' is not supported by keel yet - ignoring", e.keyword));
    } else {
      ctx.error(e, -1, fmt::format("unknown keyword '{}' in url", e.keyword));
    }
  }
  if (url.path.empty()) {
    ctx.error(s, -1, "url has no path");
    return;
  }
  http.urls.push_back(std::move(url));
}

void bindTarget(const Statement& s, model::CheckTarget& t, BindContext& ctx, bool& handled) {
  handled = true;
  if (s.keyword == "connect_ip" || s.keyword == "bindto") {
    if (!ctx.args(s, 1, 1)) return;
    if (auto a = ctx.address(s)) (s.keyword == "bindto" ? t.bindto : t.connect_ip) = *a;
  } else if (s.keyword == "connect_port" || s.keyword == "bind_port") {
    if (!ctx.args(s, 1, 1)) return;
    if (auto p = ctx.port(s)) (s.keyword == "bind_port" ? t.bind_port : t.connect_port) = *p;
  } else if (s.keyword == "bind_if") {
    ctx.setWord(s, t.bind_if);
  } else if (s.keyword == "fwmark") {
    if (auto m = ctx.integer(s, 0, 0xffffffff)) t.fwmark = static_cast<std::uint32_t>(*m);
  } else {
    handled = false;
  }
}

// What each checker type accepts beyond the shared timing keywords.
bool bindSpecific(const Statement& s, CheckDraft& d, BindContext& ctx) {
  const std::string& k = s.keyword;
  if (auto* http = as<model::HttpCheck>(d)) {
    if (k == "url" && s.block) {
      bindUrl(s, *http, ctx);
    } else if (k == "http_protocol") {
      auto v = ctx.word(s);
      if (v && *v != "1.0" && *v != "1.0C" && *v != "1.1") {
        ctx.error(s, 0, fmt::format("invalid http_protocol \"{}\": expected 1.0, 1.0C or 1.1", *v));
      } else if (v) {
        http->http_protocol = *v;
      }
    } else if (k == "enable_sni" && http->tls) {
      ctx.setFlag(s, http->enable_sni);
    } else if (k == "fast_recovery") {
      ctx.setFlag(s, http->fast_recovery);
    } else if (k == "nb_get_retry") {
      ctx.warning(s, -1, "nb_get_retry is deprecated, use retry");
      if (auto r = ctx.integer(s, 0, 2147483647)) d.inherited.retry = static_cast<int>(*r);
    } else {
      return false;
    }
    return true;
  }
  if (auto* smtp = as<model::SmtpCheck>(d); smtp && k == "host" && s.block) {
    return true;  // bindChecker turns each host block into a checker of its own
  }
  if (auto* smtp = as<model::SmtpCheck>(d); smtp && k == "helo_name") {
    ctx.setWord(s, smtp->helo_name);
    return true;
  }
  if (auto* dns = as<model::DnsCheck>(d); dns && (k == "type" || k == "name")) {
    ctx.setWord(s, k == "type" ? dns->type : dns->name);
    return true;
  }
  if (auto* misc = as<model::MiscCheck>(d)) {
    if (k == "misc_path") {
      if (auto x = ctx.script(s)) misc->path = std::move(*x);
    } else if (k == "misc_timeout") {
      if (auto t = ctx.timer(s, seconds(1), seconds(86400))) misc->timeout = *t;
    } else if (k == "misc_dynamic") {
      ctx.setFlag(s, misc->dynamic);
    } else if (k == "user") {
      if (ctx.args(s, 1, 2)) {
        misc->path.user = s.args[0].text;
        if (s.args.size() == 2) misc->path.group = s.args[1].text;
      }
    } else {
      return false;
    }
    return true;
  }
  if (auto* file = as<model::FileCheck>(d)) {
    if (k == "track_file") {
      ctx.setWord(s, file->track_file);
    } else if (k == "dynamic") {
      ctx.setFlag(s, file->dynamic);
    } else if (k == "weight" && ctx.args(s, 1, 2)) {
      if (auto w = ctx.integer(s, -2147483647, 2147483647, 0)) file->weight = static_cast<int>(*w);
      file->weight_reverse = s.args.size() == 2 && s.args[1].text == "reverse";
    } else {
      return false;
    }
    return true;
  }
  if (as<model::UdpCheck>(d) != nullptr && (k == "payload" || k == "require_reply" ||
                                            k == "min_reply_length" || k == "max_reply_length")) {
    ctx.warning(s, -1, fmt::format("'{}' is not supported by keel yet - ignoring", k));
    return true;
  }
  return false;
}

std::optional<model::Checker> newChecker(std::string_view type) {
  model::Checker c;
  if (type == "HTTP_GET" || type == "SSL_GET") {
    c.kind = model::HttpCheck{.tls = type == "SSL_GET"};
  } else if (type == "TCP_CHECK") {
    c.kind = model::TcpCheck{};
  } else if (type == "SMTP_CHECK") {
    c.kind = model::SmtpCheck{};
  } else if (type == "DNS_CHECK") {
    c.kind = model::DnsCheck{};
  } else if (type == "MISC_CHECK") {
    c.kind = model::MiscCheck{};
  } else if (type == "UDP_CHECK") {
    c.kind = model::UdpCheck{};
  } else if (type == "PING_CHECK") {
    c.kind = model::PingCheck{};
  } else if (type == "FILE_CHECK") {
    c.kind = model::FileCheck{};
  } else {
    return std::nullopt;
  }
  return c;
}

// SMTP_CHECK's deprecated `host { connect_ip ... }` blocks: keepalived makes each one a checker of
// its own, with the SMTP_CHECK's other settings.
void bindSmtpHosts(const Statement& s, const CheckDraft& base, RsDraft& rs, BindContext& ctx) {
  bool any = false;
  for (const Statement& e : *s.block) {
    if (e.keyword != "host" || !e.block) continue;
    if (!any) ctx.warning(e, -1, "SMTP_CHECK host blocks are deprecated, use one SMTP_CHECK each");
    any = true;
    CheckDraft host = base;
    for (const Statement& h : *e.block) {
      bool handled = false;
      bindTarget(h, host.checker.target, ctx, handled);
      if (!handled) ctx.error(h, -1, fmt::format("unknown keyword '{}' in host", h.keyword));
    }
    rs.checks.push_back(std::move(host));
  }
  if (!any) rs.checks.push_back(base);
}

}  // namespace

bool bindInherited(const Statement& s, Inherited& in, BindContext& ctx) {
  const std::string& k = s.keyword;
  auto timer = [&](std::optional<D>& field, D min, D max) {
    if (auto t = ctx.timer(s, min, max)) field = *t;
  };
  auto flag = [&](std::optional<bool>& field) {
    if (auto f = ctx.flag(s)) field = *f;
  };
  if (k == "connect_timeout") {
    timer(in.connect_timeout, milliseconds(1), seconds(86400));
  } else if (k == "retry") {
    if (auto r = ctx.integer(s, 0, 2147483647)) in.retry = static_cast<int>(*r);
  } else if (k == "delay_before_retry") {
    timer(in.delay_before_retry, D{}, seconds(86400));
  } else if (k == "delay_loop") {
    timer(in.delay_loop, milliseconds(1), seconds(86400));
  } else if (k == "warmup") {
    timer(in.warmup, D{}, seconds(86400));
  } else if (k == "alpha") {
    flag(in.alpha);
  } else if (k == "log_all_failures") {
    flag(in.log_all_failures);
  } else {
    return false;
  }
  return true;
}

void bindChecker(const Statement& s, RsDraft& rs, BindContext& ctx) {
  auto checker = newChecker(s.keyword);
  if (!checker || !ctx.args(s, 0, 0)) return;
  CheckDraft d{std::move(*checker), {}};
  bool misc = as<model::MiscCheck>(d) != nullptr;
  for (const Statement& e : *s.block) {
    bool handled = false;
    if (!misc) bindTarget(e, d.checker.target, ctx, handled);
    if (handled || bindSpecific(e, d, ctx)) continue;
    if (bindInherited(e, d.inherited, ctx)) continue;
    ctx.error(e, -1,
              fmt::format("unknown keyword '{}' in {}{}", e.keyword, s.keyword,
                          e.block ? " (its block is skipped)" : ""));
  }
  if (auto* m = as<model::MiscCheck>(d); m && m->path.empty()) {
    ctx.error(s, -1, "MISC_CHECK has no misc_path");
    return;
  }
  if (auto* h = as<model::HttpCheck>(d); h && h->urls.empty()) {
    ctx.error(s, -1, fmt::format("{} has no url", s.keyword));
    return;
  }
  if (as<model::SmtpCheck>(d) != nullptr) {
    bindSmtpHosts(s, d, rs, ctx);
    return;
  }
  rs.checks.push_back(std::move(d));
}

}  // namespace keel::conf
