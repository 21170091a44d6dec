#include "app/config_loader.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

namespace keel::app {
namespace {

using std::chrono::milliseconds;

// A reader the test holds: each read waits until the test lets it finish, and says which thread
// ran it and what it read.
class HeldReader {
 public:
  LoadResult operator()(const LoadRequest& request, const std::atomic<bool>& cancel) {
    std::unique_lock lock(mu_);
    threads_.push_back(std::this_thread::get_id());
    files_.push_back(request.file);
    ++started_;
    changed_.notify_all();
    while (released_ == 0 && !cancel.load()) {  // the cancel flag is polled, as the budget does
      changed_.wait_for(lock, milliseconds(1));
    }
    if (released_ > 0) --released_;
    LoadResult r;
    r.file = request.file;
    r.error = "read " + std::to_string(started_);
    return r;
  }
  void release() {
    std::lock_guard lock(mu_);
    ++released_;
    changed_.notify_all();
  }
  void waitStarted(int n) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return started_ >= n; });
  }
  int started() {
    std::lock_guard lock(mu_);
    return started_;
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }
  std::vector<std::string> files() {
    std::lock_guard lock(mu_);
    return files_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int started_ = 0;
  int released_ = 0;
  std::vector<std::thread::id> threads_;
  std::vector<std::string> files_;
};

class ConfigLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_ = std::move(*event::Loop::create(clock_)); }

  std::unique_ptr<ConfigLoader> make() {
    return std::make_unique<ConfigLoader>(
        *loop_,
        [] {
          return LoadRequest{"/etc/keel.conf", {}, nullptr};
        },
        [this](const LoadResult& r) { applied_.push_back(r.error); },
        [this](const LoadRequest& r, const std::atomic<bool>& cancel) { return held_(r, cancel); });
  }
  // Runs the loop until `done` or 5 s.
  template <class F>
  void spinUntil(F done) {
    const auto start = clock_.now();
    while (!done() && clock_.now() - start < std::chrono::seconds(5)) {
      ASSERT_TRUE(loop_->runOnce(milliseconds(5)));
    }
    ASSERT_TRUE(done());
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  HeldReader held_;
  std::vector<std::string> applied_;  // reload reads, as the daemon applies them
};

TEST_F(ConfigLoaderTest, ReadsOffTheLoopWhileTheLoopKeepsServing) {
  auto loader = make();
  std::vector<std::string> results;
  loader->reload([&](const LoadResult& r) { results.push_back(r.error); });
  held_.waitStarted(1);
  EXPECT_NE(held_.threads()[0], std::this_thread::get_id());
  int ticks = 0;  // the loop runs its timers while the read is held
  base::Timer timer(clock_);
  std::function<void()> tick = [&] {
    ++ticks;
    timer.armAfter(milliseconds(1), tick);
  };
  timer.armAfter(milliseconds(1), tick);
  spinUntil([&] { return ticks >= 10; });
  EXPECT_TRUE(results.empty());
  EXPECT_TRUE(loader->busy());
  held_.release();
  spinUntil([&] { return !results.empty(); });
  EXPECT_EQ(results, std::vector<std::string>{"read 1"});
  EXPECT_FALSE(loader->busy());
}

TEST_F(ConfigLoaderTest, ReloadsAskedForDuringARead_AreOneMoreRead) {
  auto loader = make();
  std::vector<std::string> results;
  auto record = [&](const LoadResult& r) { results.push_back(r.error); };
  loader->reload(record);
  held_.waitStarted(1);
  loader->reload(record);  // these three coalesce into the second read
  loader->reload(record);
  loader->reload(record);
  held_.release();
  spinUntil([&] { return held_.started() == 2; });  // the loop took the result, then started it
  held_.release();
  spinUntil([&] { return results.size() == 4; });
  EXPECT_EQ(results, (std::vector<std::string>{"read 1", "read 2", "read 2", "read 2"}));
  EXPECT_EQ(held_.started(), 2);
  EXPECT_EQ(applied_, (std::vector<std::string>{"read 1", "read 2"}));  // once per read
}

TEST_F(ConfigLoaderTest, ChecksReadTheirOwnFileAndQueueWithABound) {
  auto loader = make();
  std::vector<std::string> files;
  auto record = [&](const LoadResult& r) { files.push_back(r.file); };
  loader->reload(record);
  held_.waitStarted(1);
  for (std::size_t i = 0; i < ConfigLoader::kMaxQueued; ++i) {
    ASSERT_TRUE(loader->check("/tmp/other" + std::to_string(i), record));
  }
  auto full = loader->check("/tmp/one-too-many", record);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, base::ErrorCode::State);
  for (int i = 1; i <= 5; ++i) {
    spinUntil([&] { return held_.started() == i; });
    held_.release();
  }
  spinUntil([&] { return files.size() == 5; });
  EXPECT_EQ(files, (std::vector<std::string>{"/etc/keel.conf", "/tmp/other0", "/tmp/other1",
                                             "/tmp/other2", "/tmp/other3"}));
  EXPECT_EQ(held_.files(), files);
  EXPECT_EQ(applied_, std::vector<std::string>{"read 1"});  // checks apply nothing
}

TEST_F(ConfigLoaderTest, DestroyingTheLoaderCancelsTheReadInProgress) {
  auto loader = make();
  bool called = false;
  loader->reload([&](const LoadResult&) { called = true; });
  held_.waitStarted(1);
  loader.reset();  // returns only once the held read saw the cancel flag and the worker ended
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop_->runOnce(milliseconds(1)));
  EXPECT_FALSE(called);  // a result posted after the loader is gone is dropped
}

class ReadConfigurationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-loader-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    std::string path = dir_ + "/keepalived.conf";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
  std::atomic<bool> cancel_{false};
};

constexpr std::string_view kInstance =
    "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 7\n virtual_ipaddress {\n"
    "  198.18.0.100/32\n }\n}\n";

TEST_F(ReadConfigurationTest, AGoodFileComesWithThePlanAgainstTheRunningOne) {
  auto running = std::make_shared<const model::Config>();
  std::string more(kInstance);
  more.replace(more.find("100/32"), 6, "100/32\n  198.18.0.101/32");
  LoadResult r = readConfiguration({write(more), {}, running}, cancel_);
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(planText(r.plan), "vrrp_instance VI_1: add\n");
  LoadResult again = readConfiguration({write(std::string(kInstance)), {}, r.config}, cancel_);
  ASSERT_TRUE(again.config) << again.error;
  EXPECT_EQ(planText(again.plan), "vrrp_instance VI_1: update (-198.18.0.101/32)\n");
}

TEST_F(ReadConfigurationTest, AFileWithErrorsIsNotUsable) {
  std::string bad(kInstance);
  bad.replace(bad.find("virtual_router_id 7"), 19, "virtual_router_id 700");
  LoadResult r = readConfiguration({write(bad), {}, nullptr}, cancel_);
  EXPECT_EQ(r.config, nullptr);
  // The bad VRID, then the instance without one.
  EXPECT_EQ(r.error, "Configuration " + dir_ + "/keepalived.conf has 2 error(s)");
  ASSERT_EQ(r.diagnostics.size(), 2u);
  EXPECT_EQ(r.diagnostics[0].where.line, 3);
  LoadResult missing = readConfiguration({dir_ + "/none.conf", {}, nullptr}, cancel_);
  EXPECT_EQ(missing.config, nullptr);
  EXPECT_NE(missing.error.find("Unable to open configuration file"), std::string::npos);
}

TEST_F(ReadConfigurationTest, ACancelledReadStopsAtOnce) {
  cancel_ = true;
  LoadResult r = readConfiguration({write(std::string(kInstance)), {}, nullptr}, cancel_);
  EXPECT_EQ(r.config, nullptr);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].message, "reading cancelled: keeld is stopping");
}

}  // namespace
}  // namespace keel::app
