#include "dataplane/xdp/decap_loader.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

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

base::Status attachDecap(const DecapOptions& options) {
  auto ifindex = interfaceIndex(options.interface);
  if (!ifindex) return ifindex.error();
  std::vector<base::IpAddress> locals = options.locals;
  if (locals.empty()) {
    auto host = hostAddresses();
    if (!host) return host.error();
    locals = std::move(*host);
  }
  KEEL_TRY(checkSizes(options, locals.size()));
  SkelPtr skel(keel_decap__open(), &keel_decap__destroy);
  if (!skel) return KEEL_SYS_ERROR(errno, "cannot open the decapsulator");
  skel->rodata->gue_port = htons(options.gue_port != 0 ? options.gue_port : KEEL_GUE_PORT_DEFAULT);
  if (const int rc = keel_decap__load(skel.get()); rc != 0) {
    return KEEL_SYS_ERROR(-rc, "cannot load the decapsulator");
  }
  KEEL_TRY(fill(skel->maps.keel_decap_directors, options.directors));
  KEEL_TRY(fill(skel->maps.keel_decap_locals, locals));
  const int fd = bpf_program__fd(skel->progs.keel_decap);
  if (bpf_xdp_attach(*ifindex, fd, XDP_FLAGS_DRV_MODE, nullptr) == 0) return base::ok();
  if (const int rc = bpf_xdp_attach(*ifindex, fd, XDP_FLAGS_SKB_MODE, nullptr); rc != 0) {
    return KEEL_SYS_ERROR(-rc,
                          fmt::format("cannot attach the decapsulator to {}", options.interface));
  }
  return base::ok();
}

base::Status detachDecap(const std::string& interface) {
  auto ifindex = interfaceIndex(interface);
  if (!ifindex) return ifindex.error();
  for (const __u32 flags : {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE}) {
    if (const int rc = bpf_xdp_detach(*ifindex, flags, nullptr); rc != 0 && rc != -ENOENT) {
      return KEEL_SYS_ERROR(-rc, fmt::format("cannot detach XDP from {}", interface));
    }
  }
  return base::ok();
}

}  // namespace keel::dataplane::xdp
