#include "vrrp/state_machine.h"

#include <algorithm>
#include <utility>

namespace keel::vrrp {
namespace {

using std::chrono::seconds;

constexpr Micros kCentisecond{10'000};
constexpr Micros kMaxPreemptDelay = seconds(1000);
constexpr int kMaxV3Centis = 4095;  // 12 bits on the wire (RFC 5798 §5.2.7)
constexpr int kMaxV2Seconds = 255;  // 8 bits on the wire (RFC 3768 §5.3.7)

// Rounds to the nearest multiple of `unit` (halves up), then clamps to [1, max_units] units.
Micros roundInterval(Micros value, Micros unit, int max_units) {
  std::int64_t units = (value.count() + unit.count() / 2) / unit.count();
  units = std::clamp<std::int64_t>(units, 1, max_units);
  return unit * units;
}

int effective(int base, int delta) {
  if (base >= kOwnerPriority) return kOwnerPriority;  // an owner ignores weights (§2.6)
  return std::clamp(base + delta, 1, kOwnerPriority - 1);
}

bool hasIpv6(const model::VrrpInstance& instance) {
  return std::any_of(instance.virtual_ipaddress.begin(), instance.virtual_ipaddress.end(),
                     [](const model::VirtualIp& vip) { return vip.address.address().isV6(); });
}

}  // namespace

const char* stateName(State s) {
  switch (s) {
    case State::Init:
      return "INIT";
    case State::Backup:
      return "BACKUP";
    case State::Master:
      return "MASTER";
    case State::Fault:
      return "FAULT";
  }
  return "?";
}

InstanceParams InstanceParams::from(const model::VrrpInstance& instance,
                                    const model::GlobalDefs& globals,
                                    const base::IpAddress& primary) {
  InstanceParams p;
  p.name = instance.name;
  p.own_address = instance.unicast_src_ip.value_or(primary);
  p.version = instance.version != 0 ? instance.version : globals.vrrp_version;
  if (hasIpv6(instance) || p.own_address.isV6()) p.version = 3;
  p.base_priority = std::clamp(instance.priority, 1, kOwnerPriority);
  p.advert_int = p.version == 2 ? roundInterval(instance.advert_int, seconds(1), kMaxV2Seconds)
                                : roundInterval(instance.advert_int, kCentisecond, kMaxV3Centis);
  p.want_master = instance.state == model::InitialState::Master;
  const bool strict = instance.strict_mode.value_or(globals.vrrp_strict);
  p.nopreempt = instance.nopreempt && !p.want_master && p.base_priority != kOwnerPriority;
  if (!p.want_master && !p.nopreempt && !strict) {
    p.preempt_delay = std::clamp(instance.preempt_delay, Micros{0}, kMaxPreemptDelay);
  }
  const int adverts = instance.down_timer_adverts.value_or(globals.vrrp_down_timer_adverts);
  p.down_timer_adverts = strict ? 3 : std::clamp(adverts, 1, 100);
  p.accept = instance.accept;
  // vrrp_strict "cannot clear lower_prio_no_advert" and "cannot set higher_prio_send_advert".
  p.lower_prio_no_advert =
      strict || instance.lower_prio_no_advert.value_or(globals.vrrp_lower_prio_no_advert);
  p.higher_prio_send_advert =
      !strict && instance.higher_prio_send_advert.value_or(globals.vrrp_higher_prio_send_advert);
  return p;
}

Micros skewTime(int version, int priority, Micros master_adver_int) {
  const std::int64_t weight = 256 - priority;
  const Micros base = version == 2 ? Micros{seconds(1)} : master_adver_int;
  return Micros{weight * base.count() / 256};
}

Micros masterDownInterval(int version, int priority, Micros master_adver_int, int adverts) {
  return adverts * master_adver_int + skewTime(version, priority, master_adver_int);
}

StateMachine::StateMachine(InstanceParams params)
    : params_(std::move(params)),
      priority_(effective(params_.base_priority, 0)),
      master_adver_int_(params_.advert_int) {}

Micros StateMachine::skew() const {
  return skewTime(params_.version, priority_, master_adver_int_);
}

Micros StateMachine::downInterval() const {
  return masterDownInterval(params_.version, priority_, master_adver_int_,
                            params_.down_timer_adverts);
}

std::optional<base::IpAddress> StateMachine::masterAddress() const {
  if (state_ == State::Master) return params_.own_address;
  if (state_ == State::Backup) return master_;
  return std::nullopt;
}

std::optional<Micros> StateMachine::nextDeadline() const {
  if (state_ == State::Master) return advert_deadline_;
  if (state_ == State::Backup) return down_deadline_;
  return std::nullopt;
}

bool StateMachine::wantsMaster() const {
  return state_ == State::Master || (state_ == State::Backup && wants_master_);
}

bool StateMachine::isOwnerWantingMaster() const {
  return params_.base_priority == kOwnerPriority && params_.want_master;
}

bool StateMachine::preemptDelayRunning(Micros now) const {
  return preempt_until_ && now < *preempt_until_;
}

void StateMachine::transition(State to, Actions& out) {
  if (to == state_) return;
  out.push_back(Notify{state_, to});
  state_ = to;
}

void StateMachine::restartDownTimer(Micros now) {
  down_deadline_ = now + downInterval();
  wants_master_ = false;
}

// RFC 5798 §6.4.2 "transition to Master": advertise first, then take the addresses and announce
// them (docs/reference/keepalived.md §2.3 "Entering MASTER").
void StateMachine::enterMaster(Micros now, Actions& out) {
  master_adver_int_ = params_.advert_int;
  out.push_back(SendAdvert{priority_});
  out.push_back(AddAddresses{});
  out.push_back(SendGratuitous{});
  advert_deadline_ = now + params_.advert_int;
  down_deadline_.reset();
  preempt_until_.reset();
  master_.reset();
  wants_master_ = false;
  transition(State::Master, out);
}

// BACKUP as after start-up (RFC 5798 §6.4.1): our own interval, no known master, the full
// Master_Down_Interval, and preempt_delay running from now. An owner with state MASTER outside a
// sync group goes MASTER at once; inside one it waits for the group.
void StateMachine::enterBackupFresh(Micros now, Actions& out) {
  master_adver_int_ = params_.advert_int;
  master_.reset();
  preempt_until_.reset();
  if (params_.preempt_delay > Micros{0}) preempt_until_ = now + params_.preempt_delay;
  if (isOwnerWantingMaster()) {
    if (!in_group_) return enterMaster(now, out);
    down_deadline_.reset();
    wants_master_ = true;
  } else {
    restartDownTimer(now);
  }
  transition(State::Backup, out);
}

void StateMachine::leaveMaster(bool send_priority_zero, Actions& out) {
  if (send_priority_zero) out.push_back(SendAdvert{0});
  out.push_back(RemoveAddresses{});
  advert_deadline_.reset();
}

void StateMachine::enterFault(Actions& out) {
  if (state_ == State::Master) leaveMaster(true, out);
  down_deadline_.reset();
  preempt_until_.reset();
  master_.reset();
  wants_master_ = false;
  transition(State::Fault, out);
}

Actions StateMachine::start(Micros now) {
  Actions out;
  if (state_ != State::Init) return out;
  if (faulted()) {
    transition(State::Fault, out);
  } else {
    enterBackupFresh(now, out);
  }
  return out;
}

Actions StateMachine::stop(Micros /*now*/) {
  Actions out;
  if (state_ == State::Init) return out;
  if (state_ == State::Master) leaveMaster(true, out);
  advert_deadline_.reset();
  down_deadline_.reset();
  preempt_until_.reset();
  master_.reset();
  wants_master_ = false;
  transition(State::Init, out);
  return out;
}

Actions StateMachine::onAdvert(const Advert& advert, Micros now) {
  if (state_ == State::Backup) return onAdvertBackup(advert, now);
  if (state_ == State::Master) return onAdvertMaster(advert, now);
  return {};  // INIT and FAULT process no adverts (docs/reference/keepalived.md §2.3)
}

// docs/reference/keepalived.md §2.3 "BACKUP, on valid advert"; preempt_delay: a lower priority seen
// first starts it, a priority >= ours clears it.
bool StateMachine::acceptInBackup(const Advert& advert, Micros now) {
  const bool not_lower = advert.priority >= priority_;
  if (params_.preempt_delay > Micros{0}) {
    if (not_lower) {
      preempt_until_.reset();
    } else if (!preempt_until_) {
      preempt_until_ = now + params_.preempt_delay;
    }
  }
  return params_.nopreempt || not_lower || preemptDelayRunning(now);
}

// RFC 3768 §6.4.2 / RFC 5798 §6.4.2.
Actions StateMachine::onAdvertBackup(const Advert& advert, Micros now) {
  if (advert.priority == 0) {  // the master is leaving: take over after Skew_Time only
    down_deadline_ = now + skew();
    wants_master_ = false;
    return {};
  }
  if (!acceptInBackup(advert, now)) return {};  // lower priority: the down timer keeps running
  if (params_.version == 3 && advert.max_advert_int.count() > 0) {
    master_adver_int_ = std::chrono::duration_cast<Micros>(advert.max_advert_int);
  }
  master_ = advert.source;
  restartDownTimer(now);
  return {};
}

// RFC 3768 §6.4.3 / RFC 5798 §6.4.3 with keepalived's additions (docs/reference/keepalived.md
// §2.3).
Actions StateMachine::onAdvertMaster(const Advert& advert, Micros now) {
  Actions out;
  if (advert.priority == 0) {
    out.push_back(SendAdvert{priority_});
    advert_deadline_ = now + params_.advert_int;
    return out;
  }
  const bool same_priority = advert.priority == priority_;
  if (same_priority && advert.source == params_.own_address) return out;  // our own, looped
  const bool yield =
      advert.priority > priority_ || (same_priority && params_.own_address < advert.source);
  if (!yield) {
    if (!params_.lower_prio_no_advert) {
      out.push_back(SendAdvert{priority_});
      advert_deadline_ = now + params_.advert_int;
    }
    out.push_back(HeardLowerPriority{advert.priority});
    return out;
  }
  if (params_.higher_prio_send_advert) out.push_back(SendAdvert{priority_});
  leaveMaster(false, out);
  if (params_.version == 3 && advert.max_advert_int.count() > 0) {
    master_adver_int_ = std::chrono::duration_cast<Micros>(advert.max_advert_int);
  }
  master_ = advert.source;
  restartDownTimer(now);
  transition(State::Backup, out);
  return out;
}

Actions StateMachine::onTimer(Micros now) {
  Actions out;
  if (state_ == State::Master && advert_deadline_ && now >= *advert_deadline_) {
    out.push_back(SendAdvert{priority_});
    advert_deadline_ = now + params_.advert_int;
  } else if (state_ == State::Backup && down_deadline_ && now >= *down_deadline_) {
    if (in_group_) {  // the group decides (docs/reference/keepalived.md §2.8)
      down_deadline_.reset();
      wants_master_ = true;
    } else {
      enterMaster(now, out);
    }
  }
  return out;
}

Actions StateMachine::faultChanged(bool was_faulted, Micros now) {
  Actions out;
  if (state_ == State::Init || was_faulted == faulted()) return out;
  if (faulted()) {
    enterFault(out);
  } else {
    enterBackupFresh(now, out);  // docs/reference/keepalived.md §2.7: all faults cleared
  }
  return out;
}

Actions StateMachine::setFault(bool fault, Micros now) {
  const bool was = faulted();
  fault_ = fault;
  return faultChanged(was, now);
}

Actions StateMachine::setGroupFault(bool fault, Micros now) {
  const bool was = faulted();
  group_fault_ = fault;
  return faultChanged(was, now);
}

Actions StateMachine::setPriorityDelta(int delta, Micros /*now*/) {
  Actions out;
  delta_ = delta;
  const int updated = effective(params_.base_priority, delta_);
  if (updated == priority_) return out;
  priority_ = updated;
  if (state_ == State::Backup || state_ == State::Master) out.push_back(PriorityChanged{updated});
  return out;
}

Actions StateMachine::reconfigure(InstanceParams params) {
  params_ = std::move(params);
  if (state_ == State::Master) master_adver_int_ = params_.advert_int;
  return setPriorityDelta(delta_, Micros{});
}

Actions StateMachine::promoteToMaster(Micros now) {
  Actions out;
  if (state_ == State::Backup && !faulted()) enterMaster(now, out);
  return out;
}

Actions StateMachine::forceBackup(Micros now) {
  Actions out;
  if (state_ != State::Master) return out;
  leaveMaster(false, out);
  restartDownTimer(now);
  transition(State::Backup, out);
  return out;
}

}  // namespace keel::vrrp
