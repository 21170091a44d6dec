#include "base/log.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

using std::chrono::seconds;

// Routes the global logger to a MemorySink driven by a FakeClock, and restores it afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_unique<MemorySink>();
    sink_ = sink.get();
    std::vector<std::unique_ptr<LogSink>> sinks;
    sinks.push_back(std::move(sink));
    Logger::instance().setSinks(std::move(sinks));
    Logger::instance().setClock(&clock_);
    Logger::instance().setLevel(LogLevel::Info);
  }
  void TearDown() override {
    Logger::instance().setSinks({});
    Logger::instance().setClock(nullptr);
    Logger::instance().setLevel(LogLevel::Info);
  }

  FakeClock clock_;
  MemorySink* sink_ = nullptr;
};

TEST_F(LogTest, KeepalivedMessageShapeIsKeptVerbatim) {
  logInfo("({}) Entering {} STATE", "VI_1", "MASTER");
  ASSERT_EQ(sink_->messages().size(), 1u);
  EXPECT_EQ(sink_->messages()[0], "(VI_1) Entering MASTER STATE");
}

TEST_F(LogTest, LevelFiltersDebugUntilEnabled) {
  logDebug("hidden");
  logError("shown");
  Logger::instance().setLevel(LogLevel::Debug);
  logDebug("now shown");
  EXPECT_EQ(sink_->messages(), (std::vector<std::string>{"shown", "now shown"}));
}

TEST_F(LogTest, RateLimitedPerCauseAndReportsSuppressedCount) {
  for (int i = 0; i < 8; ++i) logLimited("bad-advert", LogLevel::Warning, "bad advert {}", i);
  logLimited("other", LogLevel::Warning, "other cause");
  clock_.advance(Logger::kWindow);
  logLimited("bad-advert", LogLevel::Warning, "bad advert again");
  std::vector<std::string> want = {"bad advert 0",
                                   "bad advert 1",
                                   "bad advert 2",
                                   "bad advert 3",
                                   "bad advert 4",
                                   "other cause",
                                   "bad advert again (3 similar messages suppressed)"};
  EXPECT_EQ(sink_->messages(), want);
}

TEST(StderrSinkTest, WritesKeepalivedConsoleShape) {
  const char* old_tz = std::getenv("TZ");
  std::string saved = old_tz != nullptr ? old_tz : "";
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  FakeClock clock;  // its wall clock starts at 2026-01-01 00:00:00 UTC, a Thursday
  StderrSink(fds[1]).write(LogLevel::Info, clock.wallNow() + seconds(5),
                           "(VI_1) Entering MASTER STATE");
  std::array<char, 256> buf{};
  ssize_t n = ::read(fds[0], buf.data(), buf.size());
  ::close(fds[0]);
  ::close(fds[1]);
  if (old_tz != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf.data(), static_cast<std::size_t>(n)),
            "Thu Jan  1 00:00:05 2026: (VI_1) Entering MASTER STATE\n");
}

TEST(SyslogFacilityTest, AcceptsKeepalivedSpellings) {
  EXPECT_EQ(*parseSyslogFacility("0"), LOG_LOCAL0);
  EXPECT_EQ(*parseSyslogFacility("7"), LOG_LOCAL7);
  EXPECT_EQ(*parseSyslogFacility("local3"), LOG_LOCAL3);
  EXPECT_EQ(*parseSyslogFacility("daemon"), LOG_DAEMON);
  EXPECT_EQ(*parseSyslogFacility("user"), LOG_USER);
  for (const char* bad : {"8", "local8", "kern", "", "local", "00"}) {
    auto r = parseSyslogFacility(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message, fmt::format("invalid log facility \"{}\": expected 0-7, "
                                             "local0-local7, user or daemon",
                                             bad));
  }
}

}  // namespace
}  // namespace keel::base
