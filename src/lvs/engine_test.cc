#include "lvs/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/unique_fd.h"
#include "check/fake_probe_test_util.h"

namespace keel::lvs {
namespace {

using check::testing::FakeProbe;
using check::testing::FakeProbeLog;
using std::chrono::seconds;

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

model::VirtualServerId vsId() {
  return model::VirtualServerId::ofAddress(ip("10.0.0.1"), 80, base::IpProtocol::Tcp);
}

class EngineTest : public check::testing::FakeLoopTest {
 protected:
  void SetUp() override {
    FakeLoopTest::SetUp();
    char tmpl[] = "/tmp/keel-lvs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fifo_ = dir_ + "/fifo";
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
    reader_ = base::UniqueFd(::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(reader_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<const model::Config> config(int reals) {
    auto c = std::make_shared<model::Config>();
    c->global.lvs_notify_fifo.argv = {fifo_};
    model::VirtualServer vs;
    vs.key = model::VsAddress{ip("10.0.0.1"), 80};
    for (int i = 0; i < reals; ++i) {
      model::RealServer rs;
      rs.address = base::IpAddress::v4(0x0a000002 + static_cast<std::uint32_t>(i));
      rs.port = 80;
      model::Checker tcp;
      tcp.kind = model::TcpCheck{};
      tcp.timing.retry = 0;
      tcp.timing.delay_loop = seconds(5);
      tcp.timing.warmup = seconds(0);
      rs.checkers.push_back(tcp);
      vs.real_servers.push_back(rs);
    }
    c->virtual_servers.push_back(vs);
    return c;
  }

  // An engine with fake probes, its tables subscribed to `tables_`.
  std::unique_ptr<Engine> make(std::shared_ptr<const model::Config> c) {
    auto engine = std::make_unique<Engine>(
        *loop_, std::move(c),
        [this](event::Loop&, const model::Checker&,
               const check::ProbeTarget&) -> base::Result<std::unique_ptr<check::Probe>> {
          probes_.push_back(std::make_shared<FakeProbeLog>());
          return std::unique_ptr<check::Probe>(std::make_unique<FakeProbe>(probes_.back()));
        });
    engine->subscribe([this](std::shared_ptr<const lb::ServiceTable> t) { tables_.push_back(t); });
    return engine;
  }

  std::string readFifo() {
    char buf[4096];
    const ssize_t n = ::read(reader_.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

  std::string dir_;
  std::string fifo_;
  base::UniqueFd reader_;
  std::vector<std::shared_ptr<FakeProbeLog>> probes_;
  std::vector<std::shared_ptr<const lb::ServiceTable>> tables_;
};

std::size_t realsIn(const lb::ServiceTable& t) {
  std::size_t n = 0;
  for (const lb::ServicePtr& s : t.services) n += s->reals.size();
  return n;
}

TEST_F(EngineTest, EveryChangedTableReachesTheDataPlaneOnce) {
  auto services = make(config(2));
  ASSERT_EQ(tables_.size(), 1u) << "the table at subscription";
  EXPECT_EQ(realsIn(*tables_[0]), 2u);
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  ASSERT_EQ(tables_.size(), 2u);
  EXPECT_EQ(realsIn(*tables_[1]), 1u);
  probes_[1]->answer(true);  // no change: nothing to apply
  EXPECT_EQ(tables_.size(), 2u);
  services->reload(config(2));  // the same configuration: nothing to apply
  EXPECT_EQ(tables_.size(), 2u);
  services->reload(config(3));
  ASSERT_EQ(tables_.size(), 3u);
  EXPECT_EQ(realsIn(*tables_[2]), 2u);
}

TEST_F(EngineTest, ALaterSubscriberGetsTheCurrentTableThenEveryChange) {
  auto services = make(config(2));
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  std::vector<std::shared_ptr<const lb::ServiceTable>> late;
  services->subscribe([&](std::shared_ptr<const lb::ServiceTable> t) { late.push_back(t); });
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0], services->desired().table());
  EXPECT_EQ(realsIn(*late[0]), 1u);
  clock_.advance(seconds(5));
  probes_[0]->answer(true);
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(realsIn(*late[1]), 2u);
  EXPECT_EQ(tables_.back(), late.back()) << "every subscriber gets the same table";
}

TEST_F(EngineTest, HealthChangesReachTheTableAndTheFifo) {
  auto services = make(config(2));
  const model::RealServerId first{vsId(), ip("10.0.0.2"), 80};
  EXPECT_EQ(services->desired().alive(first), std::optional<bool>(true));
  ASSERT_EQ(probes_.size(), 2u);
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  EXPECT_EQ(services->desired().alive(first), std::optional<bool>(false));
  EXPECT_EQ(readFifo(), "RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n");
  probes_[1]->answer(false);
  EXPECT_EQ(readFifo(),
            "RS [10.0.0.3]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n"
            "VS [10.0.0.1]:tcp:80 DOWN\n");
  EXPECT_EQ(services->desired().quorumUp(vsId()), std::optional<bool>(false));
  clock_.advance(seconds(5));
  probes_[0]->answer(true);
  EXPECT_EQ(readFifo(),
            "RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 UP\n"
            "VS [10.0.0.1]:tcp:80 UP\n");
}

TEST_F(EngineTest, ReloadKeepsHealthOfRealsThatStay) {
  auto services = make(config(1));
  clock_.advance(seconds(1));
  probes_[0]->answer(false);
  readFifo();
  services->reload(config(2));
  const model::RealServerId first{vsId(), ip("10.0.0.2"), 80};
  const model::RealServerId second{vsId(), ip("10.0.0.3"), 80};
  EXPECT_EQ(services->desired().alive(first), std::optional<bool>(false));
  EXPECT_EQ(services->desired().alive(second), std::optional<bool>(true));
  EXPECT_EQ(probes_.size(), 2u) << "the kept checker was not restarted";
  EXPECT_EQ(readFifo(), "VS [10.0.0.1]:tcp:80 UP\n") << "the new real brings quorum back";
}

}  // namespace
}  // namespace keel::lvs
