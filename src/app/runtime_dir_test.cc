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
  RuntimeEnvironment bare{false, std::nullopt, std::nullopt, 1000, std::nullopt};
  EXPECT_EQ(runtimeDir({"/srv/k", std::nullopt}, bare).value_or(""), "/srv/k");
  EXPECT_FALSE(usesTemporaryBase({"/srv/k", std::nullopt}, bare));
  EXPECT_FALSE(usesTemporaryBase({}, user));
  EXPECT_FALSE(usesTemporaryBase({}, root));
}

// Not root and no XDG_RUNTIME_DIR: a per-user directory in the temporary directory, as tmux's.
TEST(RuntimeDirTest, WithoutXdgANonRootUserGetsAPerUserTemporaryDirectory) {
  RuntimeEnvironment bare{false, std::nullopt, std::nullopt, 1000, std::nullopt};
  EXPECT_EQ(runtimeDir({}, bare).value_or(""), "/tmp/keel-1000");
  EXPECT_TRUE(usesTemporaryBase({}, bare));
  bare.tmpdir = "/var/tmp";
  EXPECT_EQ(runtimeDir({}, bare).value_or(""), "/var/tmp/keel-1000");
  EXPECT_EQ(runtimeDir({std::nullopt, "lb2"}, bare).value_or(""), "/var/tmp/keel-1000/lb2");
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

TEST(RuntimeDirTest, AFreshDirectoryIs0700AndOneThatExistsIsChecked) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string run = dir.path() + "/keel-" + std::to_string(::geteuid());
  ASSERT_TRUE(makeRuntimeDir(run));
  struct stat st {};
  ASSERT_EQ(::stat(run.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  EXPECT_EQ(st.st_uid, ::geteuid());
  ASSERT_TRUE(makeRuntimeDir(run));  // ours, 0700: used again
  ASSERT_EQ(::chmod(run.c_str(), 0770), 0);
  auto group = makeRuntimeDir(run);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code, base::ErrorCode::State);
  EXPECT_EQ(group.error().message, "runtime directory " + run +
                                       " is writable by others (mode 0770): refusing it (chmod "
                                       "0700 " +
                                       run + ")");
  ASSERT_EQ(::chmod(run.c_str(), 0755), 0);  // readable by others, writable by keeld only
  EXPECT_TRUE(makeRuntimeDir(run));
}

TEST(RuntimeDirTest, ADirectoryOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory away";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string run = dir.path() + "/run";
  ASSERT_EQ(::mkdir(run.c_str(), 0700), 0);
  ASSERT_EQ(::chown(run.c_str(), 65534, 65534), 0);  // pre-created by someone else
  auto r = makeRuntimeDir(run);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, base::ErrorCode::State);
  EXPECT_EQ(r.error().message,
            "runtime directory " + run +
                " belongs to uid 65534, not to keeld's uid 0: refusing it (remove it, or give "
                "--runtime-dir a directory of keeld's user, mode 0700)");
  EXPECT_FALSE(writeRuntimeFile(run, "keel.data", "x"));  // nothing is written there either
  EXPECT_NE(::access((run + "/keel.data").c_str(), F_OK), 0);
}

// A directory above that others may write to lets them swap the runtime directory for their own,
// unless it is sticky (as /tmp): then nobody may rename what is not theirs.
TEST(RuntimeDirTest, ADirectoryAboveThatOthersMayChangeIsRefusedUnlessSticky) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string open = dir.path() + "/open";
  ASSERT_EQ(::mkdir(open.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  auto r = makeRuntimeDir(open + "/run");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, base::ErrorCode::State);
  EXPECT_NE(r.error().message.find(open + ", above the runtime directory"), std::string::npos)
      << r.error().message;
  ASSERT_EQ(::chmod(open.c_str(), 01777), 0);
  EXPECT_TRUE(makeRuntimeDir(open + "/run"));
  // Symlinks are resolved first: a link in a safe place to a directory under `open` is judged
  // by where it leads.
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  ASSERT_EQ(::symlink(open.c_str(), (dir.path() + "/link").c_str()), 0);
  EXPECT_FALSE(makeRuntimeDir(dir.path() + "/link/run"));
}

}  // namespace
}  // namespace keel::app
