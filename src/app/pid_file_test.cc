#include "app/pid_file.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "app/sd_notify.h"
#include "base/unique_fd.h"

namespace keel::app {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "keel-pid-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PidFileTest, SecondLockIsRefusedNamingTheHolder) {
  const std::string path = dir_ + "/keeld.pid";
  {
    auto first = PidFile::lock(path);
    ASSERT_TRUE(first) << first.error().str();
    ASSERT_TRUE(first->write(4242));
    EXPECT_EQ(slurp(path), "4242\n");
    auto second = PidFile::lock(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, base::ErrorCode::State);
    EXPECT_EQ(second.error().message, "daemon is already running (pid 4242 holds " + path + ")");
  }
  // Written for another pid: the file stays (the forked parent must not remove the child's).
  EXPECT_TRUE(std::filesystem::exists(path));
  {
    auto again = PidFile::lock(path);
    ASSERT_TRUE(again) << again.error().str();
    ASSERT_TRUE(again->write(::getpid()));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(PidFileTest, ASymlinkIsNotFollowed) {
  std::filesystem::create_symlink(dir_ + "/elsewhere", dir_ + "/keeld.pid");
  EXPECT_FALSE(PidFile::lock(dir_ + "/keeld.pid"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/elsewhere"));
}

TEST_F(PidFileTest, ExtraPidFilesHoldThePidAndGoAtStop) {
  const std::vector<std::string> paths = {dir_ + "/vrrp.pid", dir_ + "/checkers.pid"};
  ASSERT_TRUE(writeExtraPidFiles(paths, 77));
  for (const auto& p : paths) EXPECT_EQ(slurp(p), "77\n");
  removeExtraPidFiles(paths, 78);  // not ours: kept
  EXPECT_TRUE(std::filesystem::exists(paths[0]));
  removeExtraPidFiles(paths, 77);
  for (const auto& p : paths) EXPECT_FALSE(std::filesystem::exists(p));
}

// sd_notify to an abstract socket ('@' names it), as systemd's NOTIFY_SOCKET does.
TEST(SystemdNotifierTest, SendsTheStateToAnAbstractSocket) {
  const std::string name = "@keel-notify-test-" + std::to_string(::getpid());
  base::UniqueFd server(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(server);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(name.begin() + 1, name.end(), addr.sun_path + 1);
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  ASSERT_EQ(::bind(server.get(), reinterpret_cast<const sockaddr*>(&addr), len), 0);
  const SystemdNotifier notifier(name);
  ASSERT_TRUE(notifier.enabled());
  ASSERT_TRUE(notifier.notify("READY=1"));
  std::array<char, 64> buf{};
  const ssize_t n = ::recv(server.get(), buf.data(), buf.size(), MSG_DONTWAIT);
  ASSERT_EQ(n, 7);
  EXPECT_EQ(std::string(buf.data(), 7), "READY=1");
}

TEST(SystemdNotifierTest, WithoutASocketNothingHappensAndBadNamesAreErrors) {
  EXPECT_TRUE(SystemdNotifier(std::nullopt).notify("READY=1"));
  EXPECT_FALSE(SystemdNotifier(std::string("relative/path")).notify("READY=1"));
  EXPECT_FALSE(SystemdNotifier(std::string(200, '/')).notify("READY=1"));
}

}  // namespace
}  // namespace keel::app
