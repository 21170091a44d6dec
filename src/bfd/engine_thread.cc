#include "bfd/engine_thread.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <utility>

#include "base/log.h"

namespace keel::bfd {

namespace {

// SCHED_RR as keepalived's bfd_rt_priority; a refusal (no CAP_SYS_NICE) is logged, not fatal.
void setRealtime(int priority) {
  sched_param p{};
  p.sched_priority = priority;
  if (const int err = pthread_setschedparam(pthread_self(), SCHED_RR, &p); err != 0) {
    base::logWarning("BFD: cannot use realtime priority {}: {}", priority,
                     base::sysError(err, "pthread_setschedparam", nullptr, 0).str());
  }
}

void setAffinity(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) {
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
  }
  if (const int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); err != 0) {
    base::logWarning("BFD: cannot set bfd_cpu_affinity: {}",
                     base::sysError(err, "pthread_setaffinity_np", nullptr, 0).str());
  }
}

void applySettings(const ThreadOptions& options) {
  if (!options.cpu_affinity.empty()) setAffinity(options.cpu_affinity);
  if (options.no_swap && ::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    base::logWarning("BFD: cannot apply bfd_no_swap: {}",
                     base::sysError(errno, "mlockall", nullptr, 0).str());
  }
  if (options.engine.rt_priority) setRealtime(*options.engine.rt_priority);
}

}  // namespace

base::Result<std::unique_ptr<EngineThread>> EngineThread::start(
    std::vector<model::BfdInstance> config, ThreadOptions options) {
  std::unique_ptr<EngineThread> t(new EngineThread());
  t->events_ = options.engine.events ? options.engine.events : std::make_shared<Events>();
  options.engine.events = t->events_;
  auto loop = event::Loop::create(t->clock_);
  if (!loop) return loop.error();
  t->loop_ = std::move(*loop);
  t->owner_ = options.owner;
  t->on_fatal_ = options.on_fatal;
  t->loop_->onFatal([raw = t.get()](const std::string& why) { raw->onFatal(why); });
  std::promise<base::Status> started;
  std::future<base::Status> ready = started.get_future();
  t->thread_ = std::thread([raw = t.get(), config = std::move(config), options,
                            &started]() mutable { raw->run(config, std::move(options), started); });
  base::Status status = ready.get();
  if (!status) {
    t->thread_.join();
    return status.error();
  }
  return t;
}

void EngineThread::run(const std::vector<model::BfdInstance>& config, ThreadOptions options,
                       std::promise<base::Status>& started) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  applySettings(options);
  auto engine = Engine::create(*loop_, config, std::move(options.engine));
  if (!engine) {
    ended_ = true;
    started.set_value(engine.error());
    return;
  }
  engine_ = engine->get();
  engine_->start();
  started.set_value(base::ok());  // `started` is gone after this line
  if (auto ran = loop_->run(); !ran) base::logError("BFD loop: {}", ran.error().str());
  engine_ = nullptr;
  engine->reset();
  ended_ = true;
}

// On the BFD thread, from the loop's exception barrier: every neighbour hears AdminDown (a
// neighbour's track_bfd sees a clean stop, not a detection timeout), the loop stops, the owner
// hears of it on its own loop.
void EngineThread::onFatal(const std::string& why) {
  if (engine_ != nullptr) engine_->stop();
  loop_->stop();
  if (owner_ != nullptr && on_fatal_) {
    owner_->post([cb = on_fatal_, why] { cb(why); });
  }
}

EngineThread::~EngineThread() {
  if (loop_ == nullptr) return;  // start() failed before the thread
  loop_->post([this] {
    if (engine_ != nullptr) engine_->stop();
    loop_->stop();
  });
  if (thread_.joinable()) thread_.join();
}

void EngineThread::reload(std::vector<model::BfdInstance> config) {
  loop_->post([this, config = std::move(config)] {
    if (engine_ != nullptr) engine_->reload(config);
  });
}

std::string EngineThread::statsText() {
  if (ended_) return {};
  auto answer = std::make_shared<std::promise<std::string>>();
  std::future<std::string> text = answer->get_future();
  loop_->post(
      [this, answer] { answer->set_value(engine_ != nullptr ? engine_->statsText() : ""); });
  if (text.wait_for(std::chrono::seconds(1)) != std::future_status::ready) return {};
  return text.get();
}

}  // namespace keel::bfd
