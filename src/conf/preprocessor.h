// The preprocessor: turns a keepalived.conf and everything it includes into the logical lines the
// parser reads, doing what keepalived does before it looks at keywords
// (docs/reference/keepalived.md §1.2-1.3):
//
// - `include` / `includer|m|w|b|a PATTERN`: glob(3) with braces, relative to the including file;
//   detected on the raw line, before conditionals and macros, as keepalived does.
// - `@ID line` / `@^ID line`: kept only when ID is (is not) the config id.
// - `$NAME=VALUE` and multi-line `$NAME= \` definitions; `$NAME` / `${NAME}` expanded late and
//   recursively; undefined names left as written; ${_PWD} ${_INSTANCE} ${_RANDOM [MIN [MAX]]}
//   ${_ENV VAR} ${_HASH} ${_BANG}.
// - `~SEQ(var, [start,] [step,] end)`, `~SEQx(...)` and `~LST(var, v1, ...)` /
//   `~LST({a,b}, {1,2}, ...)` generators at the start of a line.
//
// A config file is untrusted: include loops (by device and inode) are errors, and include depth,
// total size, expansion depth and size, lines, generator iterations and time are budgets
// (budget.h) whose breach is a diagnostic, never a crash, a hang or unbounded memory. One
// Preprocessor serves one parse; one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "conf/budget.h"
#include "conf/diagnostics.h"
#include "conf/source.h"

namespace keel::conf {

struct LogicalLine {
  Location where;        // the file and line it came from (col 0); for expansions, the use site
  std::string source;    // the physical line as written, for diagnostics
  std::string expanded;  // the text, when expansion produced it (column_base < 0)
  // Where the text starts in `source` when it is a verbatim part of it (columns then map back to
  // the file), and its length; column_base is -1 when the text is `expanded`.
  int column_base = -1;
  int length = 0;

  // The line after conditionals, definitions, expansion and generators.
  std::string_view text() const {
    if (column_base < 0) return expanded;
    return std::string_view(source).substr(static_cast<std::size_t>(column_base),
                                           static_cast<std::size_t>(length));
  }
};

struct PreprocessOptions {
  std::string config_id;  // for @ID lines and ${_INSTANCE}; keeld passes -i or the short host name
  SourceLimits limits;
  Budgets budgets;                            // the whole parse's (budget.h)
  const base::Clock* clock = nullptr;         // for the wall-time budget; null: none
  const std::atomic<bool>* cancel = nullptr;  // set by another thread: stop reading (budget.h)
  // ${_ENV VAR}; null means no environment (nothing is defined).
  std::function<std::optional<std::string>(const std::string&)> env;
  std::uint32_t random_seed = 1;  // ${_RANDOM}: deterministic per seed
  bool all_config = false;        // keeld -e: every include must match a file
};

class Preprocessor {
 public:
  // `budget`, when given, is the parse's (shared with the later stages); otherwise the
  // preprocessor keeps its own from options.budgets.
  explicit Preprocessor(PreprocessOptions options, Budget* budget = nullptr);

  // Reads `main_file` and what it includes. Errors: the main file cannot be read at all
  // (NotFound when it is missing, so `keeld -t` can answer as keepalived does). Everything else
  // goes to `diags`.
  base::Result<std::vector<LogicalLine>> run(const std::string& main_file, Diagnostics& diags);

  // Preprocesses `text` as though it were the file `name` (includes resolve against its folder).
  std::vector<LogicalLine> runText(const std::string& name, std::string_view text,
                                   Diagnostics& diags);

 private:
  struct Definition {
    std::vector<std::string> lines;  // one line unless defined with `$NAME= \`
  };
  struct FileContext {
    FileName path;
    std::string dir;  // ${_PWD} and the base of relative includes
  };
  struct Pending {  // a multi-line definition being read
    std::string name;
    std::vector<std::string> lines;
  };

  // Consumes `lines`: a plain line's text moves into the output instead of being copied.
  void processLines(const FileContext& file, std::vector<SourceLine>& lines);
  void processPhysical(const FileContext& file, SourceLine& line);
  bool outputPlain(const FileContext& file, SourceLine& line);
  bool handleInclude(const FileContext& file, const SourceLine& line);
  void includeFile(const std::string& path, const Location& from, const std::string& source,
                   bool must_read);
  void emit(const FileContext& file, const SourceLine& line, const std::string& text, int depth);
  bool handleDefinition(std::string_view text);
  bool handleGenerator(const FileContext& file, const SourceLine& line, std::string_view text,
                       int depth);
  base::Result<std::string> expand(const FileContext& file, std::string_view text, int depth);
  base::Result<std::string> predefined(const FileContext& file, std::string_view inner);
  void output(const FileContext& file, const SourceLine& line, std::string text, int column_base);
  void error(const FileContext& file, const SourceLine& line, std::string message);
  void start(Diagnostics& diags);

  PreprocessOptions options_;
  Diagnostics* diags_ = nullptr;
  std::map<std::string, Definition> defs_;
  std::optional<Pending> pending_;
  std::vector<std::pair<dev_t, ino_t>> open_files_;  // the include stack, for loop detection
  std::size_t total_bytes_ = 0;
  Budget* budget_ = nullptr;
  std::optional<Budget> own_budget_;
  std::vector<LogicalLine> out_;
  std::minstd_rand random_;
};

}  // namespace keel::conf
