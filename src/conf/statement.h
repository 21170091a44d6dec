// Statements: the block structure of a configuration, built from logical lines before any
// keyword is looked at.
//
// A statement is a keyword, its arguments up to the end of the line or the next brace, and
// optionally a block `{ ... }` of statements, which may open on the keyword's line or on the
// next one. Text after a brace is read as a new statement, as keepalived does, so
// `real_server 1.2.3.4 80 { weight 1` and `url { path / }` work. A '{' with no statement before
// it, a '}' with no block to close and a block left open at the end are errors; the tree keeps
// going so later problems are reported too. Blocks nest at most Budgets::max_block_depth deep (a
// breach stops the parse), and a tree is destroyed without recursion. Pure; one thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/budget.h"
#include "conf/diagnostics.h"
#include "conf/lexer.h"
#include "conf/preprocessor.h"

namespace keel::conf {

struct Statement {
  Statement() = default;
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;
  Statement(const Statement&) = default;
  Statement& operator=(const Statement&) = default;
  ~Statement();  // iterative: however deep the tree, the stack does not grow

  std::string keyword;      // empty for a block that had no keyword before its '{'
  std::vector<Token> args;  // columns are the logical line's
  Location where;           // the keyword's place: column in the file when it maps back, else 0
  // The line to show under a diagnostic: a view into the LogicalLine the statement came from, so
  // REQUIRES: the lines given to buildStatements() outlive the statements.
  std::string_view source;
  int column_base = -1;  // as LogicalLine::column_base: file column = token col + base
  std::optional<std::vector<Statement>> block;

  // The file location of argument `i` (or of the keyword for i < 0), for diagnostics.
  Location at(int i) const;
};

// REQUIRES: `lines` outlives the returned statements (they keep views into it). `budget`, when
// given, is the parse's; otherwise the default budgets apply.
std::vector<Statement> buildStatements(const std::vector<LogicalLine>& lines, Diagnostics& diags,
                                       Budget* budget = nullptr);

// The same, handing each top-level statement to `sink` as soon as it is complete, so that a large
// configuration can be bound without holding its whole tree. Stops when the budget is spent.
void buildStatements(const std::vector<LogicalLine>& lines, Diagnostics& diags,
                     const std::function<void(Statement&&)>& sink, Budget* budget = nullptr);

}  // namespace keel::conf
