// StreamServer: a small bounded request/response server on the control-plane loop, shared by
// the control socket (JSON lines over a Unix socket) and the metrics listener (HTTP/1.0 GET
// over TCP). A request may be deferred (its answer comes later, from work done off the loop);
// its connection then waits, bounded by ServerLimits::deferred_timeout. Every socket is
// non-blocking, so no peer can stall the loop (and VRRP adverts); every resource a peer can take is
// bounded: request bytes, time to finish a request or read its reply, and concurrent connections
// (beyond: the oldest idle one is closed to make room, or, when every one is mid-request, the new
// one is accepted and closed at once). When accept() fails for lack of descriptors or memory
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listener pauses for kAcceptPause instead of waking the loop
// again at once; waiting peers stay in the backlog. Owned by app; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "event/loop.h"

namespace keel::ctl {

struct ServerLimits {
  std::size_t max_request = 64 * 1024;               // bytes of one request
  base::Duration timeout = std::chrono::seconds(5);  // to send a request, and to read the reply
  std::size_t max_connections = 32;
  // How long a deferred request (Options::deferred) may wait for its answer; then it is closed.
  base::Duration deferred_timeout = std::chrono::minutes(2);
};

// What the peers did, for the metrics and the tests.
struct ServerCounters {
  std::uint64_t accepted = 0;
  std::uint64_t requests = 0;
  std::uint64_t refused_peer = 0;  // the Admit check said no
  std::uint64_t refused_full = 0;  // max_connections reached, every connection mid-request
  std::uint64_t evicted = 0;       // idle connections closed to make room for a new one
  std::uint64_t oversized = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t accept_pauses = 0;  // accept() found no descriptor or memory: the listener paused
};

class StreamServer {
 public:
  // The length of the first complete request in `buffered` (its terminator included), or
  // nullopt while it is incomplete.
  using Framer = std::function<std::optional<std::size_t>(std::string_view buffered)>;
  struct Reply {
    std::string bytes;
    bool close = false;  // close once `bytes` are sent
  };
  using Handler = std::function<Reply(std::string_view request)>;
  // Answers a deferred request, once, on the loop thread. Safe to call after the connection or
  // the server is gone (it does nothing then).
  using Responder = std::function<void(Reply)>;
  // Offered each request first: true when it takes the request and will answer through the
  // Responder later (work done off the loop); false to let `handler` answer it now.
  using Deferred = std::function<bool(std::string_view request, Responder respond)>;
  // Decides on an accepted socket before anything is read (SO_PEERCRED, ...).
  using Admit = std::function<bool(int fd)>;

  struct Options {
    ServerLimits limits;
    Framer framer;
    Handler handler;
    Deferred deferred;              // unset: every request is answered by `handler`
    Admit admit;                    // unset: every peer
    std::string oversized_reply;    // sent before closing a peer whose request is too large
    std::string name = "listener";  // in log lines: "control socket", "metrics listener"
  };

  static constexpr base::Duration kAcceptPause = std::chrono::milliseconds(100);

  // Serves on `listener`, a listening, non-blocking socket. Errors: System from epoll.
  static base::Result<std::unique_ptr<StreamServer>> create(event::Loop& loop,
                                                            base::UniqueFd listener,
                                                            Options options);
  ~StreamServer();
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  const ServerCounters& counters() const { return counters_; }
  std::size_t connections() const { return connections_.size(); }
  bool acceptPaused() const { return resume_.armed(); }

 private:
  struct Connection;

  StreamServer(event::Loop& loop, base::UniqueFd listener, Options options);
  void onAccept();
  void pauseAccepting(int err);
  void resumeAccepting();
  void admit(base::UniqueFd fd);
  bool evictIdle();
  void onEvents(int fd, std::uint32_t events);
  bool readSome(Connection& c);
  void serveBuffered(Connection& c);
  bool flush(Connection& c);
  void close(int fd);
  void armTimer(Connection& c, base::Duration after);
  Responder responder(const Connection& c);
  void answer(int fd, std::uint64_t seq, Reply reply);

  event::Loop& loop_;
  base::UniqueFd listener_;
  Options options_;
  ServerCounters counters_;
  std::map<int, std::unique_ptr<Connection>> connections_;  // by fd
  std::uint64_t accepted_seq_ = 0;
  base::Timer resume_;                   // armed while accepting is paused
  std::shared_ptr<StreamServer*> self_;  // Responders hold it weakly: null once destroyed
};

// A listening Unix stream socket at `path`, mode 0600 (an old socket file there is replaced).
// REQUIRES: its directory is not writable or searchable by others (the runtime dir, 0700).
// Errors: System; InvalidArgument for a path longer than sun_path.
base::Result<base::UniqueFd> listenUnix(const std::string& path);
// A listening TCP socket on `endpoint` ("127.0.0.1:9100", "[::1]:9100"). Errors: System, Parse.
base::Result<base::UniqueFd> listenTcp(const std::string& endpoint);

}  // namespace keel::ctl
