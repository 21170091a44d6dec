#include "app/control.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "app/control_client.h"
#include "lvs/engine.h"

namespace keel::app {
namespace {

using nlohmann::ordered_json;

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-control-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/run";
    loop_ = std::move(*event::Loop::create(clock_));
  }
  void TearDown() override {
    ops_.reset();
    services_.reset();
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
  }

  void start(ControlSources sources) {
    auto ops = startOperations(*loop_, dir_, std::move(sources));
    ASSERT_TRUE(ops) << ops.error().str();
    ops_ = std::move(*ops);
  }

  // Sends `request` from another thread (keelctl's blocking client) while this one runs the loop.
  ordered_json ask(const ordered_json& request) {
    auto answer = std::async(std::launch::async, [this, request] {
      return controlRequest(dir_ + "/keel.sock", request, std::chrono::seconds(5));
    });
    while (answer.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      EXPECT_TRUE(loop_->runOnce(std::chrono::milliseconds(5)));
    }
    auto r = answer.get();
    EXPECT_TRUE(r) << r.error().str();
    return r ? *r : ordered_json();
  }

  std::shared_ptr<const model::Config> oneService() {
    auto c = std::make_shared<model::Config>();
    model::VirtualServer vs;
    vs.key = model::VsAddress{*base::IpAddress::parse("10.0.0.1"), 80};
    vs.scheduler = "rr";
    model::RealServer rs;
    rs.address = *base::IpAddress::parse("10.0.0.2");
    rs.port = 80;
    vs.real_servers.push_back(rs);
    c->virtual_servers.push_back(vs);
    return c;
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  std::string dir_;
  std::unique_ptr<lvs::Engine> services_;
  std::unique_ptr<Operations> ops_;
};

TEST_F(ControlTest, SocketIsOwnerOnlyAndRemovedOnStop) {
  start({});
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/keel.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  ops_.reset();
  EXPECT_NE(::stat((dir_ + "/keel.sock").c_str(), &st), 0);
  EXPECT_NE(::stat(dir_.c_str(), &st), 0);  // made by startOperations, so removed with it
}

TEST_F(ControlTest, ListsAnEmptyTableWithoutEngines) {
  start({});
  const auto r = ask({{"cmd", "list"}});
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["dataplane"], "none");
  EXPECT_EQ(r["text"],
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
  EXPECT_EQ(ask({{"cmd", "connections"}})["error"], "no data plane is running");
}

TEST_F(ControlTest, BadRequestsGetAReasonAndTheConnectionServesOn) {
  start({});
  EXPECT_EQ(ask({{"cmd", "nope"}}),
            (ordered_json{{"ok", false}, {"error", "unknown command \"nope\""}}));
  EXPECT_EQ(ask({{"cmd", "rm -rf"}})["error"], "bad command name");
  EXPECT_EQ(ask({{"cmd", "whereis"}})["error"], "whereis needs \"service\" and \"client\"");
  EXPECT_EQ(ops_->controlCounters().requests, 3U);
}

// The answer to `reload` comes when the reload is done (here, a loop iteration later), with the
// errors of a file that cannot be used.
TEST_F(ControlTest, ReloadAnswersWithTheOutcomeWhenItIsDone) {
  bool fail = true;
  ControlSources s;
  s.reload = [&](ConfigLoader::Done done) {
    loop_->post([&fail, done] {
      LoadResult r;
      if (fail) {
        r.error = "Configuration k.conf has 1 error(s)";
        conf::Diagnostic& d = r.diagnostics.emplace_back();
        d.where = {"k.conf", 5, 12};
        d.message = "invalid priority";
      } else {
        r.config = std::make_shared<const model::Config>();
      }
      done(r);
    });
  };
  start(std::move(s));
  EXPECT_EQ(ask({{"cmd", "reload"}})["error"],
            "reload failed: Configuration k.conf has 1 error(s); the running configuration stays\n"
            "k.conf:5:12: error: invalid priority\n");
  fail = false;
  EXPECT_EQ(ask({{"cmd", "reload"}})["text"], "reloaded\n");
}

TEST_F(ControlTest, ReloadCheckAnswersWithThePlanAndAppliesNothing) {
  std::vector<std::string> asked;
  ControlSources s;
  s.check = [&](std::string file, ConfigLoader::Done done) -> base::Status {
    asked.push_back(file);
    if (file == "/busy") return base::makeError(base::ErrorCode::State, "4 reads already wait");
    model::Config after;
    after.vrrp_instances.push_back({});
    after.vrrp_instances.back().name = "VI_1";
    LoadResult r;
    r.config = std::make_shared<const model::Config>(after);
    r.plan = planOf({}, after);
    loop_->post([done, r] { done(r); });
    return base::ok();
  };
  start(std::move(s));
  auto answer = ask({{"cmd", "reload"}, {"check", "/etc/keel/new.conf"}});
  EXPECT_EQ(answer["text"], "vrrp_instance VI_1: add\n");
  EXPECT_EQ(answer["plan"]["vrrp_instances"][0]["action"], "add");
  EXPECT_EQ(ask({{"cmd", "reload"}, {"check", "/busy"}})["error"], "4 reads already wait");
  EXPECT_EQ(ask({{"cmd", "reload"}, {"check", "relative.conf"}})["error"],
            "reload --check needs an absolute file name");
  EXPECT_EQ(asked, (std::vector<std::string>{"/etc/keel/new.conf", "/busy"}));
}

TEST_F(ControlTest, WhereisAndListReadTheRunningServices) {
  services_ = std::make_unique<lvs::Engine>(*loop_, oneService(), check::ProbeFactory{});
  ControlSources s;
  s.view = [this] { return collectView(oneService(), nullptr, services_.get()); };
  start(std::move(s));
  const auto list = ask({{"cmd", "list"}});
  EXPECT_NE(
      list["text"].get<std::string>().find(
          "TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80                  Masq    1      0          0"),
      std::string::npos)
      << list["text"];
  const auto where = ask({{"cmd", "whereis"}, {"service", "10.0.0.1:80"}, {"client", "10.9.9.9"}});
  EXPECT_EQ(where["real"], "10.0.0.2:80");
  EXPECT_EQ(ask({{"cmd", "whereis"}, {"service", "10.0.0.1:81"}, {"client", "10.9.9.9"}})["ok"],
            false);
  EXPECT_EQ(ask({{"cmd", "whereis"}, {"service", "$(id)"}, {"client", "x"}})["ok"], false);
  const auto dump = ask({{"cmd", "dump"}});
  EXPECT_EQ(dump["services"].size(), 1U);
  EXPECT_TRUE(dump["vrrp"].is_array());
}

TEST_F(ControlTest, NoKeeldIsNotFound) {
  auto r = controlRequest(dir_ + "/keel.sock", {{"cmd", "list"}}, std::chrono::seconds(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, base::ErrorCode::NotFound);
  EXPECT_NE(r.error().message.find("keeld is not running"), std::string::npos);
}

}  // namespace
}  // namespace keel::app
