#include "event/loop.h"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <exception>
#include <new>

#include "base/log.h"

namespace keel::event {

namespace {

// epoll data: the fd in the low half and a generation in the high half, so an event queued for
// a watch that was removed (and its fd number reused) in the same batch is recognised as stale.
std::uint64_t pack(int fd, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

constexpr std::uint32_t kWakeGeneration = 0;  // the eventfd and the signalfd use generation 0

}  // namespace

base::Result<std::unique_ptr<Loop>> Loop::create(base::Clock& clock) {
  std::unique_ptr<Loop> loop(new Loop(clock));
  KEEL_TRY(loop->init());
  return loop;
}

Loop::Loop(base::Clock& clock) : clock_(clock) { sigemptyset(&signal_mask_); }

Loop::~Loop() {
  if (!signal_handlers_.empty()) ::pthread_sigmask(SIG_UNBLOCK, &signal_mask_, nullptr);
}

base::Status Loop::init() {
  epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd_) return KEEL_SYS_ERROR(errno, "epoll_create1");
  wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd_) return KEEL_SYS_ERROR(errno, "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = pack(wake_fd_.get(), kWakeGeneration);
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev) != 0) {
    return KEEL_SYS_ERROR(errno, "epoll_ctl(eventfd)");
  }
  return base::ok();
}

base::Status Loop::watch(int fd, std::uint32_t events, IoCallback cb) {
  if (watches_.contains(fd)) {
    return base::makeError(base::ErrorCode::State, "fd " + std::to_string(fd) + " already watched");
  }
  std::uint32_t generation = next_generation_++;
  if (next_generation_ == kWakeGeneration) next_generation_ = 1;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = pack(fd, generation);
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return KEEL_SYS_ERROR(errno, "epoll_ctl(ADD fd " + std::to_string(fd) + ")");
  }
  watches_.emplace(fd, std::make_shared<Watch>(Watch{generation, std::move(cb)}));
  return base::ok();
}

base::Status Loop::modify(int fd, std::uint32_t events) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    return base::makeError(base::ErrorCode::NotFound, "fd " + std::to_string(fd) + " not watched");
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = pack(fd, it->second->generation);
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return KEEL_SYS_ERROR(errno, "epoll_ctl(MOD fd " + std::to_string(fd) + ")");
  }
  return base::ok();
}

void Loop::unwatch(int fd) {
  if (watches_.erase(fd) == 0) return;
  // Fails only if the caller already closed the fd, which removed it from the epoll set anyway.
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

base::Status Loop::onSignal(int signo, Callback cb) {
  sigset_t mask = signal_mask_;
  sigaddset(&mask, signo);
  if (int err = ::pthread_sigmask(SIG_BLOCK, &mask, nullptr); err != 0) {
    return KEEL_SYS_ERROR(err, "pthread_sigmask");
  }
  int fd = ::signalfd(signal_fd_ ? signal_fd_.get() : -1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return KEEL_SYS_ERROR(errno, "signalfd");
  if (!signal_fd_) {
    signal_fd_.reset(fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = pack(fd, kWakeGeneration);
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return KEEL_SYS_ERROR(errno, "epoll_ctl(signalfd)");
    }
  }
  signal_mask_ = mask;
  signal_handlers_[signo] = std::move(cb);
  return base::ok();
}

void Loop::post(Callback fn) {
  {
    std::lock_guard lock(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  std::uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_.get(), &one, sizeof one);  // EAGAIN: already awake
  (void)ignored;
}

LoopSnapshot Loop::snapshot() {
  LoopSnapshot out;
  out.watched_fds = watches_.size();
  out.timers = clock_.pendingTimers();
  if (auto next = clock_.nextDeadline()) out.next_timer = *next - clock_.now();
  out.signals = signal_handlers_.size();
  {
    std::lock_guard lock(posted_mu_);
    out.posted = posted_.size();
  }
  out.stats = stats_;
  return out;
}

void Loop::stop() {
  post([this] { stopping_ = true; });
}

base::Status Loop::run() {
  stopping_ = false;
  while (!stopping_) KEEL_TRY(runOnce());
  if (!fatal_.empty()) {
    return base::makeError(base::ErrorCode::State,
                           "stopped after a fatal error in a callback: " + fatal_);
  }
  return base::ok();
}

// Returns the epoll_pwait2 timeout: null (wait forever) or `ts` filled with the wait.
int Loop::waitTimeoutNs(std::optional<base::Duration> max_wait, struct timespec* ts) const {
  std::optional<base::Duration> wait = max_wait;
  if (auto next = clock_.nextDeadline()) {
    base::Duration until = std::max(base::Duration::zero(), *next - clock_.now());
    wait = wait ? std::min(*wait, until) : until;
  }
  if (!wait) return 0;
  auto ns = std::max<std::int64_t>(0, wait->count());
  ts->tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts->tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return 1;
}

base::Status Loop::runOnce(std::optional<base::Duration> max_wait) {
  struct timespec ts {};
  bool bounded = waitTimeoutNs(max_wait, &ts) != 0;
  std::array<epoll_event, 64> events{};
  int n = ::epoll_pwait2(epoll_fd_.get(), events.data(), static_cast<int>(events.size()),
                         bounded ? &ts : nullptr, nullptr);
  if (n < 0 && errno != EINTR) return KEEL_SYS_ERROR(errno, "epoll_pwait2");
  for (int i = 0; i < n; ++i) dispatch(events[static_cast<std::size_t>(i)]);
  drainPosted();
  runTimers();
  return base::ok();
}

namespace {

// Logging must not let a second exception out of a catch block (that would terminate).
void noteException(const char* where, const char* what) noexcept {
  try {
    base::logLimited("loop-exception", base::LogLevel::Error,
                     "Exception in a {} callback (keeld runs on): {}", where, what);
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to report it with
  }
}

}  // namespace

template <class Fn>
void Loop::guarded(const char* where, Fn&& fn) {
  try {
    fn();
  } catch (const std::bad_alloc&) {
    fatal("out of memory in a", where);
  } catch (const std::exception& e) {
    ++stats_.callback_exceptions;
    noteException(where, e.what());
  } catch (...) {
    fatal("an unknown exception in a", where);
  }
}

// Also reached with memory exhausted: every step that may allocate or call out is caught.
void Loop::fatal(const char* what, const char* where) noexcept {
  ++stats_.fatal_exceptions;
  if (!fatal_.empty() || !on_fatal_) stopping_ = true;  // a second one, or nobody to stop in order
  if (!fatal_.empty()) return;
  try {
    fatal_ = std::string(what) + " " + where + " callback";
    base::logError("Fatal: {}; stopping", fatal_);
    if (on_fatal_) on_fatal_(fatal_);
  } catch (...) {
    if (fatal_.empty()) fatal_ = "out of memory";
    stopping_ = true;
  }
}

// Timers fire in deadline order; one that throws leaves the rest due, and they run here too.
void Loop::runTimers() {
  for (;;) {
    const LoopStats before = stats_;
    guarded("timer", [this] { clock_.runDue(); });
    if (stats_.callback_exceptions == before.callback_exceptions &&
        stats_.fatal_exceptions == before.fatal_exceptions) {
      return;
    }
    if (stopping_) return;
  }
}

void Loop::dispatch(const epoll_event& ev) {
  int fd = static_cast<int>(ev.data.u64 & 0xffffffffu);
  auto generation = static_cast<std::uint32_t>(ev.data.u64 >> 32);
  if (generation == kWakeGeneration) {
    if (fd == signal_fd_.get()) {
      drainSignals();
    } else {
      std::uint64_t count = 0;
      ssize_t ignored = ::read(wake_fd_.get(), &count, sizeof count);
      (void)ignored;
    }
    return;
  }
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second->generation != generation) return;  // stale
  std::shared_ptr<Watch> keep = it->second;  // the callback may unwatch itself
  guarded("I/O", [&keep, &ev] { keep->cb(ev.events); });
}

void Loop::drainPosted() {
  std::vector<Callback> work;
  {
    std::lock_guard lock(posted_mu_);
    work.swap(posted_);
  }
  for (auto& fn : work) guarded("posted", fn);
}

void Loop::drainSignals() {
  signalfd_siginfo info{};
  while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    auto it = signal_handlers_.find(static_cast<int>(info.ssi_signo));
    if (it != signal_handlers_.end()) guarded("signal", it->second);
  }
}

}  // namespace keel::event
