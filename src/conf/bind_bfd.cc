// bfd_instance NAME { ... } and vrrp_instance's track_bfd { ... } (docs/bfd.md), with keepalived
// 2.2.7's keywords, ranges and messages (its bfd_parser.c).
#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "conf/bind_blocks.h"
#include "conf/values.h"

namespace keel::conf {

namespace {

using B = model::BfdInstance;
using std::chrono::microseconds;

constexpr std::size_t kMaxNameLength = 31;        // keepalived's BFD_INAME_MAX - 1
constexpr std::int64_t kMaxIntervalMs = 4294967;  // UINT32_MAX microseconds, in ms

// Milliseconds with up to three decimals ("10", "3.312"), in [min_ms, kMaxIntervalMs].
std::optional<microseconds> milliseconds(const Statement& s, std::int64_t min_ms,
                                         BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return std::nullopt;
  const std::string& text = s.args[0].text;
  const std::size_t dot = text.find('.');
  const std::string_view whole = std::string_view(text).substr(0, dot);
  const std::string_view frac =
      dot == std::string::npos ? std::string_view() : std::string_view(text).substr(dot + 1);
  std::int64_t ms = 0;
  std::int64_t us = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), ms);
  bool ok = ec == std::errc() && end == whole.data() + whole.size() && !whole.empty() &&
            frac.size() <= 3 && (dot == std::string::npos || !frac.empty());
  for (std::size_t i = 0; ok && i < 3; ++i) {
    const char c = i < frac.size() ? frac[i] : '0';
    ok = c >= '0' && c <= '9';
    us = us * 10 + (c - '0');
  }
  const microseconds value(ms * 1000 + us);
  if (!ok || ms > kMaxIntervalMs || value < microseconds(min_ms * 1000)) {
    ctx.error(s, 0,
              fmt::format("BFD {} value {} is not valid (must be in range [{}-{}] ms, at most "
                          "three decimals)",
                          s.keyword, text, min_ms, kMaxIntervalMs));
    return std::nullopt;
  }
  return value;
}

void setMs(const Statement& s, model::Duration& field, std::int64_t min_ms, BindContext& ctx) {
  if (auto v = milliseconds(s, min_ms, ctx)) field = *v;
}

void bindNeighbor(const Statement& s, B& b, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (auto a = ctx.address(s)) b.neighbor = *a;
}

void bindSource(const Statement& s, B& b, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  if (auto a = ctx.address(s)) b.source = *a;
}

void bindWeight(const Statement& s, B& b, BindContext& ctx) {
  if (!ctx.args(s, 1, 2)) return;
  // Not ctx.integer(): its argument 0 form insists on exactly one argument.
  auto w = parseInt(s.keyword, s.args[0].text, -253, 253);
  if (w) {
    b.weight = static_cast<int>(*w);
  } else {
    ctx.error(s, 0, w.error().message);
  }
  if (s.args.size() == 2) {
    if (s.args[1].text == "reverse") {
      b.weight_reverse = true;
    } else {
      ctx.error(s, 1, fmt::format("expected 'reverse', got '{}'", s.args[1].text));
    }
  }
}

// `vrrp` and `checker`: once either is given, only the named engines hear this session.
struct Draft {
  B b;
  bool neighbor_set = false;
  bool vrrp = false;
  bool checker = false;
};

constexpr std::array<Keyword<Draft>, 14> kBfd = {{
    {"neighbor_ip", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       bindNeighbor(s, d.b, ctx);
       d.neighbor_set = true;
     }},
    {"neighbour_ip", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       bindNeighbor(s, d.b, ctx);
       d.neighbor_set = true;
     }},
    {"source_ip", Shape::Value, [](auto& s, Draft& d, auto& ctx) { bindSource(s, d.b, ctx); }},
    {"min_rx", Shape::Value, [](auto& s, Draft& d, auto& ctx) { setMs(s, d.b.min_rx, 1, ctx); }},
    {"min_tx", Shape::Value, [](auto& s, Draft& d, auto& ctx) { setMs(s, d.b.min_tx, 1, ctx); }},
    {"idle_tx", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { setMs(s, d.b.idle_tx, 1000, ctx); }},
    {"multiplier", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setInt(s, d.b.multiplier, 1, 255); }},
    {"passive", Shape::Value, [](auto& s, Draft& d, auto& ctx) { ctx.setFlag(s, d.b.passive); }},
    {"ttl", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       if (auto v = ctx.integer(s, 1, 255)) d.b.ttl = static_cast<int>(*v);
     }},
    {"hoplimit", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) {
       if (auto v = ctx.integer(s, 1, 255)) d.b.ttl = static_cast<int>(*v);
     }},
    {"max_hops", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { ctx.setInt(s, d.b.max_hops, -1, 255); }},
    {"weight", Shape::Value, [](auto& s, Draft& d, auto& ctx) { bindWeight(s, d.b, ctx); }},
    {"vrrp", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { d.vrrp = d.vrrp || ctx.args(s, 0, 0); }},
    {"checker", Shape::Value,
     [](auto& s, Draft& d, auto& ctx) { d.checker = d.checker || ctx.args(s, 0, 0); }},
}};

// keepalived's end-of-block checks (bfd_end_handler), as errors at the block's name.
bool finish(const Statement& s, Draft& d, const model::Config& c, BindContext& ctx) {
  B& b = d.b;
  if (!d.neighbor_set) {
    ctx.error(s, 0, fmt::format("BFD instance {} has no neighbor address set", b.name));
    return false;
  }
  if (b.source && b.source->isV4() != b.neighbor.isV4()) {
    ctx.error(s, 0,
              fmt::format("BFD instance {} source address {} and neighbor address {} are not of "
                          "the same family",
                          b.name, b.source->str(), b.neighbor.str()));
    return false;
  }
  for (const B& other : c.bfd_instances) {
    if (other.name == b.name || other.neighbor == b.neighbor) {
      ctx.error(s, 0,
                other.name == b.name
                    ? fmt::format("BFD instance {} already configured", b.name)
                    : fmt::format("BFD instance {} has duplicate neighbor address {} (also {})",
                                  b.name, b.neighbor.str(), other.name));
      return false;
    }
  }
  if (b.max_hops > model::bfdExpectedTtl(b)) {
    ctx.warning(s, 0,
                fmt::format("BFD instance {}: max_hops exceeds ttl/hoplimit - setting to "
                            "ttl/hoplimit",
                            b.name));
    b.max_hops = model::bfdExpectedTtl(b);
  }
  if (d.vrrp || d.checker) {
    b.notify_vrrp = d.vrrp;
    b.notify_checker = d.checker;
  }
  return true;
}

}  // namespace

void bindBfdInstance(const Statement& s, model::Config& c, BindContext& ctx) {
  if (!ctx.args(s, 1, 1)) return;
  auto name = ctx.word(s);
  if (!name) return;
  if (name->size() > kMaxNameLength) {
    ctx.error(s, 0,
              fmt::format("BFD instance {} name too long (maximum length is {} characters)", *name,
                          kMaxNameLength));
    return;
  }
  Draft d;
  d.b.name = *name;
  ctx.note({"bfd_instance", *name}, s);
  {
    BindContext::Scope scope(ctx, {"bfd_instance", *name});
    bindBlock<Draft>(Block::BfdInstance, *s.block, kBfd, d, ctx);
  }
  if (finish(s, d, c, ctx)) c.bfd_instances.push_back(std::move(d.b));
}

void bindTrackBfd(const Statement& s, std::string_view block, const std::string& owner,
                  std::vector<model::TrackRef>& list, BindContext& ctx) {
  if (!ctx.args(s, 0, 0)) return;
  for (const Statement& e : *s.block) {
    auto ref = ctx.trackRef(e, 253);
    if (!ref) continue;
    if (std::any_of(list.begin(), list.end(), [&](const auto& r) { return r.name == ref->name; })) {
      ctx.warning(e, -1, fmt::format("duplicate track_bfd {} - ignoring", ref->name));
      continue;
    }
    ctx.note({std::string(block), owner, s.keyword, ref->name}, e, -1);
    list.push_back(std::move(*ref));
  }
}

std::vector<std::string_view> bfdBound() { return namesOf(kBfd); }

}  // namespace keel::conf
