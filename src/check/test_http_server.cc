#include "check/test_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace keel::check::testing {

namespace {

void setTimeouts(int fd) {
  timeval tv{.tv_sec = 2, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::shared_ptr<SSL_CTX> selfSignedServerContext() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr || SSL_CTX_use_certificate(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    std::abort();
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return std::shared_ptr<SSL_CTX>(ctx, SSL_CTX_free);
}

std::string TestConnection::readRequest() {
  std::string out;
  char buf[4096];
  while (out.find("\r\n\r\n") == std::string::npos && out.size() < 65536 && !stopping()) {
    const int n = ssl_ != nullptr ? SSL_read(ssl_, buf, sizeof buf)
                                  : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  server_.record(out);
  return out;
}

bool TestConnection::send(std::string_view bytes) {
  while (!bytes.empty() && !stopping()) {
    const int n = ssl_ != nullptr
                      ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                      : static_cast<int>(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return bytes.empty();
}

bool TestConnection::idle(std::chrono::milliseconds d) {
  pollfd p{.fd = stop_fd_, .events = POLLIN, .revents = 0};
  ::poll(&p, 1, static_cast<int>(d.count()));  // a signal cutting it short only shortens a test
  return !stopping();
}

void TestConnection::reset() {
  linger l{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::shutdown(fd_, SHUT_RD);  // the fd itself is closed by the server, with the linger set
}

TestServer::TestServer(Handler handler, std::shared_ptr<SSL_CTX> tls)
    : handler_(std::move(handler)), tls_(std::move(tls)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::abort();
  }
  port_ = ntohs(addr.sin_port);
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) std::abort();
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TestServer::~TestServer() {
  stop_ = true;
  const char byte = 1;
  (void)!::write(stop_pipe_[1], &byte, 1);
  acceptor_.join();
  for (auto& t : workers_) t.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::vector<std::string> TestServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<std::string> TestServer::serverNames() const {
  std::lock_guard lock(mu_);
  return server_names_;
}

void TestServer::record(std::string request) {
  std::lock_guard lock(mu_);
  requests_.push_back(std::move(request));
}

void TestServer::acceptLoop() {
  while (!stop_) {
    pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void TestServer::serve(int fd) {
  setTimeouts(fd);
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(tls_.get());
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      ::close(fd);
      return;
    }
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard lock(mu_);
    server_names_.emplace_back(sni != nullptr ? sni : "");
  }
  TestConnection conn(*this, fd, ssl, stop_, stop_pipe_[0]);
  handler_(conn);
  if (ssl != nullptr) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  ::close(fd);
}

}  // namespace keel::check::testing
