// The machinery the keyword tables are written with: a table is an array of Keyword<T> — a name,
// whether it takes a block, and a small function that binds one statement into a T — and
// bindBlock() walks a block's statements through one. Argument helpers check counts and parse
// values, reporting every problem at the offending token. Internal to conf; one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "conf/diagnostics.h"
#include "conf/statement.h"
#include "model/common.h"

namespace keel::conf {

class BindContext {
 public:
  explicit BindContext(Diagnostics& diags) : diags_(diags) {}

  void error(const Statement& s, int arg, std::string message);
  void warning(const Statement& s, int arg, std::string message);

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
};

enum class Shape { Value, Block };

template <class T>
struct Keyword {
  std::string_view name;
  Shape shape;
  void (*bind)(const Statement& s, T& target, BindContext& ctx);
};

// Keywords keepalived has that keel recognises but does not implement yet, per block: a warning,
// never a silent drop.
bool notSupportedYet(std::string_view block, std::string_view keyword);

// Binds each statement of `body` through `table`. Unknown keywords are errors and their block is
// skipped whole (a deliberate improvement over keepalived, which parses an unknown block's body
// into the enclosing block); a block keyword without a block, or a value keyword with one, is an
// error too.
// `fallback`, when given, is offered each keyword the table does not have, before it is reported.
template <class T>
void bindBlock(std::string_view block, std::span<const Statement> body,
               std::span<const Keyword<T>> table, T& target, BindContext& ctx,
               bool (*fallback)(const Statement&, T&, BindContext&) = nullptr) {
  for (const Statement& s : body) {
    if (s.keyword.empty()) continue;  // a '{' without a keyword: already reported
    const Keyword<T>* k = nullptr;
    for (const Keyword<T>& candidate : table) {
      if (candidate.name == s.keyword) k = &candidate;
    }
    if (k == nullptr) {
      if (fallback != nullptr && !s.block && fallback(s, target, ctx)) continue;
      if (notSupportedYet(block, s.keyword)) {
        ctx.warning(s, -1, "'" + s.keyword + "' is not supported by keel yet - ignoring");
      } else {
        ctx.error(s, -1,
                  "unknown keyword '" + s.keyword + "' in " + std::string(block) +
                      (s.block ? " (its block is skipped)" : ""));
      }
      continue;
    }
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

}  // namespace keel::conf
