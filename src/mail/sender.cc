#include "mail/sender.h"

#include <netdb.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <deque>
#include <utility>

#include "base/log.h"
#include "base/unique_fd.h"

namespace keel::mail {

namespace {

std::string hostName() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "localhost";
  return buf.data();
}

std::string userName() {
  passwd pw{};
  passwd* found = nullptr;
  std::array<char, 4096> buf{};
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return "root";
  }
  return pw.pw_name;
}

base::Result<base::IpAddress> resolve(const std::string& host) {
  if (auto literal = base::IpAddress::parse(host)) return *literal;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return base::makeError(base::ErrorCode::NotFound, "smtp_server " + host + " does not resolve");
  }
  auto ep = base::Endpoint::fromSockaddr(found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (!ep) return ep.error();
  return ep->address();
}

}  // namespace

// The loop-thread side: the queue and the one connection in flight.
struct Mailer::Worker : std::enable_shared_from_this<Mailer::Worker> {
  struct Mail {
    std::string subject;
    std::string body;
  };

  Worker(event::Loop& l, MailerOptions o) : loop(l), options(std::move(o)), timer(l.clock()) {}
  ~Worker() { close(); }

  void enqueue(Mail mail);
  void startNext();
  void onEvents(std::uint32_t events);
  void onConnected();
  void onReadable();
  void flush();
  void apply(SmtpDialogue::Step step);
  void finish(const Outcome& outcome);
  void armTimer() {
    timer.armAfter(options.timeout, [this] {
      finish(Outcome{false, "timed out waiting for " + std::string(dialogue->waitingFor())});
    });
  }
  void close() {
    if (fd) loop.unwatch(fd.get());
    fd.reset();
    timer.disarm();
  }

  event::Loop& loop;
  MailerOptions options;
  base::Timer timer;
  std::deque<Mail> queue;
  base::UniqueFd fd;  // the connection in flight, if any
  bool connected = false;
  std::optional<SmtpDialogue> dialogue;
  std::string out;  // not yet written
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> dropped{0};
};

void Mailer::Worker::enqueue(Mail mail) {
  if (queue.size() >= kQueueLimit) {
    ++dropped;
    base::logLimited("smtp-queue", base::LogLevel::Warning,
                     "SMTP alert dropped: {} mails already wait for {}", kQueueLimit,
                     options.server.str());
    return;
  }
  ++queued;
  queue.push_back(std::move(mail));
  if (!fd) startNext();
}

void Mailer::Worker::startNext() {
  if (queue.empty()) return;
  Mail mail = std::move(queue.front());
  queue.pop_front();
  const std::string date = rfc5322Date(loop.clock().wallNow());
  dialogue.emplace(options.envelope, messageText(options.envelope, mail.subject, mail.body, date));
  out.clear();
  connected = false;
  fd.reset(
      ::socket(options.server.address().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_storage ss{};
  const socklen_t len = options.server.toSockaddr(ss);
  if (!fd ||
      (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)) {
    finish(Outcome{false, base::sysError(errno, "connect", nullptr, 0).str()});
    return;
  }
  if (auto s = loop.watch(fd.get(), EPOLLOUT, [this](std::uint32_t ev) { onEvents(ev); }); !s) {
    finish(Outcome{false, s.error().str()});
    return;
  }
  timer.armAfter(options.timeout, [this] { finish(Outcome{false, "timed out connecting"}); });
}

void Mailer::Worker::onEvents(std::uint32_t events) {
  if (!connected) {
    onConnected();
    return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) onReadable();
  if (fd && (events & EPOLLOUT) != 0) flush();
}

void Mailer::Worker::onConnected() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    finish(Outcome{false, base::sysError(err, "connect", nullptr, 0).str()});
    return;
  }
  connected = true;
  base::logInfo("Remote SMTP server {} connected.", options.server.str());
  (void)loop.modify(fd.get(), EPOLLIN);
  armTimer();
}

void Mailer::Worker::onReadable() {
  std::array<char, 2048> buf{};
  const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    finish(Outcome{false, base::sysError(errno, "read", nullptr, 0).str()});
    return;
  }
  apply(n == 0 ? dialogue->onClosed()
               : dialogue->onData(std::string_view(buf.data(), static_cast<std::size_t>(n))));
}

void Mailer::Worker::apply(SmtpDialogue::Step step) {
  if (step.done) {
    finish(*step.done);
    return;
  }
  if (step.send.empty()) return;
  out += step.send;
  armTimer();  // the next reply has a whole timeout of its own
  flush();
}

void Mailer::Worker::flush() {
  while (!out.empty()) {
    const ssize_t n = ::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      finish(Outcome{false, base::sysError(errno, "send", nullptr, 0).str()});
      return;
    }
    out.erase(0, static_cast<std::size_t>(n));
  }
  (void)loop.modify(fd.get(), out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

void Mailer::Worker::finish(const Outcome& outcome) {
  close();
  dialogue.reset();
  if (outcome.sent) {
    ++sent;
    base::logInfo("SMTP alert successfully sent.");
  } else {
    ++failed;
    base::logLimited("smtp-failed", base::LogLevel::Warning, "SMTP alert to {} failed: {}",
                     options.server.str(), outcome.reason);
  }
  // Not from inside this call stack: finish() may run inside onEvents for the fd just closed.
  loop.post([w = weak_from_this()] {
    if (auto self = w.lock(); self && !self->fd) self->startNext();
  });
}

base::Result<std::optional<MailerOptions>> Mailer::optionsFrom(const model::GlobalDefs& g) {
  if (g.smtp_server.empty() || g.notification_email.empty()) return std::nullopt;
  auto address = resolve(g.smtp_server);
  if (!address) return address.error();
  MailerOptions o;
  o.server = base::Endpoint(*address, g.smtp_server_port);
  const std::string host = hostName();
  o.envelope.helo_name = g.smtp_helo_name.empty() ? host : g.smtp_helo_name;
  o.envelope.from =
      g.notification_email_from.empty() ? userName() + "@" + host : g.notification_email_from;
  o.envelope.to = g.notification_email;
  o.router_id = g.router_id.empty() ? host : g.router_id;
  o.timeout = g.smtp_connect_timeout;
  return std::optional<MailerOptions>(std::move(o));
}

Mailer::Mailer(event::Loop& loop, MailerOptions options)
    : loop_(loop), options_(options), worker_(std::make_shared<Worker>(loop, std::move(options))) {}

Mailer::~Mailer() = default;

std::unique_ptr<Mailer> Mailer::create(event::Loop& loop, MailerOptions options) {
  return std::unique_ptr<Mailer>(new Mailer(loop, std::move(options)));
}

bool Mailer::sendAlert(AlertKind kind, const AlertFields& fields) {
  std::optional<Alert> alert = formatAlert(kind, fields, options_.router_id);
  if (!alert) return false;
  send(std::move(alert->subject), std::move(alert->body));
  return true;
}

void Mailer::send(std::string subject, std::string body) {
  loop_.post([w = std::weak_ptr<Worker>(worker_),
              mail = Worker::Mail{std::move(subject), std::move(body)}]() mutable {
    if (auto worker = w.lock()) worker->enqueue(std::move(mail));
  });
}

MailerStats Mailer::stats() const {
  return MailerStats{worker_->queued, worker_->sent, worker_->failed, worker_->dropped};
}

}  // namespace keel::mail
