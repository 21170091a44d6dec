#include "app/bfd_wiring.h"

#include "base/log.h"

namespace keel::app {

void BfdWiring::apply(const model::Config& config) {
  if (thread_) {
    thread_->reload(config.bfd_instances);
    return;
  }
  if (config.bfd_instances.empty()) return;
  bfd::ThreadOptions options;
  options.engine.rt_priority = config.global.bfd_rt_priority;
  options.cpu_affinity = config.global.bfd_cpu_affinity;
  options.no_swap = config.global.bfd_no_swap;
  options.owner = &loop_;
  options.on_fatal = on_fatal_;
  auto thread = bfd::EngineThread::start(config.bfd_instances, std::move(options));
  if (!thread) {
    base::logError("BFD not started: {}", thread.error().str());
    return;
  }
  thread_ = std::move(*thread);
  subscription_ = thread_->events().subscribe(loop_, on_session_);
}

void BfdWiring::stop() {
  subscription_.reset();
  thread_.reset();
}

std::map<std::string, bool> BfdWiring::vrrpStates() const {
  std::map<std::string, bool> out;
  if (!thread_) return out;
  for (const bfd::SessionEvent& e : thread_->events().snapshot()) {
    if (e.notify_vrrp) out[e.name] = e.up();
  }
  return out;
}

std::map<std::string, bool> BfdWiring::checkerStates() const {
  std::map<std::string, bool> out;
  if (!thread_) return out;
  for (const bfd::SessionEvent& e : thread_->events().snapshot()) {
    if (e.notify_checker) out[e.name] = e.up();
  }
  return out;
}

std::string BfdWiring::statsText() { return thread_ ? thread_->statsText() : std::string(); }

}  // namespace keel::app
