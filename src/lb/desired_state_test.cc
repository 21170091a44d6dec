#include "lb/desired_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "model/validate.h"

namespace keel::lb {
namespace {

// A table as lines, one per service and one per real: "TCP 198.18.0.100:80 rr",
// "TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w1".
std::vector<std::string> linesOf(const ServiceTable& table) {
  std::vector<std::string> out;
  for (const ServicePtr& s : table.services) {
    out.push_back(fmt::format("{} {}", s->key.str(), s->scheduler));
    for (const Real& r : s->reals) {
      out.push_back(fmt::format("{} -> {} {} w{}{}", s->key.str(), r.key.str(),
                                forwardingName(r.forwarding), r.weight, r.sorry ? " sorry" : ""));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What changed from `before` to `after`: "- line" for each line gone, then "+ line" for each new.
std::vector<std::string> changes(const ServiceTable& before, const ServiceTable& after) {
  const std::vector<std::string> a = linesOf(before);
  const std::vector<std::string> b = linesOf(after);
  std::vector<std::string> gone;
  std::vector<std::string> added;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(gone));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(added));
  std::vector<std::string> out;
  for (const std::string& line : gone) out.push_back("- " + line);
  for (const std::string& line : added) out.push_back("+ " + line);
  return out;
}

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

model::RealServer real(const char* address, int weight = 1, bool alpha = false) {
  model::RealServer rs;
  rs.address = ip(address);
  rs.port = 80;
  rs.weight = weight;
  model::Checker check;
  check.timing.alpha = alpha;
  rs.checkers.push_back(check);
  return rs;
}

model::VirtualServer server(const char* vip, std::vector<model::RealServer> reals) {
  model::VirtualServer vs;
  vs.key = model::VsAddress{ip(vip), 80};
  vs.scheduler = "rr";
  vs.forwarding = model::Forwarding::Dr;
  vs.persistence_timeout = std::chrono::seconds(50);
  vs.real_servers = std::move(reals);
  return vs;
}

std::shared_ptr<const model::Config> config(std::vector<model::VirtualServer> servers) {
  auto c = std::make_shared<model::Config>();
  c->virtual_servers = std::move(servers);
  return c;
}

model::HealthEvent event(const model::VirtualServerId& vs, const char* rs, bool up,
                         std::optional<int> weight = std::nullopt) {
  return {{vs, ip(rs), 80}, up, weight};
}

const model::VirtualServerId kVs =
    model::VirtualServerId::ofAddress(ip("198.18.0.100"), 80, base::IpProtocol::Tcp);

class DesiredStateTest : public ::testing::Test {
 protected:
  void start(std::shared_ptr<const model::Config> c) {
    state_ = std::make_unique<DesiredState>(std::move(c));
    ops_ = changes(ServiceTable{}, *state_->table());
    last_ = state_->table();
  }
  // What the table gained and lost since the last call.
  std::vector<std::string> changed() {
    ops_ = changes(*last_, *state_->table());
    last_ = state_->table();
    return ops_;
  }
  std::vector<std::string> health(model::HealthEvent e) {
    state_->onHealth(e);
    return changed();
  }
  std::vector<std::string> reload(std::shared_ptr<const model::Config> c) {
    state_->reload(std::move(c));
    return changed();
  }

  std::vector<std::string> ops_;
  std::shared_ptr<const ServiceTable> last_;
  std::unique_ptr<DesiredState> state_;
};

TEST_F(DesiredStateTest, StartAddsEachServiceWithItsLiveReals) {
  start(config({server("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2", 1, true)})}));
  EXPECT_EQ(ops_, (std::vector<std::string>{"+ TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w1",
                                            "+ TCP 198.18.0.100:80 rr"}));
  const Service& s = *state_->table()->services.at(0);
  EXPECT_EQ(s.persistence_timeout, std::chrono::seconds(50));
  EXPECT_EQ(s.reals.at(0).forwarding, Forwarding::Dr);
  EXPECT_EQ(state_->alive({kVs, ip("198.18.1.2"), 80}), false);  // alpha: down until checked
}

TEST_F(DesiredStateTest, HealthAddsAndRemovesOneReal) {
  start(config({server("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")})}));
  EXPECT_EQ(health(event(kVs, "198.18.1.2", false)),
            (std::vector<std::string>{"- TCP 198.18.0.100:80 -> 198.18.1.2:80 Route w1"}));
  EXPECT_EQ(health(event(kVs, "198.18.1.2", true)),
            (std::vector<std::string>{"+ TCP 198.18.0.100:80 -> 198.18.1.2:80 Route w1"}));
  EXPECT_TRUE(health(event(kVs, "198.18.1.2", true)).empty());   // no change, no operation
  EXPECT_TRUE(health(event(kVs, "198.18.9.9", false)).empty());  // unknown real: ignored
}

TEST_F(DesiredStateTest, AHealthEventSharesEveryOtherService) {
  start(config({server("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")}),
                server("198.18.0.101", {real("198.18.1.1")})}));
  auto before = state_->table();
  bool changed = false;
  state_->onHealth(event(kVs, "198.18.1.1", false), &changed);
  EXPECT_TRUE(changed);
  auto after = state_->table();
  ASSERT_EQ(after->services.size(), 2u);
  EXPECT_NE(after->services[0], before->services[0]);  // 198.18.0.100 was rebuilt
  EXPECT_EQ(after->services[1], before->services[1]);  // 198.18.0.101 is the same object
  EXPECT_EQ(after->services[0]->reals.size(), 1u);
}

TEST_F(DesiredStateTest, InhibitOnFailureKeepsTheRealAtWeightZero) {
  auto vs = server("198.18.0.100", {real("198.18.1.1", 3), real("198.18.1.2")});
  vs.real_servers[0].inhibit_on_failure = true;
  start(config({vs}));
  EXPECT_EQ(health(event(kVs, "198.18.1.1", false)),
            (std::vector<std::string>{"- TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w3",
                                      "+ TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w0"}));
  EXPECT_EQ(health(event(kVs, "198.18.1.1", true)),
            (std::vector<std::string>{"- TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w0",
                                      "+ TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w3"}));
}

TEST_F(DesiredStateTest, DynamicWeightChangesOnlyTheWeight) {
  start(config({server("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")})}));
  EXPECT_EQ(health(event(kVs, "198.18.1.1", true, 8)),
            (std::vector<std::string>{"- TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w1",
                                      "+ TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w8"}));
}

TEST_F(DesiredStateTest, QuorumLossSwapsInTheSorryServerAndBack) {
  auto vs = server("198.18.0.100", {real("198.18.1.1", 2), real("198.18.1.2", 2)});
  vs.quorum = 3;
  vs.hysteresis = 1;
  vs.sorry_server = model::SorryServer{ip("198.18.2.1"), 80, false, std::nullopt};
  start(config({vs}));
  EXPECT_EQ(state_->quorumUp(kVs), true);  // 4 >= 3
  // 2 < 3 - 1 is false: quorum holds by hysteresis, only the real goes.
  EXPECT_EQ(health(event(kVs, "198.18.1.1", false)),
            (std::vector<std::string>{"- TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w2"}));
  auto changes = state_->onHealth(event(kVs, "198.18.1.2", false));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].up);
  EXPECT_EQ(changes[0].weight_sum, 0);
  EXPECT_EQ(changed(), (std::vector<std::string>{
                           "- TCP 198.18.0.100:80 -> 198.18.1.2:80 Route w2",
                           "+ TCP 198.18.0.100:80 -> 198.18.2.1:80 Route w1 sorry",
                       }));
  // 2 < 3 + 1: still down, no change while the sorry server serves.
  EXPECT_TRUE(health(event(kVs, "198.18.1.1", true)).empty());
  changes = state_->onHealth(event(kVs, "198.18.1.2", true));  // 4 >= 4: gained
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].up);
  EXPECT_EQ(changed(), (std::vector<std::string>{
                           "- TCP 198.18.0.100:80 -> 198.18.2.1:80 Route w1 sorry",
                           "+ TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w2",
                           "+ TCP 198.18.0.100:80 -> 198.18.1.2:80 Route w2",
                       }));
}

TEST_F(DesiredStateTest, ReloadKeepsHealthAndTouchesOnlyWhatChanged) {
  start(config({server("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")})}));
  health(event(kVs, "198.18.1.2", false));
  // Identical config: nothing to do, and the dead real stays dead.
  EXPECT_TRUE(
      reload(config({server("198.18.0.100", {real("198.18.1.1"), real("198.18.1.2")})})).empty());
  EXPECT_EQ(state_->alive({kVs, ip("198.18.1.2"), 80}), false);
  // One real added, one weight changed, one service added.
  EXPECT_EQ(reload(config({server("198.18.0.100",
                                  {real("198.18.1.1", 4), real("198.18.1.2"), real("198.18.1.3")}),
                           server("198.18.0.101", {real("198.18.1.1")})})),
            (std::vector<std::string>{
                "- TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w1",
                "+ TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w4",
                "+ TCP 198.18.0.100:80 -> 198.18.1.3:80 Route w1",
                "+ TCP 198.18.0.101:80 -> 198.18.1.1:80 Route w1",
                "+ TCP 198.18.0.101:80 rr",
            }));
  // A service removed.
  EXPECT_EQ(reload(config({server("198.18.0.101", {real("198.18.1.1")})})),
            (std::vector<std::string>{"- TCP 198.18.0.100:80 -> 198.18.1.1:80 Route w4",
                                      "- TCP 198.18.0.100:80 -> 198.18.1.3:80 Route w1",
                                      "- TCP 198.18.0.100:80 rr"}));
}

TEST(ServiceKeysTest, GroupsExpandToEveryAddressAndMark) {
  model::Config c;
  c.virtual_server_groups.push_back(
      {"web",
       {{ip("198.18.0.10"), ip("198.18.0.12"), 443, std::nullopt},
        {ip("2001:db8::fffe"), ip("2001:db8::ffff"), 80, std::nullopt},
        {{}, {}, 0, 9}}});
  model::VirtualServer vs;
  vs.key = model::VsGroup{"web"};
  std::vector<std::string> got;
  for (const auto& k : serviceKeys(c, vs)) got.push_back(k.str());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "FWM 9 IPv4",  // 0.0.0.0 sorts first
                     "TCP 198.18.0.10:443",
                     "TCP 198.18.0.11:443",
                     "TCP 198.18.0.12:443",
                     "TCP [2001:db8::fffe]:80",
                     "TCP [2001:db8::ffff]:80",
                 }));
}

}  // namespace
}  // namespace keel::lb
