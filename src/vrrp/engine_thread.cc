#include "vrrp/engine_thread.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "base/log.h"

namespace keel::vrrp {

namespace {

constexpr auto kScriptPoll = std::chrono::milliseconds(10);
constexpr auto kFlushRetry = std::chrono::milliseconds(1);

void setAffinity(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) {
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
  }
  if (int err = ::pthread_setaffinity_np(::pthread_self(), sizeof(set), &set); err != 0) {
    base::logWarning("VRRP: cannot set vrrp_cpu_affinity: {}", std::strerror(err));
  }
}

void setRttime(std::uint64_t rttime) {
  const rlimit limit{rttime, rttime};
  if (::setrlimit(RLIMIT_RTTIME, &limit) != 0) {
    base::logWarning("VRRP: cannot set vrrp_rlimit_rttime: {}", std::strerror(errno));
  }
}

// sched_setscheduler(0, ...) is the calling thread's on Linux; SCHED_RESET_ON_FORK gives the
// processes it starts (scripts) normal scheduling back.
void setRealtime(int priority) {
  sched_param param{};
  param.sched_priority = priority;
  if (::sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) != 0) {
    base::logWarning(
        "VRRP: cannot run the VRRP thread SCHED_RR priority {}: {}; adverts may be late when "
        "every CPU is busy",
        priority, std::strerror(errno));
    return;
  }
  base::logInfo("VRRP: the VRRP thread runs SCHED_RR priority {}", priority);
}

// The main loop owns every signal (signalfd); none may land on this thread.
void blockAllSignals() {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace

ThreadSettings ThreadSettings::from(const model::GlobalDefs& g) {
  ThreadSettings s;
  s.rt_priority = g.vrrp_rt_priority.value_or(kDefaultRtPriority);
  s.cpu_affinity = g.vrrp_cpu_affinity;
  s.no_swap = g.vrrp_no_swap;
  s.rlimit_rttime = g.vrrp_rlimit_rttime;
  if (!s.rlimit_rttime && g.vrrp_rt_priority.value_or(0) > 0) s.rlimit_rttime = kDefaultRtTime;
  return s;
}

void applyThreadSettings(const ThreadSettings& s) {
  if (!s.cpu_affinity.empty()) setAffinity(s.cpu_affinity);
  if (s.no_swap && ::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    base::logWarning("VRRP: cannot lock memory (vrrp_no_swap): {}", std::strerror(errno));
  }
  if (s.rlimit_rttime) setRttime(*s.rlimit_rttime);
  if (s.rt_priority > 0) setRealtime(s.rt_priority);
}

base::Result<std::unique_ptr<EngineThread>> EngineThread::start(
    std::shared_ptr<const model::Config> config, Options options) {
  std::unique_ptr<EngineThread> self(new EngineThread(std::move(options)));
  auto loop = event::Loop::create(self->clock_);
  if (!loop) return loop.error();
  self->loop_ = std::move(*loop);
  self->loop_->onFatal([t = self.get()](const std::string& why) { t->onFatal(why); });
  self->wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!self->wake_) return KEEL_SYS_ERROR(errno, "eventfd");
  if (self->options_.main != nullptr) {
    KEEL_TRY(self->options_.main->watch(self->wake_.get(), EPOLLIN,
                                        [t = self.get()](std::uint32_t) { t->onPublished(); }));
  }
  std::promise<base::Status> started;
  std::future<base::Status> created = started.get_future();
  self->thread_ =
      std::thread(&EngineThread::run, self.get(), std::move(config), std::move(started));
  base::Status status = created.get();
  if (!status) {
    self->thread_.join();
    self->stopped_ = true;
    return status.error();
  }
  return self;
}

// The VRRP thread: its engine on loop_, until stop() posts the end. The loop and its clock stay
// (EngineThread owns them) so that work posted after the end is dropped, never run on freed memory.
void EngineThread::run(std::shared_ptr<const model::Config> config,
                       std::promise<base::Status> started) {
  blockAllSignals();
  applyThreadSettings(options_.settings);
  EngineOptions opts = options_.engine;
  opts.on_change = [this] { publish(); };
  auto engine = Engine::create(*loop_, std::move(config), std::move(opts));
  if (!engine) {
    started.set_value(engine.error());
    return;
  }
  engine_ = engine->get();
  for (const auto& [session, up] : options_.bfd_states) engine_->setBfdState(session, up);
  engine_->start();
  publish();
  started.set_value(base::ok());
  if (auto ran = loop_->run(); !ran) base::logError("VRRP loop failed: {}", ran.error().str());
  grace_timer_.reset();
  retry_timer_.reset();
  engine_ = nullptr;
  engine->reset();  // kills the process groups of scripts still running
  ended_.set_value();
}

void EngineThread::publish() {
  if (engine_ == nullptr) return;
  pending_ = std::make_shared<const EngineStatus>(engine_->status());
  flush();
}

// Never waits: a reader holding the box (it may have been preempted there) only delays the
// snapshot by a retry, never the VRRP thread.
void EngineThread::flush() {
  std::unique_lock box(box_mu_, std::try_to_lock);
  if (!box.owns_lock()) {
    if (!retry_timer_) retry_timer_ = std::make_unique<base::Timer>(loop_->clock());
    if (!retry_timer_->armed()) retry_timer_->armAfter(kFlushRetry, [this] { flush(); });
    return;
  }
  box_.swap(pending_);
  box.unlock();
  pending_.reset();  // the snapshot it replaced, freed here unless a reader still holds it
  const std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));  // an eventfd write never blocks
}

std::shared_ptr<const EngineStatus> EngineThread::status() const {
  std::lock_guard box(box_mu_);
  return box_;
}

// The main loop, woken through wake_ after each publication.
void EngineThread::onPublished() {
  std::uint64_t n = 0;
  (void)!::read(wake_.get(), &n, sizeof(n));
  if (options_.on_masters) {
    if (auto s = status()) options_.on_masters(masterAddresses(*s));
  }
  if (fatal_.load(std::memory_order_acquire) && !fatal_reported_) {
    fatal_reported_ = true;
    if (options_.on_fatal) options_.on_fatal(fatal_reason_);
  }
}

// The VRRP loop's exception barrier caught a fatal exception (on the VRRP thread): stop in order
// as on SIGTERM (VIPs released), then wake the main loop, which reports it to on_fatal.
void EngineThread::onFatal(const std::string& why) {
  fatal_reason_ = why;
  fatal_.store(true, std::memory_order_release);
  stopOnLoop();
  const std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
}

void EngineThread::reload(std::shared_ptr<const model::Config> config) {
  if (stopped_) return;
  loop_->post([this, config = std::move(config)]() mutable {
    if (engine_ == nullptr) return;
    (void)engine_->reload(std::move(config));
    publish();
  });
}

void EngineThread::setBfdState(std::string session, bool up) {
  if (stopped_) return;
  loop_->post([this, session = std::move(session), up] {
    if (engine_ != nullptr) engine_->setBfdState(session, up);
  });
}

bool EngineThread::stop(base::Duration margin) {
  if (stopped_) return true;
  stopped_ = true;
  loop_->post([this] { stopOnLoop(); });
  if (ended_future_.wait_for(kStopGrace + margin) != std::future_status::ready) {
    base::logError(
        "VRRP thread did not stop within {} ms; leaving it to the process exit",
        std::chrono::duration_cast<std::chrono::milliseconds>(kStopGrace + margin).count());
    thread_.detach();
    return false;
  }
  thread_.join();
  return true;
}

// Also reached twice (a fatal exception, then keeld's stop()): the second waits for the first.
void EngineThread::stopOnLoop() {
  if (engine_ == nullptr) {
    loop_->stop();
    return;
  }
  if (grace_timer_) return;
  engine_->stop();
  publish();
  grace_timer_ = std::make_unique<base::Timer>(loop_->clock());
  waitForScripts(loop_->clock().now() + kStopGrace);
}

// Ends the loop once no script runs, or at `deadline`; the engine's destruction then kills what
// is left.
void EngineThread::waitForScripts(base::TimePoint deadline) {
  if (engine_->runningScripts() == 0 || loop_->clock().now() >= deadline) {
    if (engine_->runningScripts() > 0) {
      base::logWarning("VRRP: {} script(s) still running after {} ms; killing them",
                       engine_->runningScripts(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(kStopGrace).count());
    }
    loop_->stop();
    return;
  }
  grace_timer_->armAfter(kScriptPoll, [this, deadline] { waitForScripts(deadline); });
}

EngineThread::~EngineThread() {
  if (!stopped_) stop();
  if (options_.main != nullptr) options_.main->unwatch(wake_.get());
}

}  // namespace keel::vrrp
