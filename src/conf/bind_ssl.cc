// The top-level `SSL { ca certificate key password }` block (keepalived's check_parser.c): the
// files every SSL_GET's TLS context loads. They are loaded once here, so a missing, unreadable
// or mismatched file is a config error at its statement, not a checker failing later. Also
// what the top-level settings give every checker once the file is bound (applyToCheckers).
#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <variant>

#include "base/tls_files.h"
#include "conf/bind_blocks.h"

namespace keel::conf {

namespace {

using F = base::TlsFiles;

constexpr std::array<Keyword<F>, 4> kSsl = {{
    {"ca", Shape::Value, [](auto& s, F& f, auto& ctx) { ctx.setWord(s, f.ca); }},
    {"certificate", Shape::Value, [](auto& s, F& f, auto& ctx) { ctx.setWord(s, f.certificate); }},
    {"key", Shape::Value, [](auto& s, F& f, auto& ctx) { ctx.setWord(s, f.key); }},
    {"password", Shape::Value, [](auto& s, F& f, auto& ctx) { ctx.setWord(s, f.password); }},
}};

std::string_view keywordOf(base::TlsFile file) {
  switch (file) {
    case base::TlsFile::Ca:
      return "ca";
    case base::TlsFile::Certificate:
      return "certificate";
    case base::TlsFile::Key:
      break;
  }
  return "key";
}

// The last statement of `keyword` in the block, else the block itself.
const Statement& statementOf(const Statement& block, std::string_view keyword) {
  const Statement* found = &block;
  for (const Statement& e : *block.block) {
    if (e.keyword == keyword) found = &e;
  }
  return *found;
}

}  // namespace

void bindSsl(const Statement& s, model::Config& c, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  F files = c.ssl;
  bindBlock<F>(Block::Ssl, *s.block, kSsl, files, ctx);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> probe(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
  if (probe) {
    if (auto err = base::loadTlsFiles(probe.get(), files)) {
      const Statement& at = statementOf(s, keywordOf(err->file));
      ctx.error(at, &at == &s ? -1 : 0, err->error.message);
      return;
    }
  }
  c.ssl = std::move(files);
}

void applyToCheckers(model::Config& c) {
  for (model::VirtualServer& vs : c.virtual_servers) {
    for (model::RealServer& rs : vs.real_servers) {
      for (model::Checker& checker : rs.checkers) {
        auto* http = std::get_if<model::HttpCheck>(&checker.kind);
        if (http != nullptr && http->tls) http->ssl = c.ssl;
        if (c.global.checker_log_all_failures) checker.timing.log_all_failures = true;
      }
    }
  }
}

std::vector<std::string_view> sslBound() { return namesOf(kSsl); }

}  // namespace keel::conf
