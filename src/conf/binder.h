// The binder: keyword tables that turn the statement tree of a keepalived.conf into a
// model::Config (docs/reference/keepalived.md §1.5-1.14), applying keepalived's defaults, aliases
// and inheritance and reporting every problem as a diagnostic. Which keywords exist, and which
// keel refuses or only warns about, is the keyword table's (keyword_table.h). Pure; one thread.
#pragma once

#include <string_view>
#include <vector>

#include "conf/bind_context.h"
#include "conf/diagnostics.h"
#include "conf/keyword_table.h"
#include "conf/source_index.h"
#include "conf/statement.h"
#include "model/config.h"

namespace keel::conf {

// Binds the top-level statements of one configuration, one at a time.
class Binder {
 public:
  // `index`, when given, is told where the blocks and checked statements are (source_index.h).
  explicit Binder(Diagnostics& diags, SourceIndex* index = nullptr)
      : ctx_(diags, index != nullptr ? index : &own_index_) {}

  void bind(const Statement& top_level, model::Config& config);
  // What needs the whole file bound: the settings given to every checker (the SSL block,
  // checker_log_all_failures), and the checks of refused combinations of settings from several
  // blocks, reported at their statements, else at `file`.
  void finish(model::Config& config, const std::string& file);

 private:
  void warnIgnoredTracks(const model::Config& config, const std::string& file);

  SourceIndex own_index_;  // when the caller wants none
  BindContext ctx_;
};

model::Config bindConfig(const std::vector<Statement>& tree, Diagnostics& diags);

// The keywords `block`'s bind table has: the keyword table's Implemented rows for the block, and
// Warned ones whose values are checked (a unit test holds them to that).
std::vector<std::string_view> boundKeywords(Block block);

}  // namespace keel::conf
