// Whole-parse budgets: a configuration file is untrusted input, so one parse may only spend so
// much — bytes read and produced, lines, generator iterations, nesting of blocks, includes and
// macros, diagnostics and wall time. Every breach is one error at the file:line:col where it
// happened, naming the budget, and reading stops there (the configuration is then rejected).
// The defaults are far above any real configuration (docs/configuration.md "Limits"): a
// 2,277-virtual-server, 37,205-real-server file spends a few percent of each.
//
// One Budget serves one parse and is shared by the preprocessor, the statement builder and the
// binder; one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "conf/diagnostics.h"

namespace keel::conf {

struct Budgets {
  std::size_t max_total_bytes = 64 << 20;     // all files read, together
  std::size_t max_expanded_bytes = 64 << 20;  // all logical lines produced, text and source
  std::size_t max_line_bytes = 1 << 20;       // one line after macro expansion
  std::size_t max_lines = 2'000'000;          // logical lines produced
  std::size_t max_iterations = 1'000'000;     // ~SEQ/~LST iterations, all generators together
  int max_block_depth = 32;                   // blocks nested in blocks
  int max_include_depth = 32;                 // files including files
  int max_expansion_depth = 32;               // macro uses, multi-line replays, generators
  std::size_t max_diagnostics = 1000;         // errors and warnings together
  base::Duration max_wall_time = std::chrono::seconds(30);  // with a clock only
};

class Budget {
 public:
  // `clock` may be null: no wall-time budget (tests, fuzzing). Diagnostics beyond
  // max_diagnostics are dropped and stop the parse. `cancel`, when given, may be set by another
  // thread to stop the parse at the next line (keeld stopping while a reload reads).
  Budget(const Budgets& budgets, Diagnostics& diags, const base::Clock* clock = nullptr,
         const std::atomic<bool>* cancel = nullptr);

  const Budgets& limits() const { return limits_; }
  // Whether a budget is spent: every stage stops reading.
  bool spent() const { return spent_ || diags_.full(); }

  // One logical line produced, holding `bytes` of text. False once a budget is spent.
  bool chargeLine(const Location& where, std::string_view source, std::size_t bytes);
  // One iteration of a generator. False once a budget is spent.
  bool chargeIteration(const Location& where, std::string_view source);
  // How many generator iterations are left.
  std::size_t iterationsLeft() const { return limits_.max_iterations - iterations_; }
  // Checks the wall time (cheaply: the clock is read every few calls). False once spent.
  bool inTime(const Location& where, std::string_view source);

  // Reports that the budget `name` is spent (`what` says by how much) and stops the parse.
  void breach(const Location& where, std::string_view source, std::string_view what,
              std::string_view name);

 private:
  Budgets limits_;
  Diagnostics& diags_;
  const base::Clock* clock_;
  const std::atomic<bool>* cancel_;
  base::TimePoint deadline_{};
  std::size_t lines_ = 0;
  std::size_t bytes_ = 0;
  std::size_t iterations_ = 0;
  unsigned calls_ = 0;
  bool spent_ = false;
};

// The column of the first character that is not blank in `line` (1 for an empty line), so that a
// diagnostic about a whole line still names a column.
int firstColumn(std::string_view line);

}  // namespace keel::conf
