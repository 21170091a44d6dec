#include "check/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace keel::check {

namespace {

std::string errnoText(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

// Takes OpenSSL's queued errors as text and clears the queue.
std::string tlsErrors(const char* what) {
  std::string out = what;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    out += out.size() == std::strlen(what) ? ": " : "; ";
    out += buf;
  }
  return out;
}

class PlainStream final : public Stream {
 public:
  explicit PlainStream(int fd) : fd_(fd) {}
  IoResult handshake() override { return IoResult::ok(); }
  IoResult read(char* buf, std::size_t len) override {
    const ssize_t n = ::recv(fd_, buf, len, 0);
    if (n > 0) return IoResult::ok(static_cast<std::size_t>(n));
    if (n == 0) return {IoResult::Kind::Eof, 0, {}};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return {IoResult::Kind::WantRead, 0, {}};
    }
    return IoResult::fail(errnoText("recv", errno));
  }
  IoResult write(const char* buf, std::size_t len) override {
    const ssize_t n = ::send(fd_, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return IoResult::ok(static_cast<std::size_t>(n));
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return {IoResult::Kind::WantWrite, 0, {}};
    }
    return IoResult::fail(errnoText("send", errno));
  }

 private:
  int fd_;
};

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own uses write(), which raises SIGPIPE
// when the peer has gone.
int bioFd(BIO* b) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b))); }

int bioWrite(BIO* b, const char* buf, int len) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::send(bioFd(b), buf, static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(b);
  }
  return static_cast<int>(n);
}

int bioRead(BIO* b, char* buf, int len) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::recv(bioFd(b), buf, static_cast<std::size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(b);
  }
  return static_cast<int>(n);
}

long bioCtrl(BIO* /*b*/, int cmd, long /*num*/, void* /*ptr*/) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bioCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* socketMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "keel socket");
    if (m != nullptr) {
      BIO_meth_set_write(m, bioWrite);
      BIO_meth_set_read(m, bioRead);
      BIO_meth_set_ctrl(m, bioCtrl);
      BIO_meth_set_create(m, bioCreate);
    }
    return m;
  }();
  return method;
}

class TlsStream final : public Stream {
 public:
  explicit TlsStream(SSL* ssl) : ssl_(ssl) {}
  ~TlsStream() override { SSL_free(ssl_); }
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  IoResult handshake() override {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_connect(ssl_);
    return r == 1 ? IoResult::ok() : failure(r, "TLS handshake");
  }
  IoResult read(char* buf, std::size_t len) override {
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_, buf, len, &n);
    return r == 1 ? IoResult::ok(n) : failure(r, "TLS read");
  }
  IoResult write(const char* buf, std::size_t len) override {
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl_, buf, len, &n);
    return r == 1 ? IoResult::ok(n) : failure(r, "TLS write");
  }

 private:
  IoResult failure(int r, const char* what) {
    const int saved_errno = errno;
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        return {IoResult::Kind::WantRead, 0, {}};
      case SSL_ERROR_WANT_WRITE:
        return {IoResult::Kind::WantWrite, 0, {}};
      case SSL_ERROR_ZERO_RETURN:
        return {IoResult::Kind::Eof, 0, {}};
      case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
          if (saved_errno == 0) return {IoResult::Kind::Eof, 0, {}};
          return IoResult::fail(errnoText(what, saved_errno));
        }
        return IoResult::fail(tlsErrors(what));
      default:
        return IoResult::fail(tlsErrors(what));
    }
  }

  SSL* ssl_;
};

}  // namespace

std::unique_ptr<Stream> plainStream(int fd) { return std::make_unique<PlainStream>(fd); }

base::Result<std::shared_ptr<TlsContext>> TlsContext::create(const base::TlsFiles& files) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return KEEL_SYS_ERROR(EINVAL, tlsErrors("SSL_CTX_new"));
  auto context = std::shared_ptr<TlsContext>(new TlsContext(ctx));  // frees ctx from here on
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);                // without a CA, as keepalived
  if (auto err = base::loadTlsFiles(ctx, files)) return err->error;
  // A peer that closes without close_notify ends the stream like a plain FIN; the HTTP parser
  // then decides whether the response was complete.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

base::Result<std::unique_ptr<Stream>> TlsContext::stream(int fd, const std::string& sni) {
  const BIO_METHOD* method = socketMethod();
  if (method == nullptr) return KEEL_SYS_ERROR(ENOMEM, tlsErrors("BIO_meth_new"));
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return KEEL_SYS_ERROR(ENOMEM, tlsErrors("SSL_new"));
  auto stream = std::make_unique<TlsStream>(ssl);  // frees ssl from here on
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return KEEL_SYS_ERROR(ENOMEM, tlsErrors("BIO_new"));
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);
  if (!sni.empty() && SSL_set_tlsext_host_name(ssl, sni.c_str()) != 1) {
    return KEEL_SYS_ERROR(EINVAL, tlsErrors("SSL_set_tlsext_host_name"));
  }
  SSL_set_connect_state(ssl);
  return std::unique_ptr<Stream>(std::move(stream));
}

}  // namespace keel::check
