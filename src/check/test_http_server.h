// TestServer: a loopback TCP (optionally TLS) server for the HTTP probe tests. Each accepted
// connection runs the test's handler on its own thread; every blocking call is bounded (socket
// timeouts, waits that end when the server stops), and the destructor stops and joins everything.
// Also: a self-signed certificate made with OpenSSL's API, for the TLS server.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace keel::check::testing {

// A server-side TLS context with a fresh self-signed P-256 certificate for CN=localhost.
std::shared_ptr<SSL_CTX> selfSignedServerContext();

class TestServer;

class TestConnection {
 public:
  TestConnection(TestServer& server, int fd, SSL* ssl, const std::atomic<bool>& stop, int stop_fd)
      : server_(server), fd_(fd), ssl_(ssl), stop_(stop), stop_fd_(stop_fd) {}
  // Reads up to the end of a request's header section (or 2 s, or the peer's close).
  std::string readRequest();
  // Sends all of `bytes`; false when the peer has gone or the server is stopping.
  bool send(std::string_view bytes);
  // Waits `d`, or less when the server stops. Returns false when it stopped.
  bool idle(std::chrono::milliseconds d);
  // Closes with SO_LINGER 0: the peer sees a RST.
  void reset();
  bool stopping() const { return stop_.load(); }

 private:
  TestServer& server_;
  int fd_;
  SSL* ssl_;
  const std::atomic<bool>& stop_;
  int stop_fd_;  // readable once the server stops
};

class TestServer {
 public:
  using Handler = std::function<void(TestConnection&)>;

  // Listens on 127.0.0.1, an ephemeral port. With `tls`, each connection is a TLS session.
  explicit TestServer(Handler handler, std::shared_ptr<SSL_CTX> tls = nullptr);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  // The first request received on any connection (its header section).
  std::vector<std::string> requests() const;
  void record(std::string request);
  // The TLS server names clients sent (empty string for a session without SNI).
  std::vector<std::string> serverNames() const;

 private:
  void acceptLoop();
  void serve(int fd);

  Handler handler_;
  std::shared_ptr<SSL_CTX> tls_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};  // written once by the destructor: wakes idle() waits
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;      // guarded by mu_
  std::vector<std::string> server_names_;  // guarded by mu_
  std::vector<std::thread> workers_;       // accept thread only, joined after it ends
  std::thread acceptor_;
};

}  // namespace keel::check::testing
