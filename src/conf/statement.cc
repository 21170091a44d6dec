#include "conf/statement.h"

#include <functional>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace keel::conf {

Statement::~Statement() {
  if (!block || block->empty()) return;
  std::vector<std::vector<Statement>> pending;
  pending.push_back(std::move(*block));
  block.reset();
  while (!pending.empty()) {
    std::vector<Statement> list = std::move(pending.back());
    pending.pop_back();
    for (Statement& s : list) {
      if (s.block && !s.block->empty()) pending.push_back(std::move(*s.block));
      s.block.reset();
    }
  }  // each `list` dies holding statements without blocks
}

Location Statement::at(int i) const {
  Location loc = where;
  if (column_base < 0) return {where.file, where.line, 0};
  const Token* tok = i < 0 || static_cast<std::size_t>(i) >= args.size()
                         ? nullptr
                         : &args[static_cast<std::size_t>(i)];
  if (tok != nullptr) loc.col = tok->col + column_base;
  return loc;
}

namespace {

// What a diagnostic shows: the file's line when the text maps back to it, else the expansion.
std::string_view sourceOf(const LogicalLine& l) {
  return l.column_base < 0 ? l.text() : std::string_view(l.source);
}

// Builds the tree with a stack of open blocks. `last` is the statement a '{' would belong to: the
// one just read, if nothing has come between it and the brace.
class Builder {
 public:
  Builder(Diagnostics& diags, const std::function<void(Statement&&)>& sink, Budget& budget)
      : diags_(diags), sink_(sink), budget_(budget) {
    open_.push_back({&root_, nullptr});
  }

  // False once the budget is spent: the caller stops feeding lines.
  bool line(const LogicalLine& l) {
    Location where{l.where.file, l.where.line, 0};
    if (!budget_.inTime(where, sourceOf(l))) return false;
    std::vector<Token> tokens = tokenize(l.text(), where, diags_);
    std::vector<Token> run;
    run.reserve(tokens.size());
    for (Token& t : tokens) {
      if (t.isOpen() || t.isClose()) {
        flush(l, run);
        t.isOpen() ? open(l, t) : close(l, t);
        if (budget_.spent()) return false;
      } else {
        run.push_back(std::move(t));
      }
    }
    flush(l, run);
    return true;
  }

  void finish() {
    if (budget_.spent()) return;  // the tree is incomplete: its open blocks say nothing more
    for (std::size_t i = 1; i < open_.size(); ++i) {
      const Statement* s = open_[i].owner;
      std::string name = s->keyword.empty() ? "'{'" : fmt::format("'{}'", s->keyword);
      diags_.error(s->where, fmt::format("missing '}}' for the block of {} opened here", name),
                   std::string(s->source));
    }
    release();
  }

 private:
  struct Open {
    std::vector<Statement>* list;
    const Statement* owner;  // null for the top level
  };

  Location locate(const LogicalLine& l, const Token& t) const {
    return {l.where.file, l.where.line, l.column_base < 0 ? 0 : t.col + l.column_base};
  }

  // Hands the finished top-level statement, if any, to the sink: root_ holds at most one, so a
  // big configuration is never held as a whole tree.
  void release() {
    last_ = nullptr;
    for (Statement& s : root_) sink_(std::move(s));
    root_.clear();
  }

  void flush(const LogicalLine& l, std::vector<Token>& run) {
    if (run.empty()) return;
    if (open_.size() == 1) release();  // a new top-level statement: the previous one is done
    Statement s;
    s.where = locate(l, run.front());
    s.keyword = std::move(run.front().text);
    run.erase(run.begin());
    s.args = std::exchange(run, {});
    s.source = sourceOf(l);
    s.column_base = l.column_base;
    open_.back().list->push_back(std::move(s));
    last_ = &open_.back().list->back();
  }

  void open(const LogicalLine& l, const Token& brace) {
    if (open_.size() > static_cast<std::size_t>(budget_.limits().max_block_depth)) {
      budget_.breach(locate(l, brace), sourceOf(l),
                     fmt::format("blocks nested deeper than {}", budget_.limits().max_block_depth),
                     "nesting");
      return;
    }
    if (last_ == nullptr || last_->block) {
      if (open_.size() == 1) release();
      diags_.error(locate(l, brace), "'{' without a keyword before it", std::string(sourceOf(l)));
      Statement anonymous;
      anonymous.where = locate(l, brace);
      anonymous.source = sourceOf(l);
      open_.back().list->push_back(std::move(anonymous));
      last_ = &open_.back().list->back();
    }
    last_->block.emplace();
    open_.push_back({&*last_->block, last_});
    last_ = nullptr;
  }

  void close(const LogicalLine& l, const Token& brace) {
    last_ = nullptr;
    if (open_.size() == 1) {
      diags_.error(locate(l, brace), "extra '}' with no block to close", std::string(sourceOf(l)));
      return;
    }
    open_.pop_back();
    if (open_.size() == 1) release();  // a top-level block closed: nothing can attach to it
  }

  Diagnostics& diags_;
  const std::function<void(Statement&&)>& sink_;
  Budget& budget_;
  std::vector<Statement> root_;
  std::vector<Open> open_;
  Statement* last_ = nullptr;
};

}  // namespace

void buildStatements(const std::vector<LogicalLine>& lines, Diagnostics& diags,
                     const std::function<void(Statement&&)>& sink, Budget* budget) {
  std::optional<Budget> own;
  if (budget == nullptr) budget = &own.emplace(Budgets{}, diags);
  Builder b(diags, sink, *budget);
  for (const LogicalLine& l : lines) {
    if (!b.line(l)) break;
  }
  b.finish();
}

std::vector<Statement> buildStatements(const std::vector<LogicalLine>& lines, Diagnostics& diags,
                                       Budget* budget) {
  std::vector<Statement> tree;
  buildStatements(
      lines, diags, [&tree](Statement&& s) { tree.push_back(std::move(s)); }, budget);
  return tree;
}

}  // namespace keel::conf
