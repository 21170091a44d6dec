#include "base/log.h"

#include <syslog.h>
#include <unistd.h>

#include <array>
#include <ctime>

namespace keel::base {

namespace {

// keepalived's console timestamp: strftime("%c") in local time.
std::string consoleTimestamp(WallTime when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::array<char, 64> buf{};
  std::size_t n = std::strftime(buf.data(), buf.size(), "%c", &tm);
  return std::string(buf.data(), n);
}

const SteadyClock& builtinClock() {
  static const SteadyClock clock;
  return clock;
}

}  // namespace

void StderrSink::write(LogLevel /*level*/, WallTime when, std::string_view message) {
  std::string line = fmt::format("{}: {}\n", consoleTimestamp(when), message);
  // One write per line keeps concurrent writers' lines whole; a short write to a full pipe is
  // not worth a retry loop for a log line.
  ssize_t ignored = ::write(fd_, line.data(), line.size());
  (void)ignored;
}

SyslogSink::SyslogSink(std::string ident, int facility)
    : ident_(std::move(ident)), facility_(facility) {
  ::openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, facility_);
}

SyslogSink::~SyslogSink() { ::closelog(); }

void SyslogSink::write(LogLevel level, WallTime /*when*/, std::string_view message) {
  ::syslog(facility_ | static_cast<int>(level), "%.*s", static_cast<int>(message.size()),
           message.data());
}

void MemorySink::write(LogLevel /*level*/, WallTime /*when*/, std::string_view message) {
  std::lock_guard lock(mu_);
  messages_.emplace_back(message);
}

std::vector<std::string> MemorySink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

Result<int> parseSyslogFacility(std::string_view text) {
  static constexpr std::array<int, 8> kLocal = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                                LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  if (text == "user") return LOG_USER;
  if (text == "daemon") return LOG_DAEMON;
  std::string_view digit = text.starts_with("local") ? text.substr(5) : text;
  if (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '7') return kLocal[digit[0] - '0'];
  return makeError(ErrorCode::InvalidArgument,
                   fmt::format("invalid log facility \"{}\": expected 0-7, local0-local7, user or "
                               "daemon",
                               text));
}

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Notice:
      return "notice";
    case LogLevel::Info:
      return "info";
    case LogLevel::Debug:
      return "debug";
  }
  return "unknown";
}

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

Logger::Logger() : clock_(&builtinClock()), limiter_(kBurst, kWindow) {}

void Logger::setLevel(LogLevel max) {
  std::lock_guard lock(mu_);
  max_level_ = max;
}

bool Logger::enabled(LogLevel level) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(level) <= static_cast<int>(max_level_);
}

void Logger::setSinks(std::vector<std::unique_ptr<LogSink>> sinks) {
  std::lock_guard lock(mu_);
  sinks_ = std::move(sinks);
}

void Logger::setClock(const Clock* clock) {
  std::lock_guard lock(mu_);
  clock_ = clock != nullptr ? clock : &builtinClock();
  limiter_ = RateLimiter(kBurst, kWindow);
}

void Logger::write(LogLevel level, std::string_view message) {
  std::lock_guard lock(mu_);
  emit(level, message);
}

void Logger::writeLimited(std::string_view cause, LogLevel level, std::string_view message) {
  std::lock_guard lock(mu_);
  RateLimiter::Decision d = limiter_.admit(cause, clock_->now());
  if (!d.allowed) return;
  if (d.suppressed_before == 0) {
    emit(level, message);
  } else {
    emit(level, fmt::format("{} ({} similar messages suppressed)", message, d.suppressed_before));
  }
}

void Logger::emit(LogLevel level, std::string_view message) {
  WallTime when = clock_->wallNow();
  if (sinks_.empty()) {
    StderrSink(2).write(level, when, message);
    return;
  }
  for (auto& sink : sinks_) sink->write(level, when, message);
}

}  // namespace keel::base
