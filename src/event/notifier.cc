#include "event/notifier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/unique_fd.h"

namespace keel::event {

void Notifier::run(const ScriptSpec& script, const std::string& why) {
  std::erase_if(children_, [](const auto& c) { return !c->running(); });
  auto argv = prepareScript(script, policy_);
  if (!argv) {
    base::logWarning("{} script not run: {}", why, argv.error().str());
    return;
  }
  ChildOptions opts;
  opts.argv = std::move(*argv);
  opts.timeout = kTimeout;
  auto child = ChildProcess::spawn(loop_, opts, [why](const ChildExit& e) {
    if (!e.success()) {
      base::logWarning("{} script {}", why,
                       e.timed_out ? "timed out" : fmt::format("exited with status {}", e.code));
    }
  });
  if (!child) {
    base::logWarning("{} script cannot run: {}", why, child.error().str());
    return;
  }
  children_.push_back(std::move(*child));
}

std::size_t Notifier::running() {
  std::erase_if(children_, [](const auto& c) { return !c->running(); });
  return children_.size();
}

void writeFifoLine(const std::vector<std::string>& paths, const std::string& line) {
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    base::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) continue;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
      base::logLimited("notify fifo", base::LogLevel::Warning,
                       "{} is not a FIFO; no line written to it", path);
      continue;
    }
    if (::write(fd.get(), line.data(), line.size()) < 0) {
      base::logLimited("notify fifo", base::LogLevel::Warning, "cannot write to {}: {}", path,
                       std::strerror(errno));
    }
  }
}

}  // namespace keel::event
