#include "app/dataplane_choice.h"

namespace keel::app {

std::vector<Backend> backendOrder(model::DataplaneKind kind, bool root) {
  switch (kind) {
    case model::DataplaneKind::Xdp:
      return root ? std::vector<Backend>{Backend::Xdp} : std::vector<Backend>{};
    case model::DataplaneKind::Ipvs:
      return root ? std::vector<Backend>{Backend::Ipvs} : std::vector<Backend>{};
    case model::DataplaneKind::Proxy:
      return {Backend::Proxy};
    case model::DataplaneKind::Auto:
      break;
  }
  if (!root) return {Backend::Proxy};
  return {Backend::Xdp, Backend::Ipvs, Backend::Proxy};
}

std::string_view backendName(Backend b) {
  switch (b) {
    case Backend::Xdp:
      return "xdp";
    case Backend::Ipvs:
      return "ipvs";
    case Backend::Proxy:
      break;
  }
  return "proxy";
}

}  // namespace keel::app
