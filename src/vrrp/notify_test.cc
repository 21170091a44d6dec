#include "vrrp/notify.h"

#include <gtest/gtest.h>

namespace keel::vrrp {
namespace {

model::Script script(std::vector<std::string> argv) {
  model::Script s;
  s.argv = std::move(argv);
  return s;
}

std::vector<std::vector<std::string>> argvs(const std::vector<model::Script>& scripts) {
  std::vector<std::vector<std::string>> out;
  for (const auto& s : scripts) out.push_back(s.argv);
  return out;
}

TEST(NotifyTest, SpecificScriptAsConfiguredThenGenericWithFourArguments) {
  model::Notify n;
  n.master = script({"/etc/keel/bypass_ipvs.sh", "del", "198.18.0.100"});
  n.any = script({"/usr/local/bin/notify.sh", "x"});
  EXPECT_EQ(argvs(notifyScripts(n, {false, "VI_1", 100}, State::Master)),
            (std::vector<std::vector<std::string>>{
                {"/etc/keel/bypass_ipvs.sh", "del", "198.18.0.100"},
                {"/usr/local/bin/notify.sh", "x", "INSTANCE", "VI_1", "MASTER", "100"},
            }));
  // No notify_backup: only the generic one; groups report priority 0.
  EXPECT_EQ(argvs(notifyScripts(n, {true, "VG", 100}, State::Backup)),
            (std::vector<std::vector<std::string>>{
                {"/usr/local/bin/notify.sh", "x", "GROUP", "VG", "BACKUP", "0"},
            }));
  // Stopping (entering Init) is keepalived's STOP: notify_stop, then the generic one.
  n.stop = script({"/usr/local/bin/stopped.sh"});
  EXPECT_EQ(argvs(notifyScripts(n, {false, "VI_1", 0}, State::Init)),
            (std::vector<std::vector<std::string>>{
                {"/usr/local/bin/stopped.sh"},
                {"/usr/local/bin/notify.sh", "x", "INSTANCE", "VI_1", "STOP", "0"},
            }));
  EXPECT_TRUE(notifyScripts(model::Notify{}, {false, "VI_1", 100}, State::Fault).empty());
}

TEST(NotifyTest, FifoLinesInKeepalivedsFormat) {
  EXPECT_EQ(fifoLine({false, "VI_1", 100}, State::Master), "INSTANCE \"VI_1\" MASTER 100\n");
  EXPECT_EQ(fifoLine({true, "VG_1", 100}, State::Backup), "GROUP \"VG_1\" BACKUP 0\n");
  EXPECT_EQ(fifoLine({false, "VI_1", 0}, State::Init), "INSTANCE \"VI_1\" STOP 0\n");
}

}  // namespace
}  // namespace keel::vrrp
