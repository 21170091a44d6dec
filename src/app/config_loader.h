// ConfigLoader: reads and checks configuration files on a worker thread of its own, so that
// neither the event loop nor the VRRP engine ever waits on a parse — a huge or hostile file
// (conf/budget.h bounds it) costs that thread only, and keeld keeps serving (issue 16 item 2).
// Each result, with the plan a reload to it would apply, is posted back to the loop.
//
// One read runs at a time. A reload asked for while one runs is coalesced with any other waiting
// reload into one more read (of the file as it is then), whose result every one of them gets;
// checks of other files (keelctl reload --check) wait in a queue of at most kMaxQueued.
//
// Owned by the daemon; every member function is called on the loop thread, and the callbacks run
// there. The destructor cancels a read in progress and joins the worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/reload_report.h"
#include "base/error.h"
#include "conf/diagnostics.h"
#include "conf/preprocessor.h"
#include "event/loop.h"
#include "model/config.h"

namespace keel::app {

struct LoadRequest {
  std::string file;
  conf::PreprocessOptions options;  // with the environment captured: the worker reads no globals
  std::shared_ptr<const model::Config> running;  // the plan's "before"; null: an empty one
};

struct LoadResult {
  std::string file;
  std::shared_ptr<const model::Config> config;  // null: the file cannot be used
  std::string error;                            // why not, one sentence
  std::vector<conf::Diagnostic> diagnostics;    // every one, in order
  ReloadPlan plan;                              // against the request's running configuration
};

// Reads `request.file` as keeld does: the configuration is unusable when it cannot be read or
// has errors (keel does not run a half-understood configuration).
LoadResult readConfiguration(const LoadRequest& request, const std::atomic<bool>& cancel);

class ConfigLoader {
 public:
  static constexpr std::size_t kMaxQueued = 4;

  using Done = std::function<void(const LoadResult&)>;
  // What a reload reads: called on the loop thread when the read starts.
  using Source = std::function<LoadRequest()>;
  using Reader = std::function<LoadResult(const LoadRequest&, const std::atomic<bool>& cancel)>;

  // `applied` is called once per reload read, before its waiters hear the outcome (the daemon
  // applies the configuration there); never for checks.
  ConfigLoader(event::Loop& loop, Source source, Done applied, Reader reader = readConfiguration);
  ~ConfigLoader();
  ConfigLoader(const ConfigLoader&) = delete;
  ConfigLoader& operator=(const ConfigLoader&) = delete;

  // Reads the source's file off the loop and calls `done` with the result.
  void reload(Done done);
  // Reads `file` instead (the source's options and running configuration). Errors: State when
  // kMaxQueued requests already wait.
  base::Status check(std::string file, Done done);

  // Whether a read is running or waiting.
  bool busy() const { return running_ || !queue_.empty(); }

 private:
  struct Job {
    std::optional<std::string> file;  // unset: a reload of the source's file
    std::vector<Done> waiters;
  };
  struct Shared;  // what the worker and the loop both touch

  void startNext();
  void finished(const LoadResult& result);
  void work();

  event::Loop& loop_;
  Source source_;
  Done applied_;
  Reader reader_;
  std::deque<Job> queue_;       // waiting, in order
  std::optional<Job> current_;  // the one being read
  bool running_ = false;
  std::shared_ptr<Shared> shared_;
  std::thread worker_;  // started with the first read
};

}  // namespace keel::app
