// Process-wide logging in keepalived's shapes.
//
// Message bodies follow keepalived's wording so that an operator's grep keeps working
// ("(VI_1) Entering MASTER STATE", "TCP connection to [10.0.0.2]:tcp:80 success."). Sinks: stderr
// in keepalived's console shape ("Fri Nov 27 18:15:08 2026: body"), syslog (ident "keeld"), and
// a memory sink for tests. writeLimited() rate-limits per cause, for anything the network can
// trigger. Thread-safe: proxy workers and the control-plane loop may log concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/rate_limiter.h"

namespace keel::base {

// syslog(3) priorities, so a level maps to syslog unchanged.
enum class LogLevel : int { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(LogLevel level, WallTime when, std::string_view message) = 0;
};

// Writes "<strftime %c, local time>: <message>\n" to `fd` in one write(2).
class StderrSink final : public LogSink {
 public:
  explicit StderrSink(int fd = 2) : fd_(fd) {}
  void write(LogLevel level, WallTime when, std::string_view message) override;

 private:
  int fd_;
};

class SyslogSink final : public LogSink {
 public:
  // `facility` is a LOG_* facility value (see parseSyslogFacility).
  SyslogSink(std::string ident, int facility);
  ~SyslogSink() override;
  void write(LogLevel level, WallTime when, std::string_view message) override;

 private:
  std::string ident_;  // openlog() keeps the pointer, so the string lives here
  int facility_;
};

// Keeps every message; for tests.
class MemorySink final : public LogSink {
 public:
  void write(LogLevel level, WallTime when, std::string_view message) override;
  std::vector<std::string> messages() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;  // guarded by mu_
};

// keepalived's -S values: 0-7 (local0-7), local0-local7, user, daemon.
Result<int> parseSyslogFacility(std::string_view text);

std::string_view logLevelName(LogLevel level);

class Logger {
 public:
  static Logger& instance();

  // Messages above `max` (less severe) are dropped; default Info. keeld -D enables Debug.
  void setLevel(LogLevel max);
  bool enabled(LogLevel level) const;
  // Replaces all sinks. Without sinks, messages go to stderr.
  void setSinks(std::vector<std::unique_ptr<LogSink>> sinks);
  // The clock for timestamps and rate limiting; null restores the built-in SteadyClock. REQUIRES:
  // `clock` outlives its use here.
  void setClock(const Clock* clock);

  void write(LogLevel level, std::string_view message);
  // Like write(), but at most `kBurst` messages of one `cause` per `kWindow`; the first message
  // after suppression ends with " (N similar messages suppressed)".
  void writeLimited(std::string_view cause, LogLevel level, std::string_view message);

  static constexpr std::uint32_t kBurst = 5;
  static constexpr Duration kWindow = std::chrono::seconds(10);

 private:
  Logger();
  void emit(LogLevel level, std::string_view message);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  LogLevel max_level_ = LogLevel::Info;          // guarded by mu_
  std::vector<std::unique_ptr<LogSink>> sinks_;  // guarded by mu_
  const Clock* clock_;                           // guarded by mu_
  RateLimiter limiter_;                          // guarded by mu_
};

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  Logger& l = Logger::instance();
  if (l.enabled(level)) l.write(level, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void logLimited(std::string_view cause, LogLevel level, fmt::format_string<Args...> f,
                Args&&... args) {
  Logger& l = Logger::instance();
  if (l.enabled(level)) l.writeLimited(cause, level, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void logError(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Error, f, std::forward<Args>(args)...);
}
template <class... Args>
void logWarning(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Warning, f, std::forward<Args>(args)...);
}
template <class... Args>
void logNotice(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Notice, f, std::forward<Args>(args)...);
}
template <class... Args>
void logInfo(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Info, f, std::forward<Args>(args)...);
}
template <class... Args>
void logDebug(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Debug, f, std::forward<Args>(args)...);
}

}  // namespace keel::base
