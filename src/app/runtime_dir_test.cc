#include "app/runtime_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace keel::app {
namespace {

TEST(RuntimeDirTest, BaseFollowsTheFlagThenRootThenXdg) {
  RuntimeEnvironment root{true, "/run/user/1000", std::nullopt};
  EXPECT_EQ(runtimeDir({}, root).value_or(""), "/run/keel");
  EXPECT_EQ(runtimeDir({"/srv/k", std::nullopt}, root).value_or(""), "/srv/k");
  RuntimeEnvironment user{false, "/run/user/1000", std::nullopt};
  EXPECT_EQ(runtimeDir({}, user).value_or(""), "/run/user/1000/keel");
  RuntimeEnvironment bare{false, std::nullopt, std::nullopt};
  auto none = runtimeDir({}, bare);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, base::ErrorCode::NotFound);
  EXPECT_EQ(runtimeDir({"/srv/k", std::nullopt}, bare).value_or(""), "/srv/k");
}

TEST(RuntimeDirTest, InstanceComesFromTheRequestElseTheNamespace) {
  RuntimeEnvironment in_ns{true, std::nullopt, "keel-dir1"};
  EXPECT_EQ(runtimeDir({}, in_ns).value_or(""), "/run/keel/keel-dir1");
  EXPECT_EQ(runtimeDir({std::nullopt, "lb2"}, in_ns).value_or(""), "/run/keel/lb2");
  EXPECT_EQ(runtimeDir({"/t/run", std::nullopt}, in_ns).value_or(""), "/t/run/keel-dir1");
  for (const char* bad : {"", ".", "..", "a/b"}) {
    auto r = runtimeDir({std::nullopt, std::string(bad)}, in_ns);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, base::ErrorCode::InvalidArgument);
  }
}

class TempDir {
 public:
  TempDir() {
    std::string t = ::testing::TempDir() + "keel-rt-XXXXXX";
    path_ = ::mkdtemp(t.data()) != nullptr ? t : "";
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(RuntimeDirTest, TheNamespaceIsFoundByItsInode) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  EXPECT_EQ(currentNetnsName(dir.path()), std::nullopt);
  // A file that is this process's namespace: a hard link is not possible across file systems, so
  // a symlink stands in for the bind mount `ip netns add` makes (stat follows both).
  ASSERT_EQ(::symlink("/proc/self/ns/net", (dir.path() + "/mine").c_str()), 0);
  std::ofstream(dir.path() + "/other") << "x";
  EXPECT_EQ(currentNetnsName(dir.path()), "mine");
  EXPECT_EQ(currentNetnsName(dir.path() + "/missing"), std::nullopt);
}

TEST(RuntimeDirTest, FilesAre0600AndSymlinksAreNotFollowed) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string run = dir.path() + "/a/b";
  ASSERT_TRUE(writeRuntimeFile(run, "keel.data", "one\n"));
  struct stat st {};
  ASSERT_EQ(::stat(run.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  ASSERT_EQ(::stat((run + "/keel.data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_TRUE(writeRuntimeFile(run, "keel.data", "two\n"));  // replaced
  std::stringstream text;
  text << std::ifstream(run + "/keel.data").rdbuf();
  EXPECT_EQ(text.str(), "two\n");
  const std::string target = dir.path() + "/target";
  std::ofstream(target) << "keep";
  ASSERT_EQ(::symlink(target.c_str(), (run + "/keel.json").c_str()), 0);
  EXPECT_FALSE(writeRuntimeFile(run, "keel.json", "evil"));
  std::stringstream kept;
  kept << std::ifstream(target).rdbuf();
  EXPECT_EQ(kept.str(), "keep");
  ASSERT_EQ(::symlink(dir.path().c_str(), (dir.path() + "/link").c_str()), 0);
  EXPECT_FALSE(makeRuntimeDir(dir.path() + "/link"));  // a symlinked directory is refused
}

}  // namespace
}  // namespace keel::app
