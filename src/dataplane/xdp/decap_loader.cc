#include "dataplane/xdp/decap_loader.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "base/unique_fd.h"

#include "decap_abi.h"
#include "keel_abi.h"
#include "keel_decap.skel.h"

namespace keel::dataplane::xdp {

namespace {

using SkelPtr = std::unique_ptr<keel_decap, decltype(&keel_decap__destroy)>;

base::Status fill(bpf_map* map, const std::vector<base::IpAddress>& addresses) {
  for (const base::IpAddress& a : addresses) {
    keel_decap_addr key{};
    key.family = a.family() == AF_INET ? KEEL_DECAP_V4 : KEEL_DECAP_V6;
    std::copy(a.bytes().begin(), a.bytes().end(), key.addr);
    const __u8 one = 1;
    if (const int rc = bpf_map__update_elem(map, &key, sizeof key, &one, sizeof one, BPF_ANY);
        rc != 0) {
      return KEEL_SYS_ERROR(-rc, fmt::format("cannot add {} to {}", a.str(), bpf_map__name(map)));
    }
  }
  return base::ok();
}

base::Result<int> interfaceIndex(const std::string& name) {
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) {
    return base::makeError(base::ErrorCode::NotFound, fmt::format("no interface {}", name));
  }
  return static_cast<int>(index);
}

base::Status checkSizes(const DecapOptions& o, std::size_t locals) {
  if (o.directors.empty()) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           "no director: give the directors' tunnel source addresses");
  }
  if (o.directors.size() > KEEL_DECAP_MAX_DIRECTORS || locals > KEEL_DECAP_MAX_LOCALS) {
    return base::makeError(base::ErrorCode::InvalidArgument,
                           fmt::format("at most {} directors and {} local addresses",
                                       KEEL_DECAP_MAX_DIRECTORS, KEEL_DECAP_MAX_LOCALS));
  }
  return base::ok();
}

}  // namespace

base::Result<std::vector<base::IpAddress>> hostAddresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return KEEL_SYS_ERROR(errno, "getifaddrs");
  std::vector<base::IpAddress> out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      std::array<std::uint8_t, 4> b{};
      std::memcpy(b.data(), &sin->sin_addr, 4);
      out.push_back(base::IpAddress::fromV4Bytes(b));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      std::array<std::uint8_t, 16> b{};
      std::memcpy(b.data(), &sin6->sin6_addr, 16);
      out.push_back(base::IpAddress::fromV6Bytes(b));
    }
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// The program on an interface's XDP hook: its name and mode, and a descriptor of it for
// XDP_FLAGS_REPLACE (the kernel then changes the hook only if that program still holds it).
struct Current {
  XdpHook hook;
  __u32 mode_flag = 0;  // XDP_FLAGS_DRV_MODE, _SKB_MODE or _HW_MODE; 0: nothing attached
  base::UniqueFd fd;
};

base::Result<__u32> attachedId(int ifindex, const std::string& name, Current& out) {
  bpf_xdp_query_opts query{};
  query.sz = sizeof query;
  if (const int rc = bpf_xdp_query(ifindex, 0, &query); rc != 0) {
    return KEEL_SYS_ERROR(-rc, fmt::format("cannot query XDP on {}", name));
  }
  switch (query.attach_mode) {
    case XDP_ATTACHED_NONE:
      return 0U;
    case XDP_ATTACHED_DRV:
      out.mode_flag = XDP_FLAGS_DRV_MODE;
      return query.drv_prog_id;
    case XDP_ATTACHED_SKB:
      out.mode_flag = XDP_FLAGS_SKB_MODE;
      return query.skb_prog_id;
    case XDP_ATTACHED_HW:
      out.mode_flag = XDP_FLAGS_HW_MODE;
      return query.hw_prog_id;
    default:
      return base::makeError(base::ErrorCode::State,
                             fmt::format("{} runs XDP programs in several modes", name));
  }
}

base::Result<Current> current(int ifindex, const std::string& name) {
  Current out;
  auto id = attachedId(ifindex, name, out);
  if (!id) return id.error();
  if (*id == 0) return out;
  out.fd.reset(bpf_prog_get_fd_by_id(*id));  // bpf(2) descriptors are close-on-exec
  if (!out.fd) return KEEL_SYS_ERROR(errno, fmt::format("cannot open the XDP program on {}", name));
  bpf_prog_info info{};
  __u32 length = sizeof info;
  if (const int rc = bpf_obj_get_info_by_fd(out.fd.get(), &info, &length); rc != 0) {
    return KEEL_SYS_ERROR(-rc, fmt::format("cannot read the XDP program on {}", name));
  }
  out.hook.program.assign(info.name, ::strnlen(info.name, sizeof info.name));
  out.hook.generic = out.mode_flag == XDP_FLAGS_SKB_MODE;
  return out;
}

// `now`, or State when another program than keel_decap holds the hook.
base::Result<Current> ownOrNone(int ifindex, const std::string& name, std::string_view refusal) {
  auto now = current(ifindex, name);
  if (!now) return now.error();
  if (!now->hook.program.empty() && now->hook.program != kDecapProgram) {
    return base::makeError(base::ErrorCode::State, fmt::format("{} runs the XDP program {}{}", name,
                                                               now->hook.program, refusal));
  }
  return now;
}

base::Status setHook(int ifindex, int fd, __u32 flags, const Current& now,
                     const std::string& name) {
  bpf_xdp_attach_opts opts{};
  opts.sz = sizeof opts;
  if (now.fd) {
    flags |= XDP_FLAGS_REPLACE;
    opts.old_prog_fd = now.fd.get();
  } else {
    flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
  }
  if (const int rc = bpf_xdp_attach(ifindex, fd, flags, &opts); rc != 0) {
    return KEEL_SYS_ERROR(
        -rc, fmt::format("cannot {} the decapsulator {} {}", fd < 0 ? "detach" : "attach",
                         fd < 0 ? "from" : "to", name));
  }
  return base::ok();
}

// Puts `fd` on the hook: in place of an attached keel_decap (atomically when it keeps the mode),
// else on an empty hook only.
base::Result<XdpHook> place(int ifindex, int fd, DecapMode mode, Current now,
                            const std::string& name) {
  const __u32 asked = mode == DecapMode::Native    ? XDP_FLAGS_DRV_MODE
                      : mode == DecapMode::Generic ? XDP_FLAGS_SKB_MODE
                      : now.fd                     ? now.mode_flag
                                                   : 0U;
  if (now.fd && asked != now.mode_flag) {  // native and generic cannot both hold the hook
    KEEL_TRY(setHook(ifindex, -1, now.mode_flag, now, name));
    now = Current{};
  }
  if (asked == 0 && setHook(ifindex, fd, XDP_FLAGS_DRV_MODE, now, name)) {
    return XdpHook{std::string(kDecapProgram), false};
  }
  const __u32 flag = asked == 0 ? XDP_FLAGS_SKB_MODE : asked;
  KEEL_TRY(setHook(ifindex, fd, flag, now, name));
  return XdpHook{std::string(kDecapProgram), flag == XDP_FLAGS_SKB_MODE};
}

int readSysctl(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  std::array<char, 16> buf{};
  const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
  if (n <= 0) return 0;
  int value = 0;
  return std::from_chars(buf.data(), buf.data() + n, value).ec == std::errc() ? value : 0;
}

}  // namespace

base::Result<XdpHook> attachDecap(const DecapOptions& options) {
  auto ifindex = interfaceIndex(options.interface);
  if (!ifindex) return ifindex.error();
  std::vector<base::IpAddress> locals = options.locals;
  if (locals.empty()) {
    auto host = hostAddresses();
    if (!host) return host.error();
    locals = std::move(*host);
  }
  KEEL_TRY(checkSizes(options, locals.size()));
  auto now = ownOrNone(*ifindex, options.interface, " already; not replacing it");
  if (!now) return now.error();
  SkelPtr skel(keel_decap__open(), &keel_decap__destroy);
  if (!skel) return KEEL_SYS_ERROR(errno, "cannot open the decapsulator");
  skel->rodata->gue_port = htons(options.gue_port != 0 ? options.gue_port : KEEL_GUE_PORT_DEFAULT);
  if (const int rc = keel_decap__load(skel.get()); rc != 0) {
    return KEEL_SYS_ERROR(-rc, "cannot load the decapsulator");
  }
  KEEL_TRY(fill(skel->maps.keel_decap_directors, options.directors));
  KEEL_TRY(fill(skel->maps.keel_decap_locals, locals));
  return place(*ifindex, bpf_program__fd(skel->progs.keel_decap), options.mode, std::move(*now),
               options.interface);
}

base::Result<bool> detachDecap(const std::string& interface) {
  auto ifindex = interfaceIndex(interface);
  if (!ifindex) return ifindex.error();
  auto now = ownOrNone(*ifindex, interface, fmt::format(", not {}; leaving it", kDecapProgram));
  if (!now) return now.error();
  if (!now->fd) return false;
  KEEL_TRY(setHook(*ifindex, -1, now->mode_flag, *now, interface));
  return true;
}

base::Result<XdpHook> xdpHook(const std::string& interface) {
  auto ifindex = interfaceIndex(interface);
  if (!ifindex) return ifindex.error();
  auto now = current(*ifindex, interface);
  if (!now) return now.error();
  return now->hook;
}

int effectiveRpFilter(const std::string& interface) {
  const std::string conf = "/proc/sys/net/ipv4/conf/";
  return std::max(readSysctl(conf + "all/rp_filter"), readSysctl(conf + interface + "/rp_filter"));
}

}  // namespace keel::dataplane::xdp
