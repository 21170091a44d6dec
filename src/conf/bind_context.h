// The machinery the keyword tables are written with: a block's bind table is an array of
// Keyword<T> — a name, whether it takes a block, and a small function that binds one statement
// into a T — and bindBlock() walks a block's statements through the keyword table
// (keyword_table.h: unknown, refused, warned) and then that bind table. Argument helpers check
// counts and parse values, reporting every problem at the offending token. BindContext lives for
// one parse (warnings are said once per keyword) and notes places for the SourceIndex. Internal
// to conf; one thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <set>
#include "base/address.h"

#include "conf/diagnostics.h"
#include "conf/keyword_table.h"
#include "conf/source_index.h"
#include "conf/statement.h"
#include "model/common.h"

namespace keel::conf {

// What the binder learns that the model does not keep but whole-configuration checks need
// (Binder::finish()).
struct BindFacts {
  // A refused form (keyword_table.h) that only the IPVS data plane serves, and where it was.
  struct IpvsForm {
    std::string keyword;
    std::string form;
    model::Subject at;
  };
  std::set<std::string> explicit_accept;        // instances that say `accept`
  std::vector<std::string> threshold_services;  // virtual servers with uthreshold/lthreshold
  std::vector<IpvsForm> ipvs_forms;  // fwmark services, SCTP, TUN options: keel_dataplane ipvs
};

class BindContext {
 public:
  // `index`, when given, receives the places later checks report at (source_index.h).
  explicit BindContext(Diagnostics& diags, SourceIndex* index = nullptr)
      : diags_(diags), index_(index) {}

  void error(const Statement& s, int arg, std::string message);
  void warning(const Statement& s, int arg, std::string message);

  // What the keyword table says about `s` in `block`, reported: an unknown or refused keyword
  // is an error, a warned one a warning the first time it is seen. True when `s` is to be bound.
  bool admit(Block block, const Statement& s, const KeywordRow* row);
  // Reports the refused form `form` of `keyword` (keyword_table.h) at argument `arg` of `s`.
  void refuse(const Statement& s, int arg, std::string_view keyword, std::string_view form);
  // Records the refused form `form` of `keyword` at argument `arg` of `s` as one only the IPVS
  // data plane serves: Binder::finish() refuses it unless keel_dataplane is ipvs.
  void needIpvs(const Statement& s, int arg, std::string_view keyword, std::string_view form);

  // Notes `s`'s place under `path` (its first argument, or its keyword when it has none).
  void note(model::Subject path, const Statement& s, int arg = 0);
  // While a Scope lives, every statement bindBlock() binds is noted as scope + its keyword.
  class Scope {
   public:
    Scope(BindContext& ctx, model::Subject scope) : ctx_(ctx), saved_(std::move(ctx.scope_)) {
      ctx_.scope_ = std::move(scope);
    }
    ~Scope() { ctx_.scope_ = std::move(saved_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BindContext& ctx_;
    model::Subject saved_;
  };
  BindFacts& facts() { return facts_; }
  Diagnostics& diags() { return diags_; }
  SourceIndex* index() { return index_; }

  // Notes `s` as scope + its keyword, inside a Scope.
  void noteInScope(const Statement& s);

  // Whether `s` has between `min` and `max` arguments; reports the mismatch if not.
  bool args(const Statement& s, std::size_t min, std::size_t max);

  // One-argument values. Each returns nullopt after reporting a problem.
  std::optional<std::int64_t> integer(const Statement& s, std::int64_t min, std::int64_t max,
                                      int arg = 0);
  std::optional<model::Duration> timer(const Statement& s, model::Duration min, model::Duration max,
                                       int arg = 0);
  std::optional<std::string> word(const Statement& s, int arg = 0);
  std::optional<base::IpAddress> address(const Statement& s, int arg = 0);
  std::optional<base::Prefix> prefix(const Statement& s, int arg = 0);
  std::optional<std::uint16_t> port(const Statement& s, int arg = 0);
  // `weight W [reverse|noreverse]` with W in [-max, max]: the weight, and whether reversed.
  std::optional<std::pair<int, bool>> weightAndReverse(const Statement& s, std::int64_t max);
  // A flag with an optional BOOL: the bare keyword is true.
  std::optional<bool> flag(const Statement& s);
  // `"command args" [user [[:]group]]`, re-split shell-like.
  std::optional<model::Script> script(const Statement& s);
  // `NAME [weight W [reverse|noreverse]]` with W in [-max_weight, max_weight].
  std::optional<model::TrackRef> trackRef(const Statement& s, int max_weight);

  void setInt(const Statement& s, int& field, std::int64_t min, std::int64_t max);
  void setTimer(const Statement& s, model::Duration& field, model::Duration min,
                model::Duration max);
  void setWord(const Statement& s, std::string& field);
  void setFlag(const Statement& s, bool& field);
  void setScript(const Statement& s, model::Script& field);

 private:
  Diagnostics& diags_;
  SourceIndex* index_;
  model::Subject scope_;
  std::set<std::string, std::less<>> warned_;  // keywords already warned about
  BindFacts facts_;
};

enum class Shape { Value, Block };

template <class T>
struct Keyword {
  std::string_view name;
  Shape shape;
  void (*bind)(const Statement& s, T& target, BindContext& ctx);
};

// Binds each statement of `body`, a `block`, through the keyword table and then `table`:
// unknown and refused keywords are errors and their block is skipped whole (unknown: a deliberate
// improvement over keepalived, which parses an unknown block's body into the enclosing block);
// warned ones are bound too when `table` has them (their values are still checked); a block
// keyword without a block, or a value keyword with one, is an error.
template <class T>
void bindBlock(Block block, std::span<const Statement> body, std::span<const Keyword<T>> table,
               T& target, BindContext& ctx) {
  for (const Statement& s : body) {
    if (s.keyword.empty()) continue;  // a '{' without a keyword: already reported
    ctx.noteInScope(s);
    if (!ctx.admit(block, s, findKeyword(block, s.keyword))) continue;
    const Keyword<T>* k = nullptr;
    for (const Keyword<T>& candidate : table) {
      if (candidate.name == s.keyword) k = &candidate;
    }
    if (k == nullptr) continue;  // warned, with nothing to check
    if (k->shape == Shape::Block && !s.block) {
      ctx.error(s, -1, "missing '{' after '" + s.keyword + "'");
      continue;
    }
    if (k->shape == Shape::Value && s.block) {
      ctx.error(s, -1, "'" + s.keyword + "' takes no block (its block is skipped)");
      continue;
    }
    k->bind(s, target, ctx);
  }
}

// The names in a bind table, for the keyword-table test.
template <class T, std::size_t N>
std::vector<std::string_view> namesOf(const std::array<Keyword<T>, N>& table) {
  std::vector<std::string_view> out;
  out.reserve(N);
  for (const Keyword<T>& k : table) out.push_back(k.name);
  return out;
}

// Joins bind tables that share a target type, at compile time.
template <class T, std::size_t... N>
constexpr auto concat(const std::array<T, N>&... tables) {
  std::array<T, (N + ...)> out{};
  std::size_t i = 0;
  ((std::copy(tables.begin(), tables.end(), out.begin() + static_cast<std::ptrdiff_t>(i)), i += N),
   ...);
  return out;
}

}  // namespace keel::conf
