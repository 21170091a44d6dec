#include "check/misc_probe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "check/probe_test_util.h"

namespace keel::check {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(JudgeMiscExit, ExitZeroIsSuccessWithWeightUnchanged) {
  for (bool dynamic : {false, true}) {
    ProbeResult r = judgeMiscExit({.exited = true, .code = 0}, dynamic);
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.weight);
    EXPECT_EQ(r.reason, "");
  }
}

TEST(JudgeMiscExit, NonZeroFailsWithoutDynamic) {
  for (int code : {1, 2, 5, 255}) {
    ProbeResult r = judgeMiscExit({.exited = true, .code = code}, false);
    EXPECT_FALSE(r.ok) << code;
    EXPECT_FALSE(r.weight);
    EXPECT_EQ(r.reason, "failed (exited with status " + std::to_string(code) + ")");
  }
}

TEST(JudgeMiscExit, DynamicMapsStatusToWeight) {
  EXPECT_FALSE(judgeMiscExit({.exited = true, .code = 1}, true).ok);
  ProbeResult two = judgeMiscExit({.exited = true, .code = 2}, true);
  EXPECT_TRUE(two.ok);
  EXPECT_EQ(two.weight, 0);
  ProbeResult top = judgeMiscExit({.exited = true, .code = 255}, true);
  EXPECT_TRUE(top.ok);
  EXPECT_EQ(top.weight, 253);
}

TEST(JudgeMiscExit, SignalsAndTimeoutsFail) {
  ProbeResult sig = judgeMiscExit({.exited = false, .signal = SIGSEGV}, true);
  EXPECT_FALSE(sig.ok);
  EXPECT_EQ(sig.reason, "failed (due to signal 11)");
  ProbeResult late = judgeMiscExit({.exited = true, .code = 0, .timed_out = true}, true);
  EXPECT_FALSE(late.ok);
  EXPECT_EQ(late.reason, "timed out");
}

// Scripts in a private directory that other users may enter (for the `user` test).
class MiscProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-misc-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string script(const std::string& name, const std::string& body) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  model::MiscCheck check(const std::string& path, bool dynamic = false) {
    model::MiscCheck c;
    c.path.argv = {path};
    c.dynamic = dynamic;
    return c;
  }
  std::optional<ProbeResult> run(model::MiscCheck c, base::Duration budget = seconds(10)) {
    MiscProbe probe(t_.loop(), std::move(c), policy_);
    return t_.run(probe, budget);
  }
  static bool gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field;
    std::string comm;
    std::string state;
    if (!(stat >> pid_field >> comm >> state)) return true;
    return state == "Z";
  }
  pid_t readPid(const std::string& file) {
    pid_t pid = 0;
    std::ifstream(dir_ / file) >> pid;
    return pid;
  }

  std::filesystem::path dir_;
  event::ScriptPolicy policy_;
  testing::ProbeLoop t_;
};

TEST_F(MiscProbeTest, ExitStatusDecides) {
  auto ok = run(check(script("ok.sh", "exit 0")));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok);
  EXPECT_FALSE(ok->weight);
  auto bad = run(check(script("bad.sh", "exit 1")));
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->ok);
  EXPECT_EQ(bad->reason, "failed (exited with status 1)");
}

TEST_F(MiscProbeTest, DynamicExitCodesSetTheWeight) {
  auto five = run(check(script("five.sh", "exit 5"), true));
  ASSERT_TRUE(five);
  EXPECT_TRUE(five->ok);
  EXPECT_EQ(five->weight, 3);
  auto one = run(check(script("one.sh", "exit 1"), true));
  ASSERT_TRUE(one);
  EXPECT_FALSE(one->ok);
  auto zero = run(check(script("zero.sh", "exit 0"), true));
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->ok);
  EXPECT_FALSE(zero->weight);
  auto five_static = run(check(script("five2.sh", "exit 5"), false));
  ASSERT_TRUE(five_static);
  EXPECT_FALSE(five_static->ok);
}

TEST_F(MiscProbeTest, ArgumentsReachTheScript) {
  model::MiscCheck c = check(script("args.sh", "[ \"$1\" = alpha ] && [ \"$2\" = 'b c' ]"));
  c.path.argv.insert(c.path.argv.end(), {"alpha", "b c"});
  auto r = run(c);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
}

TEST_F(MiscProbeTest, RunsAsTheConfiguredUser) {
  model::MiscCheck c = check(script("uid.sh", "[ \"$(id -u)\" = \"$1\" ]"));
  auto nobody = event::lookupUser("nobody");
  if (!nobody || ::geteuid() != 0) GTEST_SKIP() << "needs root and a 'nobody' user";
  c.path.argv.push_back(std::to_string(nobody->uid));
  c.path.user = "nobody";
  auto r = run(c);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << r->reason;
  c.path.user = "";  // root: the uid no longer matches
  auto root = run(c);
  ASSERT_TRUE(root);
  EXPECT_FALSE(root->ok);
}

TEST_F(MiscProbeTest, HangingScriptFailsAtTheDeadlineAndIsKilled) {
  const std::string path =
      script("hang.sh", "echo $$ > " + (dir_ / "pid").string() + "\nsleep 1000 &\necho $! > " +
                            (dir_ / "bg").string() + "\nwait");
  const auto budget = milliseconds(500);
  auto r = run(check(path), budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "timed out");
  EXPECT_GE(t_.elapsed, budget);
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
  const pid_t pid = readPid("pid");
  const pid_t bg = readPid("bg");
  ASSERT_GT(pid, 0);
  ASSERT_GT(bg, 0);
  // SIGTERM went to the whole group at the deadline; SIGKILL follows after the grace.
  for (int i = 0; i < 100 && !(gone(pid) && gone(bg)); ++i) t_.spin(milliseconds(50));
  EXPECT_TRUE(gone(pid));
  EXPECT_TRUE(gone(bg));
}

TEST_F(MiscProbeTest, ScriptIgnoringSigtermStillFailsInTime) {
  const std::string path =
      script("stubborn.sh", "trap '' TERM\necho $$ > " + (dir_ / "pid").string() +
                                "\nwhile :; do sleep 0.05; done");
  const auto budget = milliseconds(400);
  {
    MiscProbe probe(t_.loop(), check(path), policy_);
    auto r = t_.run(probe, budget);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok);
    EXPECT_LE(t_.elapsed, budget + testing::kSlack);
  }  // destroying the probe kills what is left of the group
  const pid_t pid = readPid("pid");
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 40 && !gone(pid); ++i) t_.spin(milliseconds(50));
  EXPECT_TRUE(gone(pid));
}

TEST_F(MiscProbeTest, FloodingOutputFailsInTime) {
  const auto budget = milliseconds(500);
  auto r = run(check(script("flood.sh", "exec yes")), budget);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->reason, "timed out");
  EXPECT_LE(t_.elapsed, budget + testing::kSlack);
}

TEST_F(MiscProbeTest, MissingProgramFailsWithAReason) {
  auto r = run(check((dir_ / "absent.sh").string()));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->reason, "");
}

TEST_F(MiscProbeTest, UnknownUserFailsWithAReason) {
  model::MiscCheck c = check(script("u.sh", "exit 0"));
  c.path.user = "keel-no-such-user";
  auto r = run(c);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->reason.find("keel-no-such-user"), std::string::npos) << r->reason;
}

TEST_F(MiscProbeTest, CancelStopsTheScriptWithoutReporting) {
  const std::string path = script("c.sh", "echo $$ > " + (dir_ / "pid").string() + "\nsleep 1000");
  MiscProbe probe(t_.loop(), check(path), policy_);
  bool reported = false;
  probe.start(t_.clock().now() + seconds(30), [&](ProbeResult) { reported = true; });
  for (int i = 0; i < 100 && readPid("pid") == 0; ++i) t_.spin(milliseconds(20));
  const pid_t pid = readPid("pid");
  ASSERT_GT(pid, 0);
  probe.cancel();
  t_.spin(milliseconds(200));
  EXPECT_FALSE(reported);
  EXPECT_TRUE(gone(pid));
}

}  // namespace
}  // namespace keel::check
