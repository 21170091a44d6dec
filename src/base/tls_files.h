// base::TlsFiles: keepalived's top-level `SSL { ca certificate key password }` block, the files
// SSL_GET's TLS client context loads (docs/http-check.md, "The SSL block"), and the one function
// that loads them into an OpenSSL context: the config binder runs it to report a bad file as a
// config error, the HTTP checker to build its context. Plain value and a pure loader; any thread.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"

// OpenSSL's SSL_CTX, declared here so that this plain value's users need no OpenSSL headers.
struct ssl_ctx_st;

namespace keel::base {

struct TlsFiles {
  std::string ca;           // PEM CA certificates: the real server's certificate must chain to one
  std::string certificate;  // PEM client certificate (chain) presented to the real server
  std::string key;          // PEM private key of `certificate`
  std::string password;     // decrypts `key`; empty: the key is not encrypted

  bool empty() const { return ca.empty() && certificate.empty() && key.empty(); }
  friend bool operator==(const TlsFiles&, const TlsFiles&) = default;
};

// Which file a load failed on.
enum class TlsFile { Ca, Certificate, Key };

struct TlsFileError {
  TlsFile file;
  Error error;  // "cannot load CA file /x: <OpenSSL's words>"
};

// Loads `files` into the client context `ctx`: the CA file as the only trust anchors with peer
// verification on (when set), the certificate chain and its key (when set; each needs the
// other, and the key must match the certificate). A key is never read from the terminal: an
// encrypted key without the right password fails. Returns the first failure.
std::optional<TlsFileError> loadTlsFiles(ssl_ctx_st* ctx, const TlsFiles& files);

}  // namespace keel::base
