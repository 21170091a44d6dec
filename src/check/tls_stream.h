// Stream: byte I/O on a connected non-blocking TCP socket, plain or TLS, that never blocks and
// says which readiness it waits for. The HTTP fetch drives it from loop callbacks; the socket
// stays owned by the caller. No call raises SIGPIPE (sends use MSG_NOSIGNAL, TLS included).
//
// TLS follows keepalived's SSL_GET (docs/reference/keepalived.md §1.14): a client context that
// loads the SSL block's files (base/tls_files.h): with no `ca`, no certificate verification; with
// one, the real server's certificate must chain to it; a client certificate when one is set.
// SNI only when asked for. Loop thread only.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "base/error.h"
#include "base/tls_files.h"

namespace keel::check {

struct IoResult {
  enum class Kind { Ok, WantRead, WantWrite, Eof, Error };
  Kind kind = Kind::Ok;
  std::size_t bytes = 0;  // for Ok from read()/write()
  std::string error;      // for Error: what failed, with the OS or TLS library's words

  static IoResult ok(std::size_t n = 0) { return {Kind::Ok, n, {}}; }
  static IoResult fail(std::string why) { return {Kind::Error, 0, std::move(why)}; }
};

class Stream {
 public:
  virtual ~Stream() = default;
  // Moves the TLS handshake on; Ok once it is complete (at once for a plain stream).
  virtual IoResult handshake() = 0;
  virtual IoResult read(char* buf, std::size_t len) = 0;
  virtual IoResult write(const char* buf, std::size_t len) = 0;
};

std::unique_ptr<Stream> plainStream(int fd);

// A TLS client context, shared by the fetches of one checker (or of genhash).
class TlsContext {
 public:
  // Errors: System when OpenSSL cannot build the context; InvalidArgument when a file of
  // `files` does not load (its kind and path named).
  static base::Result<std::shared_ptr<TlsContext>> create(const base::TlsFiles& files = {});
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A TLS stream over `fd`, sending `sni` as server name unless it is empty.
  // Errors: System when OpenSSL cannot create the session.
  base::Result<std::unique_ptr<Stream>> stream(int fd, const std::string& sni);

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

}  // namespace keel::check
