#include "bfd/engine_thread.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

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

}  // namespace

base::Result<std::unique_ptr<EngineThread>> EngineThread::start(
    std::vector<model::BfdInstance> config, EngineOptions options) {
  std::unique_ptr<EngineThread> t(new EngineThread());
  t->events_ = options.events ? options.events : std::make_shared<Events>();
  options.events = t->events_;
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

void EngineThread::run(const std::vector<model::BfdInstance>& config, EngineOptions options,
                       std::promise<base::Status>& started) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  if (options.rt_priority) setRealtime(*options.rt_priority);
  base::SteadyClock clock;
  auto loop = event::Loop::create(clock);
  if (!loop) {
    started.set_value(loop.error());
    return;
  }
  auto engine = Engine::create(**loop, config, std::move(options));
  if (!engine) {
    started.set_value(engine.error());
    return;
  }
  loop_ = loop->get();
  engine_ = engine->get();
  engine_->start();
  started.set_value(base::ok());  // `started` is gone after this line
  if (auto ran = (*loop)->run(); !ran) base::logError("BFD loop: {}", ran.error().str());
  engine->reset();
}

EngineThread::~EngineThread() {
  if (loop_ != nullptr) {
    loop_->post([this] {
      engine_->stop();
      loop_->stop();
    });
  }
  if (thread_.joinable()) thread_.join();
}

void EngineThread::reload(std::vector<model::BfdInstance> config) {
  loop_->post([this, config = std::move(config)] { engine_->reload(config); });
}

std::string EngineThread::statsText() {
  auto answer = std::make_shared<std::promise<std::string>>();
  std::future<std::string> text = answer->get_future();
  loop_->post([this, answer] { answer->set_value(engine_->statsText()); });
  if (text.wait_for(std::chrono::seconds(1)) != std::future_status::ready) return {};
  return text.get();
}

}  // namespace keel::bfd
