#include "vrrp/state_machine.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace keel::vrrp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Micros kNoTime{-1};

base::IpAddress ip(const char* text) { return *base::IpAddress::parse(text); }

// "advert(100) add garp lower(90) prio(150) notify(BACKUP->MASTER)": one word per action, so a
// failing expectation shows the whole sequence.
std::string str(const Actions& actions) {
  std::string out;
  for (const Action& action : actions) {
    if (!out.empty()) out += ' ';
    std::visit(
        [&out](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, SendAdvert>) {
            out += "advert(" + std::to_string(a.priority) + ")";
          } else if constexpr (std::is_same_v<T, AddAddresses>) {
            out += "add";
          } else if constexpr (std::is_same_v<T, RemoveAddresses>) {
            out += "remove";
          } else if constexpr (std::is_same_v<T, SendGratuitous>) {
            out += "garp";
          } else if constexpr (std::is_same_v<T, HeardLowerPriority>) {
            out += "lower(" + std::to_string(a.priority) + ")";
          } else if constexpr (std::is_same_v<T, PriorityChanged>) {
            out += "prio(" + std::to_string(a.priority) + ")";
          } else {
            out += std::string("notify(") + stateName(a.from) + "->" + stateName(a.to) + ")";
          }
        },
        action);
  }
  return out;
}

InstanceParams params(int priority, const char* own = "10.0.0.2", int version = 2) {
  InstanceParams p;
  p.name = "VI_1";
  p.version = version;
  p.base_priority = priority;
  p.own_address = ip(own);
  return p;
}

Advert advert(int priority, const char* source, Centis interval = Centis{100}, int version = 2) {
  Advert a;
  a.version = version;
  a.vrid = 51;
  a.priority = static_cast<std::uint8_t>(priority);
  a.max_advert_int = interval;
  a.source = ip(source);
  return a;
}

// Starts `m` at 0 and lets its down timer expire; returns when it became MASTER.
Micros becomeMaster(StateMachine& m) {
  m.start(Micros{0});
  const Micros at = m.nextDeadline().value_or(kNoTime);
  m.onTimer(at);
  return at;
}

// ---- start-up (docs/reference/keepalived.md §2.3) ----

TEST(StartTest, NonOwnerWithStateMasterWaitsTheFullDownInterval) {
  InstanceParams p = params(100);
  p.want_master = true;
  StateMachine m(p);
  EXPECT_EQ(m.state(), State::Init);
  EXPECT_EQ(str(m.start(Micros{0})), "notify(INIT->BACKUP)");
  // 3 x 1 s + (256 - 100) / 256 s = 3.609375 s.
  EXPECT_EQ(m.nextDeadline(), Micros{3'609'375});
  EXPECT_EQ(str(m.onTimer(Micros{3'609'374})), "");  // early: nothing
  EXPECT_EQ(m.state(), State::Backup);
  EXPECT_EQ(str(m.onTimer(Micros{3'609'375})), "advert(100) add garp notify(BACKUP->MASTER)");
  EXPECT_EQ(m.masterAddress(), ip("10.0.0.2"));
  EXPECT_EQ(m.nextDeadline(), Micros{4'609'375});  // next advert one interval later
}

TEST(StartTest, OwnerWithStateMasterGoesMasterAtOnce) {
  InstanceParams p = params(255);
  p.want_master = true;
  StateMachine m(p);
  EXPECT_EQ(str(m.start(seconds(7))), "advert(255) add garp notify(INIT->MASTER)");
  EXPECT_EQ(m.nextDeadline(), seconds(8));
}

TEST(StartTest, OwnerWithStateBackupWaitsLikeEveryoneElse) {
  StateMachine m(params(255));
  EXPECT_EQ(str(m.start(Micros{0})), "notify(INIT->BACKUP)");
  EXPECT_EQ(m.nextDeadline(), Micros{3'003'906});  // 3 s + 1/256 s rounded down
}

TEST(StartTest, AFaultAtStartGoesToFaultThenBackupWhenCleared) {
  StateMachine m(params(100));
  EXPECT_EQ(str(m.setFault(true, Micros{0})), "");  // only recorded before start
  EXPECT_EQ(str(m.start(Micros{0})), "notify(INIT->FAULT)");
  EXPECT_EQ(m.nextDeadline(), std::nullopt);
  EXPECT_EQ(str(m.setFault(false, seconds(10))), "notify(FAULT->BACKUP)");
  EXPECT_EQ(m.nextDeadline(), Micros{13'609'375});
}

TEST(StartTest, StartTwiceIsIgnored) {
  StateMachine m(params(100));
  m.start(Micros{0});
  EXPECT_EQ(str(m.start(seconds(1))), "");
  EXPECT_EQ(m.nextDeadline(), Micros{3'609'375});
}

TEST(StartTest, DownTimerAdvertsIsUsed) {
  InstanceParams p = params(100);
  p.down_timer_adverts = 5;
  StateMachine m(p);
  m.start(Micros{0});
  EXPECT_EQ(m.nextDeadline(), Micros{5'609'375});
}

// ---- MASTER ----

TEST(MasterTest, AdvertisesEveryInterval) {
  StateMachine m(params(100));
  const Micros t = becomeMaster(m);
  for (int i = 1; i <= 3; ++i) {
    const Micros due = t + seconds(i);
    EXPECT_EQ(m.nextDeadline(), due);
    EXPECT_EQ(str(m.onTimer(due - Micros{1})), "");
    EXPECT_EQ(str(m.onTimer(due)), "advert(100)");
  }
}

TEST(MasterTest, PriorityZeroAdvertIsAnsweredAtOnce) {
  StateMachine m(params(100));
  const Micros t = becomeMaster(m);
  EXPECT_EQ(str(m.onAdvert(advert(0, "10.0.0.3"), t + milliseconds(300))), "advert(100)");
  EXPECT_EQ(m.state(), State::Master);
  EXPECT_EQ(m.nextDeadline(), t + milliseconds(1300));  // the advert timer restarted
}

// Tie-break on the source address, numerically (RFC 5798 §6.4.3): the highest wins.
TEST(MasterTest, ElectionAgainstAnotherAdvert) {
  struct Case {
    const char* own;
    int priority;
    const char* source;
    int version;
    const char* actions;
  };
  const Case cases[] = {
      {"10.0.0.2", 101, "10.0.0.1", 2, "remove notify(MASTER->BACKUP)"},
      {"10.0.0.2", 99, "10.0.0.3", 2, "advert(100) lower(99)"},
      {"10.0.0.2", 100, "10.0.0.3", 2, "remove notify(MASTER->BACKUP)"},
      {"10.0.0.2", 100, "10.0.0.1", 2, "advert(100) lower(100)"},
      {"10.0.0.9", 100, "10.0.0.10", 2, "remove notify(MASTER->BACKUP)"},  // 10 > 9
      {"10.0.0.10", 100, "10.0.0.9", 2, "advert(100) lower(100)"},
      {"fe80::2", 100, "fe80::10", 3, "remove notify(MASTER->BACKUP)"},  // 0x10 > 0x2
      {"fe80::10", 100, "fe80::2", 3, "advert(100) lower(100)"},
      {"10.0.0.2", 100, "10.0.0.2", 2, ""},  // our own advert: ignored
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.own << " vs " << c.source << " prio " << c.priority);
    StateMachine m(params(100, c.own, c.version));
    const Micros t = becomeMaster(m);
    const Centis interval{100};
    EXPECT_EQ(str(m.onAdvert(advert(c.priority, c.source, interval, c.version), t + Micros{5})),
              c.actions);
    const bool yielded = m.state() == State::Backup;
    if (yielded) {
      EXPECT_EQ(m.masterAddress(), ip(c.source));
      EXPECT_EQ(m.nextDeadline(), t + Micros{5} + m.downInterval());
    } else {
      EXPECT_EQ(m.state(), State::Master);
    }
  }
}

TEST(MasterTest, LowerPriorityAdvertRestartsTheAdvertTimer) {
  StateMachine m(params(100));
  const Micros t = becomeMaster(m);
  m.onAdvert(advert(50, "10.0.0.3"), t + milliseconds(400));
  EXPECT_EQ(m.nextDeadline(), t + milliseconds(1400));
}

TEST(MasterTest, LowerPrioNoAdvertStaysSilent) {
  InstanceParams p = params(100);
  p.lower_prio_no_advert = true;
  StateMachine m(p);
  const Micros t = becomeMaster(m);
  EXPECT_EQ(str(m.onAdvert(advert(50, "10.0.0.3"), t + Micros{1})), "lower(50)");
  EXPECT_EQ(m.nextDeadline(), t + seconds(1));
}

TEST(MasterTest, HigherPrioSendAdvertSendsOneBeforeYielding) {
  InstanceParams p = params(100);
  p.higher_prio_send_advert = true;
  StateMachine m(p);
  const Micros t = becomeMaster(m);
  EXPECT_EQ(str(m.onAdvert(advert(200, "10.0.0.3"), t + Micros{1})),
            "advert(100) remove notify(MASTER->BACKUP)");
}

// ---- BACKUP ----

TEST(BackupTest, AcceptingAnAdvertRestartsTheDownTimer) {
  StateMachine m(params(100));
  m.start(Micros{0});
  for (const int prio : {150, 100}) {  // higher, then equal: both accepted
    const Micros at = seconds(prio == 150 ? 1 : 2);
    EXPECT_EQ(str(m.onAdvert(advert(prio, "10.0.0.1"), at)), "");
    EXPECT_EQ(m.nextDeadline(), at + Micros{3'609'375});
    EXPECT_EQ(m.masterAddress(), ip("10.0.0.1"));
  }
  EXPECT_EQ(m.state(), State::Backup);
}

// A higher priority backup takes over at its own timer expiry, not when it hears the lower
// priority master (docs/reference/keepalived.md §2.3).
TEST(BackupTest, PreemptsALowerPriorityMasterWhenItsTimerExpires) {
  StateMachine m(params(150));
  m.start(Micros{0});
  const Micros down = Micros{3'414'062};  // 3 s + 106 / 256 s (414062.5 rounded down)
  EXPECT_EQ(m.nextDeadline(), down);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(str(m.onAdvert(advert(100, "10.0.0.1"), seconds(i))), "");
    EXPECT_EQ(m.nextDeadline(), down);  // ignored: the timer keeps running
    EXPECT_EQ(m.state(), State::Backup);
  }
  EXPECT_EQ(m.masterAddress(), std::nullopt);
  EXPECT_EQ(str(m.onTimer(down)), "advert(150) add garp notify(BACKUP->MASTER)");
}

TEST(BackupTest, NopreemptAcceptsALowerPriorityMaster) {
  InstanceParams p = params(150);
  p.nopreempt = true;
  StateMachine m(p);
  m.start(Micros{0});
  for (int i = 1; i <= 10; ++i) {
    EXPECT_EQ(str(m.onAdvert(advert(100, "10.0.0.1"), seconds(i))), "");
    EXPECT_EQ(m.nextDeadline(), seconds(i) + Micros{3'414'062});
    EXPECT_EQ(str(m.onTimer(seconds(i) + milliseconds(999))), "");
  }
  EXPECT_EQ(m.state(), State::Backup);
  EXPECT_EQ(m.masterAddress(), ip("10.0.0.1"));
}

TEST(BackupTest, PriorityZeroShortensTheDownTimerToSkew) {
  StateMachine m(params(100));
  m.start(Micros{0});
  m.onAdvert(advert(200, "10.0.0.1"), seconds(1));
  EXPECT_EQ(str(m.onAdvert(advert(0, "10.0.0.1"), seconds(2))), "");
  const Micros due = seconds(2) + Micros{609'375};  // Skew_Time for 100
  EXPECT_EQ(m.nextDeadline(), due);
  EXPECT_EQ(str(m.onTimer(due)), "advert(100) add garp notify(BACKUP->MASTER)");
}

// preempt_delay starts at start-up; lower priority adverts are accepted while it runs.
TEST(BackupTest, PreemptDelayFromStartUp) {
  InstanceParams p = params(150);
  p.preempt_delay = seconds(10);
  StateMachine m(p);
  m.start(Micros{0});
  for (int i = 1; i <= 9; ++i) m.onAdvert(advert(100, "10.0.0.1"), seconds(i));
  EXPECT_EQ(m.nextDeadline(), seconds(9) + Micros{3'414'062});  // accepted up to 9 s
  m.onAdvert(advert(100, "10.0.0.1"), seconds(10));             // delay over: ignored
  m.onAdvert(advert(100, "10.0.0.1"), seconds(11));
  EXPECT_EQ(m.nextDeadline(), seconds(9) + Micros{3'414'062});
  EXPECT_EQ(str(m.onTimer(Micros{12'414'062})), "advert(150) add garp notify(BACKUP->MASTER)");
}

// A higher priority master clears preempt_delay; the first lower advert starts it again.
TEST(BackupTest, PreemptDelayRestartsWhenTheMasterBecomesLower) {
  InstanceParams p = params(150);
  p.preempt_delay = seconds(2);
  StateMachine m(p);
  m.start(Micros{0});
  for (int i = 1; i <= 5; ++i) m.onAdvert(advert(200, "10.0.0.1"), seconds(i));
  // 6 s: the master dropped to 100; preempt_delay runs until 8 s.
  m.onAdvert(advert(100, "10.0.0.1"), seconds(6));
  m.onAdvert(advert(100, "10.0.0.1"), seconds(7));
  EXPECT_EQ(m.nextDeadline(), seconds(7) + Micros{3'414'062});
  m.onAdvert(advert(100, "10.0.0.1"), seconds(8));
  EXPECT_EQ(m.nextDeadline(), seconds(7) + Micros{3'414'062});
  EXPECT_EQ(str(m.onTimer(Micros{10'414'062})), "advert(150) add garp notify(BACKUP->MASTER)");
}

// RFC 5798 §6.4.2: a v3 backup adopts the master's interval; a master sends its own.
TEST(BackupTest, V3AdoptsTheMasterInterval) {
  StateMachine m(params(100, "10.0.0.2", 3));
  m.start(Micros{0});
  m.onAdvert(advert(200, "10.0.0.1", Centis{50}, 3), seconds(1));
  EXPECT_EQ(m.masterAdverInt(), milliseconds(500));
  // 3 x 0.5 s + 156 x 0.5 s / 256 (304687.5 rounded down).
  const Micros due = seconds(1) + Micros{1'804'687};
  EXPECT_EQ(m.nextDeadline(), due);
  EXPECT_EQ(str(m.onTimer(due)), "advert(100) add garp notify(BACKUP->MASTER)");
  EXPECT_EQ(m.masterAdverInt(), seconds(1));
  EXPECT_EQ(m.nextDeadline(), due + seconds(1));
  // Yielding to a v3 master adopts its interval too.
  m.onAdvert(advert(200, "10.0.0.1", Centis{20}, 3), due + Micros{1});
  EXPECT_EQ(m.masterAdverInt(), milliseconds(200));
}

TEST(BackupTest, V2KeepsItsOwnInterval) {
  StateMachine m(params(100));
  m.start(Micros{0});
  m.onAdvert(advert(200, "10.0.0.1", Centis{300}), seconds(1));
  EXPECT_EQ(m.masterAdverInt(), seconds(1));
  EXPECT_EQ(m.nextDeadline(), seconds(1) + Micros{3'609'375});
}

// ---- effective priority (docs/reference/keepalived.md §2.6) ----

TEST(PriorityTest, TrackerWeightsAreClampedAndOwnersIgnoreThem) {
  struct Case {
    int base;
    int delta;
    int effective;
  };
  const Case cases[] = {
      {100, 50, 150}, {100, 200, 254},  {100, -150, 1}, {1, -5, 1},
      {254, 1, 254},  {255, -100, 255}, {255, 10, 255}, {100, 0, 100},
  };
  for (const Case& c : cases) {
    StateMachine m(params(c.base));
    m.setPriorityDelta(c.delta, Micros{0});
    EXPECT_EQ(m.effectivePriority(), c.effective) << c.base << " + " << c.delta;
  }
}

TEST(PriorityTest, ChangesTheAdvertsAndTheNextDownInterval) {
  StateMachine m(params(100));
  EXPECT_EQ(str(m.setPriorityDelta(56, Micros{0})), "");  // not started: no event
  m.start(Micros{0});
  // 156: 3 s + 100 / 256 s.
  EXPECT_EQ(m.nextDeadline(), Micros{3'390'625});
  EXPECT_EQ(str(m.setPriorityDelta(56, seconds(1))), "");  // unchanged
  EXPECT_EQ(str(m.setPriorityDelta(0, seconds(1))), "prio(100)");
  EXPECT_EQ(m.nextDeadline(), Micros{3'390'625});  // a running timer keeps its deadline
  m.onAdvert(advert(200, "10.0.0.1"), seconds(2));
  EXPECT_EQ(m.nextDeadline(), seconds(2) + Micros{3'609'375});
  m.onTimer(seconds(2) + Micros{3'609'375});
  ASSERT_EQ(m.state(), State::Master);
  m.setPriorityDelta(-20, seconds(6));
  EXPECT_EQ(str(m.onTimer(*m.nextDeadline())), "advert(80)");
}

// ---- FAULT (docs/reference/keepalived.md §2.7) ----

TEST(FaultTest, MasterSendsPriorityZeroAndRemovesAddresses) {
  StateMachine m(params(100));
  const Micros t = becomeMaster(m);
  EXPECT_EQ(str(m.setFault(true, t + seconds(1))), "advert(0) remove notify(MASTER->FAULT)");
  EXPECT_EQ(m.nextDeadline(), std::nullopt);
  EXPECT_EQ(m.masterAddress(), std::nullopt);
  EXPECT_EQ(str(m.onAdvert(advert(50, "10.0.0.1"), t + seconds(2))), "");
  EXPECT_EQ(str(m.onTimer(t + seconds(100))), "");
  EXPECT_EQ(str(m.setFault(true, t + seconds(3))), "");  // no change
  EXPECT_EQ(str(m.setFault(false, seconds(20))), "notify(FAULT->BACKUP)");
  EXPECT_EQ(m.nextDeadline(), seconds(20) + Micros{3'609'375});
}

TEST(FaultTest, BackupOnlyNotifies) {
  StateMachine m(params(100));
  m.start(Micros{0});
  EXPECT_EQ(str(m.setFault(true, seconds(1))), "notify(BACKUP->FAULT)");
  EXPECT_EQ(str(m.setFault(false, seconds(2))), "notify(FAULT->BACKUP)");
  EXPECT_EQ(m.nextDeadline(), seconds(2) + Micros{3'609'375});
}

TEST(FaultTest, OwnerWithStateMasterReturnsToMasterAtOnce) {
  InstanceParams p = params(255);
  p.want_master = true;
  StateMachine m(p);
  m.start(Micros{0});
  EXPECT_EQ(str(m.setFault(true, seconds(1))), "advert(0) remove notify(MASTER->FAULT)");
  EXPECT_EQ(str(m.setFault(false, seconds(2))), "advert(255) add garp notify(FAULT->MASTER)");
}

TEST(FaultTest, V3ForgetsTheAdoptedIntervalInFault) {
  StateMachine m(params(100, "10.0.0.2", 3));
  m.start(Micros{0});
  m.onAdvert(advert(200, "10.0.0.1", Centis{50}, 3), seconds(1));
  m.setFault(true, seconds(2));
  m.setFault(false, seconds(3));
  EXPECT_EQ(m.masterAdverInt(), seconds(1));
  EXPECT_EQ(m.masterAddress(), std::nullopt);
}

// ---- stop ----

TEST(StopTest, FromEachState) {
  StateMachine master(params(100));
  const Micros t = becomeMaster(master);
  EXPECT_EQ(str(master.stop(t + Micros{1})), "advert(0) remove notify(MASTER->INIT)");
  EXPECT_EQ(master.nextDeadline(), std::nullopt);

  StateMachine backup(params(100));
  backup.start(Micros{0});
  EXPECT_EQ(str(backup.stop(seconds(1))), "notify(BACKUP->INIT)");
  EXPECT_EQ(backup.nextDeadline(), std::nullopt);
  EXPECT_EQ(str(backup.stop(seconds(2))), "");  // already stopped
  EXPECT_EQ(str(backup.onAdvert(advert(200, "10.0.0.1"), seconds(3))), "");

  StateMachine fault(params(100));
  fault.setFault(true, Micros{0});
  fault.start(Micros{0});
  EXPECT_EQ(str(fault.stop(seconds(1))), "notify(FAULT->INIT)");

  // A stopped instance can start again.
  EXPECT_EQ(str(backup.start(seconds(10))), "notify(INIT->BACKUP)");
  EXPECT_EQ(backup.nextDeadline(), seconds(10) + Micros{3'609'375});
}

// ---- reload in place (vrrp/reload_plan.h Update) ----

TEST(ReconfigureTest, MasterStaysMasterWithoutPriorityZeroAndTakesTheNewValues) {
  StateMachine m(params(100));
  const Micros t = becomeMaster(m);
  InstanceParams next = params(120);
  next.advert_int = seconds(2);
  EXPECT_EQ(str(m.reconfigure(next)), "prio(120)");
  EXPECT_EQ(m.state(), State::Master);
  EXPECT_EQ(m.effectivePriority(), 120);
  EXPECT_EQ(str(m.onTimer(t + seconds(1))), "advert(120)");
  EXPECT_EQ(m.nextDeadline(), t + seconds(3));
  EXPECT_EQ(str(m.reconfigure(next)), "");  // identical: nothing at all
}

TEST(ReconfigureTest, BackupStaysBackupAndKeepsItsDownTimer) {
  StateMachine m(params(100));
  m.start(Micros{0});
  const auto deadline = m.nextDeadline();
  EXPECT_EQ(str(m.reconfigure(params(90))), "prio(90)");
  EXPECT_EQ(m.state(), State::Backup);
  EXPECT_EQ(m.nextDeadline(), deadline);
}

}  // namespace
}  // namespace keel::vrrp
