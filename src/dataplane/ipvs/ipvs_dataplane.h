// The IPVS data plane (docs/dataplane.md, "The IPVS data plane"): a dataplane::Dataplane that
// programs the kernel's IPVS over generic netlink, as keepalived does. apply() reads the
// kernel's table and reconciles keel's services to the desired table by diff (plan.h), so a
// reload changes only what changed and no connection of a real that stays is touched. Services
// keel did not create and the table does not name are left alone and reported once. The kernel
// keeps the counters and the connection table: stats() and connections() read them. It also
// starts and stops the kernel's connection sync daemons (lvs_sync_daemon). Created, used and
// destroyed on the control-plane thread (app's factory makes it, app/dataplane_factory.h).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/ipvs/convert.h"
#include "dataplane/ipvs/ipvs_socket.h"
#include "dataplane/ipvs/ipvs_types.h"
#include "dataplane/ipvs/plan.h"
#include "model/config.h"

namespace keel::dataplane::ipvs {

struct IpvsOptions {
  bool flush_at_start = false;  // lvs_flush: remove every IPVS service at start
  bool flush_at_stop = false;   // lvs_flush_onstop: remove every IPVS service at stop
  bool keep_at_stop = false;    // -I (--dont-release-ipvs): leave keel's services at stop
  IpvsTimeouts timeouts;        // lvs_timeouts; a zero leaves that timeout as it is
  std::string conn_file = "/proc/net/ip_vs_conn";
  bool load_module = true;  // without the IPVS family, `modprobe -q ip_vs` once and retry
};

// `config`'s lvs_flush, lvs_flush_onstop and lvs_timeouts; `keep_at_stop` is keeld -I.
IpvsOptions optionsOf(const model::Config& config, bool keep_at_stop);

class IpvsDataplane final : public Dataplane {
 public:
  // Opens the IPVS socket (NotFound without ip_vs, after trying to load it as keepalived does),
  // flushes with lvs_flush, sets lvs_timeouts. `config` names the sync daemon's instance.
  static base::Result<std::unique_ptr<IpvsDataplane>> start(
      std::shared_ptr<const model::Config> config, IpvsOptions options);
  ~IpvsDataplane() override;
  IpvsDataplane(const IpvsDataplane&) = delete;
  IpvsDataplane& operator=(const IpvsDataplane&) = delete;

  std::string_view name() const override { return "ipvs"; }
  std::string_view title() const override { return "IPVS data plane"; }
  base::Status apply(std::shared_ptr<const lb::ServiceTable> table) override;
  // The next generation's lvs_sync_daemon: a changed one stops the daemons keel started (the
  // instance's state, told again through vrrpState(), starts the new one); changed lvs_timeouts
  // are set. lvs_flush is read at start only.
  void reload(std::shared_ptr<const model::Config> config) override;
  // The sync daemon follows the instance lvs_sync_daemon names (setSyncRole()); errors are logged.
  void vrrpState(const std::string& instance, bool master) override;
  // keel's services as the kernel counts them, with ActiveConn and InActConn.
  base::Result<std::vector<ServiceStats>> stats() const override;
  base::Result<std::vector<std::pair<std::string, std::uint64_t>>> counters() const override;
  // The kernel's connection table (/proc/net/ip_vs_conn), connections and templates.
  base::Result<std::vector<Connection>> connections(std::size_t limit) const override;

  // A VRRP transition of the instance lvs_sync_daemon names, as keepalived handles it: the
  // daemon of the other state stops, one in `daemon.state` (master or backup) starts. One
  // already running in that state with the same settings is left running; with other settings
  // it is restarted.
  base::Result<void> setSyncRole(const SyncDaemon& daemon);
  // Stops the sync daemon in `state`, if keel started it.
  base::Result<void> stopSyncDaemon(std::uint32_t state);
  // The sync daemons the kernel runs now.
  base::Result<std::vector<SyncDaemon>> syncDaemons() const;

  // The kernel's connection table size, what ipvsadm prints as (size=N).
  std::uint32_t tableSize() const { return table_size_; }

 private:
  IpvsDataplane(IpvsSocket socket, std::shared_ptr<const model::Config> config, IpvsOptions options)
      : socket_(std::make_unique<IpvsSocket>(std::move(socket))),
        config_(std::move(config)),
        options_(std::move(options)) {}
  base::Status prepare();
  void setTimeouts();
  base::Result<void> execute(const Plan& plan, std::vector<std::string>& failed);
  void reportForeign(const std::vector<IpvsServiceKey>& foreign);
  void release();

  std::unique_ptr<IpvsSocket> socket_;  // reads are logically const
  std::shared_ptr<const model::Config> config_;
  IpvsOptions options_;
  std::set<IpvsServiceKey> owned_;     // services keel created or adopted
  std::set<IpvsServiceKey> reported_;  // foreign services already logged
  std::set<std::uint32_t> daemons_;    // sync daemon states keel started
  std::uint32_t table_size_ = 4096;
  std::uint64_t applies_ = 0;
  std::uint64_t apply_errors_ = 0;
  std::uint64_t operations_ = 0;
};

}  // namespace keel::dataplane::ipvs
