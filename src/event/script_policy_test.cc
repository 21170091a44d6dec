#include "event/script_policy.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
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

}  // namespace
}  // namespace keel::event
