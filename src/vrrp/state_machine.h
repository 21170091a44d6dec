// The per-instance VRRP state machine (RFC 3768 §6, RFC 5798/9568 §6, as keepalived behaves:
// docs/reference/keepalived.md §2.3, §2.6-2.8). Pure: no I/O and no clock reads. Time comes in as
// `now` (microseconds on the caller's monotonic clock); every input returns the actions the I/O
// shell must perform, in order. The single timer is exposed as nextDeadline(): the shell arms one
// clock timer for it and calls onTimer() when it fires (an early or late call is harmless).
//
// Inputs that the shell filters before they get here: adverts that failed the receive checks
// (docs/reference/keepalived.md §2.4, including a v2 interval mismatch, which is dropped), and
// adverts of other VRIDs. Faults from every source (interface down, weight-0 trackers, no source
// address) are aggregated by the caller into one setFault(bool); tracker weights into one
// setPriorityDelta(int). A caller that must wait for weight-0 scripts to report simply calls
// start() later.
//
// One object per vrrp_instance; not thread-safe (it belongs to the VRRP event loop's thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/address.h"
#include "model/global_defs.h"
#include "model/vrrp.h"
#include "vrrp/advert.h"

namespace keel::vrrp {

using Micros = std::chrono::microseconds;

inline constexpr int kOwnerPriority = 255;  // the address owner (RFC 5798 §5.2.4)

// Init: not started, or stopped (a transition to Init is keepalived's STOP).
enum class State { Init, Backup, Master, Fault };
const char* stateName(State s);  // "INIT", "BACKUP", "MASTER", "FAULT"

// What one instance runs with, after keepalived's consistency rules (see from()).
struct InstanceParams {
  std::string name;
  int version = 2;                              // 2 or 3
  int base_priority = 100;                      // 1..255; 255 = owner, never moved by trackers
  Micros advert_int = std::chrono::seconds(1);  // v2: whole seconds; v3: whole centiseconds
  bool want_master = false;                     // conf: state MASTER
  bool nopreempt = false;
  Micros preempt_delay{};                // zero: none
  int down_timer_adverts = 3;            // 1..100
  base::IpAddress own_address;           // our advert source, for the tie-break
  bool accept = true;                    // not used here; carried for the shell
  bool lower_prio_no_advert = false;     // MASTER hearing a lower priority stays silent
  bool higher_prio_send_advert = false;  // MASTER sends one advert before yielding

  // Applies keepalived's rules to one vrrp_instance: version 0 takes the global one and an IPv6
  // instance is always v3; priority clamped to 1..255; advert_int rounded to the nearest second
  // (v2, 1..255 s) or centisecond (v3, 0.01..40.95 s); nopreempt only with state BACKUP and a
  // priority below 255; preempt_delay dropped with state MASTER, nopreempt or strict mode;
  // down_timer_adverts, lower_prio_no_advert and higher_prio_send_advert come from the instance,
  // else the globals; strict mode forces 3 adverts and lower_prio_no_advert, and clears
  // higher_prio_send_advert. own_address: unicast_src_ip when set, else
  // `primary` (the interface's primary address). The parser has already applied "state MASTER
  // without priority means 255".
  static InstanceParams from(const model::VrrpInstance& instance, const model::GlobalDefs& globals,
                             const base::IpAddress& primary);
};

// Actions, in the order the shell must perform them.
struct SendAdvert {
  int priority = 0;  // 0: we are leaving MASTER (RFC 5798 §6.4.3)
  friend bool operator==(const SendAdvert&, const SendAdvert&) = default;
};
struct AddAddresses {  // VIPs, excluded VIPs, routes and rules; accept-mode changes
  friend bool operator==(const AddAddresses&, const AddAddresses&) = default;
};
struct RemoveAddresses {
  friend bool operator==(const RemoveAddresses&, const RemoveAddresses&) = default;
};
// Start the gratuitous ARP / unsolicited NA burst of a new MASTER (the shell owns repeat, the
// delayed second burst and refresh: docs/reference/keepalived.md §2.9).
struct SendGratuitous {
  friend bool operator==(const SendGratuitous&, const SendGratuitous&) = default;
};
// A MASTER heard a lower priority (or an equal priority from a lower address): the shell sends
// the garp_lower_prio burst and runs notify_master_rx_lower_pri / FIFO MASTER_RX_LOWER_PRI.
struct HeardLowerPriority {
  int priority = 0;
  friend bool operator==(const HeardLowerPriority&, const HeardLowerPriority&) = default;
};
// The effective priority changed while BACKUP or MASTER (FIFO MASTER_PRIORITY / BACKUP_PRIORITY
// with notify_priority_changes).
struct PriorityChanged {
  int priority = 0;
  friend bool operator==(const PriorityChanged&, const PriorityChanged&) = default;
};
// A real state change (never from == to). to == Init means the instance stopped.
struct Notify {
  State from = State::Init;
  State to = State::Init;
  friend bool operator==(const Notify&, const Notify&) = default;
};

using Action = std::variant<SendAdvert, AddAddresses, RemoveAddresses, SendGratuitous,
                            HeardLowerPriority, PriorityChanged, Notify>;
using Actions = std::vector<Action>;

// Skew_Time (RFC 3768 §6.1, RFC 5798 §6.1), in microseconds rounded down:
// v2 (256 - priority) * 1 s / 256; v3 (256 - priority) * master_adver_int / 256.
Micros skewTime(int version, int priority, Micros master_adver_int);
// Master_Down_Interval = adverts * Master_Adver_Interval + Skew_Time.
Micros masterDownInterval(int version, int priority, Micros master_adver_int, int adverts);

class StateMachine {
 public:
  explicit StateMachine(InstanceParams params);

  // Init -> MASTER at once for an owner with state MASTER (no BACKUP notify), else FAULT when a
  // fault is set, else BACKUP with the full Master_Down_Interval (state MASTER on a non-owner
  // does not shorten it). Notify{Init, ...} in every case. Ignored unless in Init.
  Actions start(Micros now);
  // Releases the instance: a MASTER sends priority 0 and removes its addresses; then
  // Notify{state, Init}. Ignored in Init.
  Actions stop(Micros now);
  // A valid advert for our VRID. Ignored in Init and FAULT.
  Actions onAdvert(const Advert& advert, Micros now);
  // Handles whatever is due at `now` (the advert timer of a MASTER, the down timer of a BACKUP).
  Actions onTimer(Micros now);
  // The aggregated fault of this instance. MASTER -> FAULT sends priority 0 and removes the
  // addresses. Leaving FAULT: BACKUP with the down timer restarted (MASTER at once for an owner
  // with state MASTER). Before start() it only records the fault.
  Actions setFault(bool fault, Micros now);
  // Σ of the weights of trackers in their weighted state. Effective priority = base + delta
  // clamped to 1..254; an owner stays 255. Takes effect for the next advert sent and the next
  // down timer (re)start; a running down timer keeps its deadline.
  Actions setPriorityDelta(int delta, Micros now);

  // The earliest time onTimer() has something to do, if any.
  // A reload changed the instance in place (vrrp/reload_plan.h Update): the new parameters apply
  // from now on, with no state transition and no priority-0 advert. A new base priority gives
  // PriorityChanged; a MASTER advertises at the new advert_int from its next advert on.
  Actions reconfigure(InstanceParams params);

  std::optional<Micros> nextDeadline() const;

  State state() const { return state_; }
  int effectivePriority() const { return priority_; }
  // MASTER: our own address; BACKUP: the source of the last advert accepted, if any.
  std::optional<base::IpAddress> masterAddress() const;
  // The interval the down timer uses: our own, or (v3) the one the current master advertises.
  Micros masterAdverInt() const { return master_adver_int_; }
  Micros skew() const;
  Micros downInterval() const;
  const InstanceParams& params() const { return params_; }
  bool faulted() const { return fault_ || group_fault_; }
  bool ownFault() const { return fault_; }  // set through setFault(), not by the group

  // Sync group hooks (vrrp/sync_group.h calls these; docs/reference/keepalived.md §2.8). A member
  // does not go MASTER by itself: when its down timer expires it stays BACKUP and wantsMaster()
  // turns true until an accepted advert restarts its timer or the group promotes it.
  void setInSyncGroup(bool in_group) { in_group_ = in_group; }
  bool wantsMaster() const;
  Actions promoteToMaster(Micros now);  // BACKUP -> MASTER; else nothing
  Actions forceBackup(Micros now);      // MASTER -> BACKUP as on a higher priority advert
  Actions setGroupFault(bool fault, Micros now);

 private:
  Actions onAdvertBackup(const Advert& advert, Micros now);
  Actions onAdvertMaster(const Advert& advert, Micros now);
  bool acceptInBackup(const Advert& advert, Micros now);
  void enterMaster(Micros now, Actions& out);
  void enterBackupFresh(Micros now, Actions& out);
  void enterFault(Actions& out);
  void leaveMaster(bool send_priority_zero, Actions& out);
  Actions faultChanged(bool was_faulted, Micros now);
  void restartDownTimer(Micros now);
  void transition(State to, Actions& out);
  bool isOwnerWantingMaster() const;
  bool preemptDelayRunning(Micros now) const;

  InstanceParams params_;
  State state_ = State::Init;
  int priority_;  // effective priority
  int delta_ = 0;
  Micros master_adver_int_;
  bool fault_ = false;
  bool group_fault_ = false;
  bool in_group_ = false;
  bool wants_master_ = false;              // BACKUP in a sync group, down timer expired
  std::optional<Micros> advert_deadline_;  // MASTER
  std::optional<Micros> down_deadline_;    // BACKUP
  std::optional<Micros> preempt_until_;    // BACKUP with preempt_delay
  std::optional<base::IpAddress> master_;  // BACKUP: last accepted master
};

}  // namespace keel::vrrp
