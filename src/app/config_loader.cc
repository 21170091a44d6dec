#include "app/config_loader.h"

#include <pthread.h>

#include <fmt/format.h>

#include "base/clock.h"
#include "conf/reader.h"

namespace keel::app {

struct ConfigLoader::Shared {
  std::mutex mu;
  std::condition_variable wake;
  std::optional<LoadRequest> next;  // guarded by mu: the read the worker is to do
  bool stop = false;                // guarded by mu
  std::atomic<bool> cancel{false};  // stops a read in progress (conf/budget.h)
  ConfigLoader* owner = nullptr;    // loop thread only; null once the loader is gone
};

LoadResult readConfiguration(const LoadRequest& request, const std::atomic<bool>& cancel) {
  LoadResult r;
  r.file = request.file;
  conf::Diagnostics diags;
  base::SteadyClock clock;  // the wall-time budget
  conf::PreprocessOptions options = request.options;
  options.clock = &clock;
  options.cancel = &cancel;
  auto config = conf::readConfig(request.file, options, diags);
  r.diagnostics = diags.all();
  if (!config) {
    r.error =
        fmt::format("Unable to open configuration file {}: {}", request.file, config.error().str());
    return r;
  }
  if (diags.errors() > 0) {
    r.error = fmt::format("Configuration {} has {} error(s)", request.file, diags.errors());
    return r;
  }
  auto after = std::make_shared<const model::Config>(std::move(*config));
  r.plan = planOf(request.running ? *request.running : model::Config{}, *after);
  r.config = std::move(after);
  return r;
}

ConfigLoader::ConfigLoader(event::Loop& loop, Source source, Done applied, Reader reader)
    : loop_(loop),
      source_(std::move(source)),
      applied_(std::move(applied)),
      reader_(std::move(reader)),
      shared_(std::make_shared<Shared>()) {
  shared_->owner = this;
}

ConfigLoader::~ConfigLoader() {
  shared_->owner = nullptr;
  {
    std::lock_guard lock(shared_->mu);
    shared_->stop = true;
  }
  shared_->cancel = true;
  shared_->wake.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ConfigLoader::reload(Done done) {
  for (Job& job : queue_) {
    if (!job.file) {  // a reload already waits: this one is the same read
      job.waiters.push_back(std::move(done));
      return;
    }
  }
  queue_.push_back({std::nullopt, {std::move(done)}});
  startNext();
}

base::Status ConfigLoader::check(std::string file, Done done) {
  if (queue_.size() >= kMaxQueued) {
    return base::makeError(base::ErrorCode::State,
                           fmt::format("{} reads already wait; try again later", queue_.size()));
  }
  queue_.push_back({std::move(file), {std::move(done)}});
  startNext();
  return base::ok();
}

void ConfigLoader::startNext() {
  if (running_ || queue_.empty()) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  running_ = true;
  LoadRequest request = source_();
  if (current_->file) request.file = *current_->file;
  if (!worker_.joinable()) {
    worker_ = std::thread([this] { work(); });
    (void)::pthread_setname_np(worker_.native_handle(), "keeld-config");
  }
  {
    std::lock_guard lock(shared_->mu);
    shared_->next = std::move(request);
  }
  shared_->wake.notify_one();
}

void ConfigLoader::finished(const LoadResult& result) {
  Job job = std::move(*current_);
  current_.reset();
  running_ = false;
  if (!job.file && applied_) applied_(result);
  for (const Done& done : job.waiters) {
    if (done) done(result);
  }
  startNext();
}

// The worker thread: reads what it is given and posts the result to the loop. It touches only
// `shared` and the reader, never the loader's loop-thread state.
void ConfigLoader::work() {
  std::shared_ptr<Shared> shared = shared_;
  const Reader reader = reader_;
  for (;;) {
    LoadRequest request;
    {
      std::unique_lock lock(shared->mu);
      shared->wake.wait(lock, [&] { return shared->stop || shared->next.has_value(); });
      if (shared->stop) return;
      request = std::move(*shared->next);
      shared->next.reset();
    }
    auto result = std::make_shared<LoadResult>(reader(request, shared->cancel));
    std::weak_ptr<Shared> weak = shared;
    loop_.post([weak, result] {
      auto s = weak.lock();
      if (s && s->owner != nullptr) s->owner->finished(*result);
    });
  }
}

}  // namespace keel::app
