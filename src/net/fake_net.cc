#include "net/fake_net.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>

#include "base/unique_fd.h"

namespace keel::net {

namespace {

// An eventfd that is readable while its owner has something queued.
class Ready {
 public:
  Ready() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  void set() const {
    const std::uint64_t one = 1;
    (void)!::write(fd_.get(), &one, sizeof one);
  }
  void clear() const {
    std::uint64_t n = 0;
    (void)!::read(fd_.get(), &n, sizeof n);
  }
  int fd() const { return fd_.get(); }

 private:
  base::UniqueFd fd_;
};

base::Error sysError(int err, const std::string& what) { return KEEL_SYS_ERROR(err, what); }

}  // namespace

class FakeNetlink;
class FakeIpSocket;

struct FakeNet::State {
  std::map<int, Link> links;
  int next_index = 2;  // 1 would be lo
  std::vector<AddressEntry> addresses;
  std::vector<FakeNetlink*> netlinks;
  std::vector<FakeIpSocket*> sockets;
  std::vector<Datagram> sent;
  std::vector<Frame> frames;
  int fail_ip_opens = 0;
  bool lose_events = false;

  const Link* find(const std::string& name) const {
    for (const auto& [index, link] : links) {
      if (link.name == name) return &link;
    }
    return nullptr;
  }
  void emit(const NetEvent& e);
  void emitAddress(NetEvent::Kind kind, const AddressEntry& a) {
    NetEvent e;
    e.kind = kind;
    e.address = a;
    emit(e);
  }
  void emitLink(NetEvent::Kind kind, const Link& l) {
    NetEvent e;
    e.kind = kind;
    e.link = l;
    emit(e);
  }
};

class FakeNetlink final : public Netlink {
 public:
  explicit FakeNetlink(std::shared_ptr<FakeNet::State> state) : state_(std::move(state)) {
    state_->netlinks.push_back(this);
  }
  ~FakeNetlink() override { std::erase(state_->netlinks, this); }
  FakeNetlink(const FakeNetlink&) = delete;
  FakeNetlink& operator=(const FakeNetlink&) = delete;

  void queue(const NetEvent& e) {
    events_.push_back(e);
    ready_.set();
  }

  base::Result<std::vector<Link>> links() override {
    std::vector<Link> out;
    for (const auto& [index, link] : state_->links) out.push_back(link);
    return out;
  }

  base::Result<std::vector<AddressEntry>> addresses(int family) override {
    std::vector<AddressEntry> out;
    for (const AddressEntry& a : state_->addresses) {
      if (family == 0 || a.prefix.address().family() == family) out.push_back(a);
    }
    return out;
  }

  base::Status addAddress(int index, const base::Prefix& prefix, const std::string& label,
                          bool* existed) override {
    if (existed != nullptr) *existed = false;
    if (!state_->links.contains(index)) {
      return sysError(ENODEV,
                      "cannot add " + prefix.str() + " to interface " + std::to_string(index));
    }
    auto& all = state_->addresses;
    if (std::any_of(all.begin(), all.end(), [&](const AddressEntry& a) {
          return a.index == index && a.prefix.address() == prefix.address();
        })) {
      if (existed != nullptr) *existed = true;
      return base::ok();
    }
    all.push_back({index, prefix, label});
    state_->emitAddress(NetEvent::Kind::AddressAdded, all.back());
    return base::ok();
  }

  base::Status deleteAddress(int index, const base::Prefix& prefix, bool* absent) override {
    if (absent != nullptr) *absent = false;
    auto& all = state_->addresses;
    auto it = std::find_if(all.begin(), all.end(), [&](const AddressEntry& a) {
      return a.index == index && a.prefix.address() == prefix.address();
    });
    if (it == all.end()) {
      if (absent != nullptr) *absent = true;
      return base::ok();
    }
    const AddressEntry gone = *it;
    all.erase(it);
    state_->emitAddress(NetEvent::Kind::AddressRemoved, gone);
    return base::ok();
  }

  int eventFd() const override { return ready_.fd(); }

  base::Status readEvents(const NetEventSink& sink) override {
    ready_.clear();
    if (state_->lose_events) {
      state_->lose_events = false;
      events_.clear();
      return sysError(ENOBUFS, "rtnetlink events were lost; re-read the state");
    }
    while (!events_.empty()) {  // the sink may cause more (an address it adds)
      const NetEvent e = events_.front();
      events_.pop_front();
      sink(e);
    }
    return base::ok();
  }

 private:
  std::shared_ptr<FakeNet::State> state_;
  std::deque<NetEvent> events_;
  Ready ready_;
};

class FakeIpSocket final : public IpSocket {
 public:
  FakeIpSocket(std::shared_ptr<FakeNet::State> state, RawSocketOptions options)
      : state_(std::move(state)), options_(std::move(options)) {
    state_->sockets.push_back(this);
  }
  ~FakeIpSocket() override { std::erase(state_->sockets, this); }
  FakeIpSocket(const FakeIpSocket&) = delete;
  FakeIpSocket& operator=(const FakeIpSocket&) = delete;

  int ifindex() const { return options_.ifindex; }
  const std::set<base::IpAddress>& groups() const { return groups_; }

  void queue(const RawPacket& packet) {
    if (packet.destination.isMulticast() && !groups_.contains(packet.destination)) return;
    packets_.push_back(packet);
    ready_.set();
  }

  base::Status join(const base::IpAddress& group) override {
    groups_.insert(group);
    return base::ok();
  }
  base::Status leave(const base::IpAddress& group) override {
    groups_.erase(group);
    return base::ok();
  }
  base::Status send(std::span<const std::uint8_t> payload,
                    const base::IpAddress& destination) override {
    if (!state_->links.contains(options_.ifindex)) {
      return sysError(ENODEV, "cannot send to " + destination.str());
    }
    state_->sent.push_back(
        {options_.ifindex, options_.source, destination, {payload.begin(), payload.end()}});
    return base::ok();
  }
  base::Result<std::optional<RawPacket>> receive() override {
    if (packets_.empty()) {
      ready_.clear();
      return std::nullopt;
    }
    RawPacket p = std::move(packets_.front());
    packets_.pop_front();
    return p;
  }
  int fd() const override { return ready_.fd(); }

 private:
  std::shared_ptr<FakeNet::State> state_;
  RawSocketOptions options_;
  std::set<base::IpAddress> groups_;
  std::deque<RawPacket> packets_;
  Ready ready_;
};

class FakeFrameSocket final : public FrameSocket {
 public:
  FakeFrameSocket(std::shared_ptr<FakeNet::State> state, int ifindex)
      : state_(std::move(state)), ifindex_(ifindex) {}
  base::Status send(std::span<const std::uint8_t> frame) override {
    if (!state_->links.contains(ifindex_)) return sysError(ENODEV, "cannot send a frame");
    state_->frames.push_back({ifindex_, {frame.begin(), frame.end()}});
    return base::ok();
  }

 private:
  std::shared_ptr<FakeNet::State> state_;
  int ifindex_;
};

void FakeNet::State::emit(const NetEvent& e) {
  for (FakeNetlink* nl : netlinks) nl->queue(e);
}

FakeNet::FakeNet() : state_(std::make_shared<State>()) {}
FakeNet::~FakeNet() = default;

int FakeNet::addLink(const std::string& name, std::vector<std::uint8_t> mac) {
  const int index = state_->next_index++;
  Link& l = state_->links[index];
  l = Link{index, name, true, true, false, std::move(mac)};
  state_->emitLink(NetEvent::Kind::LinkChanged, l);
  return index;
}

void FakeNet::setLink(const std::string& name, bool up, bool running) {
  const int i = index(name);
  if (i == 0) return;
  Link& l = state_->links[i];
  l.up = up;
  l.running = up && running;
  state_->emitLink(NetEvent::Kind::LinkChanged, l);
}

void FakeNet::removeLink(const std::string& name) {
  const int i = index(name);
  if (i == 0) return;
  auto& all = state_->addresses;
  for (auto it = all.begin(); it != all.end();) {
    if (it->index != i) {
      ++it;
      continue;
    }
    const AddressEntry gone = *it;
    it = all.erase(it);
    state_->emitAddress(NetEvent::Kind::AddressRemoved, gone);
  }
  const Link gone = state_->links[i];
  state_->links.erase(i);
  state_->emitLink(NetEvent::Kind::LinkRemoved, gone);
}

void FakeNet::addHostAddress(const std::string& link, const std::string& prefix) {
  auto p = base::Prefix::parse(prefix);
  if (!p || index(link) == 0) return;
  state_->addresses.push_back({index(link), *p, {}});
  state_->emitAddress(NetEvent::Kind::AddressAdded, state_->addresses.back());
}

void FakeNet::removeHostAddress(const std::string& link, const std::string& prefix) {
  auto p = base::Prefix::parse(prefix);
  auto& all = state_->addresses;
  auto it = std::find_if(all.begin(), all.end(), [&](const AddressEntry& a) {
    return p && a.index == index(link) && a.prefix == *p;
  });
  if (it == all.end()) return;
  const AddressEntry gone = *it;
  all.erase(it);
  state_->emitAddress(NetEvent::Kind::AddressRemoved, gone);
}

int FakeNet::index(const std::string& link) const {
  const Link* l = state_->find(link);
  return l != nullptr ? l->index : 0;
}

bool FakeNet::hasAddress(const std::string& link, const std::string& address) const {
  auto a = base::IpAddress::parse(address);
  return a && std::any_of(state_->addresses.begin(), state_->addresses.end(),
                          [&](const AddressEntry& e) {
                            return e.index == index(link) && e.prefix.address() == *a;
                          });
}

const std::vector<FakeNet::Datagram>& FakeNet::sent() const { return state_->sent; }
const std::vector<FakeNet::Frame>& FakeNet::frames() const { return state_->frames; }

void FakeNet::clearSent() {
  state_->sent.clear();
  state_->frames.clear();
}

std::set<base::IpAddress> FakeNet::groups(const std::string& link) const {
  std::set<base::IpAddress> out;
  for (const FakeIpSocket* s : state_->sockets) {
    if (s->ifindex() == index(link)) out.insert(s->groups().begin(), s->groups().end());
  }
  return out;
}

std::size_t FakeNet::openIpSockets() const { return state_->sockets.size(); }

void FakeNet::deliver(const std::string& link, const RawPacket& packet) {
  const int i = index(link);
  for (FakeIpSocket* s : state_->sockets) {
    if (i != 0 && s->ifindex() == i) s->queue(packet);
  }
}

void FakeNet::failIpOpens(int n) { state_->fail_ip_opens = n; }
void FakeNet::loseEvents() { state_->lose_events = true; }

base::Result<std::unique_ptr<Netlink>> FakeNet::openNetlink() {
  return std::make_unique<FakeNetlink>(state_);
}

base::Result<std::unique_ptr<IpSocket>> FakeNet::openIp(const RawSocketOptions& options) {
  if (state_->fail_ip_opens > 0) {
    --state_->fail_ip_opens;
    return sysError(EMFILE, "cannot open a raw socket");
  }
  if (!state_->links.contains(options.ifindex)) {
    return sysError(ENODEV, "cannot bind to interface " + options.interface);
  }
  return std::make_unique<FakeIpSocket>(state_, options);
}

base::Result<std::unique_ptr<FrameSocket>> FakeNet::openFrames(int ifindex) {
  if (!state_->links.contains(ifindex)) {
    return sysError(ENODEV, "cannot bind a packet socket to interface " + std::to_string(ifindex));
  }
  return std::make_unique<FakeFrameSocket>(state_, ifindex);
}

}  // namespace keel::net
