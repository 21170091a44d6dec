#include "conf/bind_context.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "conf/values.h"

namespace keel::conf {

bool BindContext::admit(Block block, const Statement& s, const KeywordRow* row) {
  if (row == nullptr) {
    error(s, -1,
          fmt::format("unknown keyword '{}' in {}{}", s.keyword, blockName(block),
                      s.block ? " (its block is skipped)" : ""));
    return false;
  }
  if (row->support == Support::Refused) {
    error(s, -1, fmt::format("'{}' is refused: {}", s.keyword, row->note));
    return false;
  }
  if (row->support == Support::Warned && warned_.insert(s.keyword).second) {
    warning(s, -1, fmt::format("'{}' has no effect in keel: {}", s.keyword, row->note));
  }
  return true;
}

void BindContext::refuse(const Statement& s, int arg, std::string_view keyword,
                         std::string_view form) {
  const RefusedForm& f = refusedForm(keyword, form);
  error(s, arg, fmt::format("'{} {}' is refused: {}", f.keyword, f.form, f.reason));
}

void BindContext::note(model::Subject path, const Statement& s, int arg) {
  if (index_ == nullptr) return;
  index_->note(std::move(path), s.at(s.args.empty() ? -1 : arg), s.source);
}

void BindContext::needIpvs(const Statement& s, int arg, std::string_view keyword,
                           std::string_view form) {
  model::Subject at{"ipvs only", std::to_string(facts_.ipvs_forms.size())};
  note(at, s, arg);
  facts_.ipvs_forms.push_back({std::string(keyword), std::string(form), std::move(at)});
}

void BindContext::noteInScope(const Statement& s) {
  if (index_ == nullptr || scope_.empty()) return;
  model::Subject path = scope_;
  path.push_back(s.keyword);
  note(std::move(path), s);
}

void BindContext::error(const Statement& s, int arg, std::string message) {
  diags_.error(s.at(arg), std::move(message), std::string(s.source));
}

void BindContext::warning(const Statement& s, int arg, std::string message) {
  diags_.warning(s.at(arg), std::move(message), std::string(s.source));
}

bool BindContext::args(const Statement& s, std::size_t min, std::size_t max) {
  std::size_t n = s.args.size();
  if (n >= min && n <= max) return true;
  std::string want = min == max ? fmt::format("{}", min) : fmt::format("{} to {}", min, max);
  if (max == SIZE_MAX) want = fmt::format("at least {}", min);
  error(s, n > max ? static_cast<int>(max) : -1,
        fmt::format("'{}' takes {} argument{}, got {}", s.keyword, want, max == 1 ? "" : "s", n));
  return false;
}

std::optional<std::int64_t> BindContext::integer(const Statement& s, std::int64_t min,
                                                 std::int64_t max, int arg) {
  if (arg == 0 && !args(s, 1, 1)) return std::nullopt;
  auto v = parseInt(s.keyword, s.args[static_cast<std::size_t>(arg)].text, min, max);
  if (!v) error(s, arg, v.error().message);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<model::Duration> BindContext::timer(const Statement& s, model::Duration min,
                                                  model::Duration max, int arg) {
  if (arg == 0 && !args(s, 1, 1)) return std::nullopt;
  auto v = parseTimer(s.keyword, s.args[static_cast<std::size_t>(arg)].text, min, max);
  if (!v) error(s, arg, v.error().message);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::string> BindContext::word(const Statement& s, int arg) {
  if (arg == 0 && !args(s, 1, 1)) return std::nullopt;
  const std::string& text = s.args[static_cast<std::size_t>(arg)].text;
  if (text.empty()) {
    error(s, arg, fmt::format("'{}' needs a non-empty value", s.keyword));
    return std::nullopt;
  }
  return text;
}

std::optional<base::IpAddress> BindContext::address(const Statement& s, int arg) {
  auto v = base::IpAddress::parse(s.args[static_cast<std::size_t>(arg)].text);
  if (!v) error(s, arg, v.error().message);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<base::Prefix> BindContext::prefix(const Statement& s, int arg) {
  const std::string& text = arg < 0 ? s.keyword : s.args[static_cast<std::size_t>(arg)].text;
  auto v = base::Prefix::parse(text);
  if (!v) error(s, arg, v.error().message);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::uint16_t> BindContext::port(const Statement& s, int arg) {
  auto v = base::parsePort(s.args[static_cast<std::size_t>(arg)].text);
  if (!v) error(s, arg, v.error().message);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<bool> BindContext::flag(const Statement& s) {
  if (!args(s, 0, 1)) return std::nullopt;
  if (s.args.empty()) return true;
  auto v = parseBool(s.keyword, s.args[0].text);
  if (!v) error(s, 0, v.error().message);
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<model::Script> BindContext::script(const Statement& s) {
  if (!args(s, 1, 3)) return std::nullopt;
  auto argv = splitScript(s.args[0].text);
  if (!argv) {
    error(s, 0, argv.error().message);
    return std::nullopt;
  }
  model::Script out{std::move(*argv), {}, {}, false};
  if (s.args.size() >= 2) out.user = s.args[1].text;
  if (s.args.size() == 3) {
    std::string_view group = s.args[2].text;
    out.supplementary_groups = group.starts_with(':');
    if (out.supplementary_groups) group.remove_prefix(1);
    out.group = std::string(group);
  }
  return out;
}

std::optional<std::pair<int, bool>> BindContext::weightAndReverse(const Statement& s,
                                                                  std::int64_t max) {
  if (!args(s, 1, 2)) return std::nullopt;
  auto w = parseInt(s.keyword, s.args[0].text, -max, max);
  if (!w) {
    error(s, 0, w.error().message);
    return std::nullopt;
  }
  if (s.args.size() == 2 && s.args[1].text != "reverse" && s.args[1].text != "noreverse") {
    error(s, 1, fmt::format("expected reverse or noreverse, got '{}'", s.args[1].text));
    return std::nullopt;
  }
  return std::pair{static_cast<int>(*w), s.args.size() == 2 && s.args[1].text == "reverse"};
}

std::optional<model::TrackRef> BindContext::trackRef(const Statement& s, int max_weight) {
  model::TrackRef ref{s.keyword, false, 0, false, false};
  if (s.args.empty()) return ref;
  if (s.args[0].text != "weight" || s.args.size() < 2 || s.args.size() > 3) {
    error(s, 0, fmt::format("expected '{} [weight W [reverse|noreverse]]'", s.keyword));
    return std::nullopt;
  }
  auto w = parseInt("weight", s.args[1].text, -max_weight, max_weight);
  if (!w) {
    error(s, 1, w.error().message);
    return std::nullopt;
  }
  ref.has_weight = true;
  ref.weight = static_cast<int>(*w);
  if (s.args.size() == 3) {
    if (s.args[2].text != "reverse" && s.args[2].text != "noreverse") {
      error(s, 2, fmt::format("expected reverse or noreverse, got '{}'", s.args[2].text));
      return std::nullopt;
    }
    ref.reverse = s.args[2].text == "reverse";
    ref.reverse_given = true;
  }
  return ref;
}

void BindContext::setInt(const Statement& s, int& field, std::int64_t min, std::int64_t max) {
  if (auto v = integer(s, min, max)) field = static_cast<int>(*v);
}

void BindContext::setTimer(const Statement& s, model::Duration& field, model::Duration min,
                           model::Duration max) {
  if (auto v = timer(s, min, max)) field = *v;
}

void BindContext::setWord(const Statement& s, std::string& field) {
  if (auto v = word(s)) field = std::move(*v);
}

void BindContext::setScript(const Statement& s, model::Script& field) {
  if (auto v = script(s)) field = std::move(*v);
}

void BindContext::setFlag(const Statement& s, bool& field) {
  if (auto v = flag(s)) field = *v;
}

}  // namespace keel::conf
