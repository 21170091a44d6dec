#include "event/script_policy.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace keel::event {
namespace {

bool userExists(const char* name) { return ::getpwnam(name) != nullptr; }  // NOLINT: test only

TEST(ScriptPolicyTest, RootRunsDirectlyAndOthersThroughSetpriv) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (userExists("keepalived_script")) GTEST_SKIP() << "scripts default to keepalived_script here";
  auto direct = prepareScript({{"true", "x"}, "", ""}, {});
  ASSERT_TRUE(direct) << direct.error().str();
  ASSERT_EQ(direct->size(), 2u);
  EXPECT_EQ((*direct)[1], "x");
  EXPECT_EQ((*direct)[0].substr((*direct)[0].rfind('/')), "/true");  // found in PATH

  const passwd* nobody = ::getpwnam("nobody");  // NOLINT: test only
  ASSERT_NE(nobody, nullptr);
  auto as_nobody = prepareScript({{"/bin/true"}, "", ""}, {false, "nobody", ""});
  ASSERT_TRUE(as_nobody);
  EXPECT_EQ(*as_nobody,
            (std::vector<std::string>{"setpriv", "--reuid=" + std::to_string(nobody->pw_uid),
                                      "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups",
                                      "--", "/bin/true"}));
}

TEST(ScriptPolicyTest, UnknownUsersAndMissingProgramsAreErrors) {
  auto user = prepareScript({{"/bin/true"}, "keel-no-such-user", ""}, {});
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().message, "unknown user keel-no-such-user");
  auto program = prepareScript({{"/keel-missing/x"}, "", ""}, {});
  ASSERT_FALSE(program);
  EXPECT_EQ(program.error().code, base::ErrorCode::NotFound);
}

TEST(ScriptPolicyTest, SecurityRefusesRootScriptsUnderWorldWritableDirectories) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  // A world-writable directory of our own: /tmp's mode (1777, or not) is the host's business.
  char dir_template[] = "/tmp/keel-script-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  ASSERT_EQ(::chmod(dir_template, 0777), 0);
  const std::string script = std::string(dir_template) + "/check.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  EXPECT_FALSE(securePath(script));
  EXPECT_TRUE(securePath("/bin/sh"));
  auto refused = prepareScript({{script}, "root", ""}, {true, "", ""});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "Unsafe permissions found for script '" + script + "' - disabling");
  EXPECT_TRUE(prepareScript({{script}, "root", ""}, {false, "", ""}));  // security off: allowed
  EXPECT_TRUE(prepareScript({{"/bin/sh"}, "root", ""}, {true, "", ""}));
  ASSERT_EQ(::chmod(script.c_str(), 0644), 0);  // there, but not executable
  EXPECT_FALSE(findProgram(script));
  EXPECT_EQ(findProgram(script, false).value_or(""), script);
  std::remove(script.c_str());
  ::rmdir(dir_template);
}

// A directory of root's (under /run, which only root may change) for the symlink test, removed
// with everything in it.
class RootDir {
 public:
  RootDir() {
    char t[] = "/run/keel-script-XXXXXX";
    path_ = ::mkdtemp(t) != nullptr ? t : "";
  }
  ~RootDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());  // NOLINT: test only
  }
  RootDir(const RootDir&) = delete;
  RootDir& operator=(const RootDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void writeScript(const std::string& path, const char* text) {
  std::ofstream(path) << text;
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
}

// /etc/keel/scripts -> /srv/open/checks, where /srv/open is writable by anyone: every element of
// the path as written is root's, but whoever can write to /srv/open can swap `checks` for a
// directory of their own. The real path is what counts, and what runs.
TEST(ScriptPolicyTest, SecurityJudgesTheRealPathOfASymlinkedScriptDirectory) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  RootDir root;
  ASSERT_FALSE(root.path().empty());
  const std::string safe = root.path() + "/etc";
  const std::string open = root.path() + "/open";
  ASSERT_EQ(::mkdir(safe.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(open.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((open + "/checks").c_str(), 0755), 0);
  writeScript(open + "/checks/check.sh", "#!/bin/sh\nexit 0\n");
  ASSERT_EQ(::symlink((open + "/checks").c_str(), (safe + "/scripts").c_str()), 0);
  const std::string script = safe + "/scripts/check.sh";
  const ScriptPolicy secure{true, "", ""};

  // While `open` is root's alone the link is fine, and the resolved path is what runs.
  auto ok = prepareScript({{script, "arg"}, "root", ""}, secure);
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(*ok, (std::vector<std::string>{open + "/checks/check.sh", "arg"}));

  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);  // now anyone may swap `checks`
  EXPECT_FALSE(securePath(script));
  auto refused = prepareScript({{script}, "root", ""}, secure);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "Unsafe permissions found for script '" + script + "' - disabling");

  // The swap itself: `checks` replaced by a directory of nobody's with another check.sh.
  ASSERT_EQ(::rename((open + "/checks").c_str(), (open + "/old").c_str()), 0);
  ASSERT_EQ(::mkdir((open + "/checks").c_str(), 0755), 0);
  writeScript(open + "/checks/check.sh", "#!/bin/sh\nexit 0\n");
  ASSERT_EQ(::chown((open + "/checks").c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod(open.c_str(), 0755), 0);  // even once `open` is closed again
  EXPECT_FALSE(prepareScript({{script}, "root", ""}, secure));
}

}  // namespace
}  // namespace keel::event
