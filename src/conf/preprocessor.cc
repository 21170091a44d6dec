#include "conf/preprocessor.h"

#include <glob.h>

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "conf/lexer.h"

namespace keel::conf {

namespace {

using base::ErrorCode;
using base::makeError;

constexpr std::string_view kBlanks = " \t";

std::string_view trimLeft(std::string_view s) {
  auto p = s.find_first_not_of(kBlanks);
  return p == std::string_view::npos ? std::string_view{} : s.substr(p);
}

std::string_view trim(std::string_view s) {
  s = trimLeft(s);
  auto p = s.find_last_not_of(kBlanks);
  return p == std::string_view::npos ? std::string_view{} : s.substr(0, p + 1);
}

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::size_t nameLength(std::string_view s) {
  if (s.empty() || !isNameStart(s[0])) return 0;
  std::size_t n = 1;
  while (n < s.size() && isNameChar(s[n])) ++n;
  return n;
}

std::vector<std::string_view> splitTrimmed(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto p = s.find(sep);
    parts.push_back(trim(s.substr(0, p)));
    if (p == std::string_view::npos) return parts;
    s.remove_prefix(p + 1);
  }
}

std::string tooDeep(int max) {
  return fmt::format(
      "macro expansion nested deeper than {} (the expansion-depth budget; a definition that "
      "uses itself?)",
      max);
}

std::string dirOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// One generator: its variables and the values they take in turn, computed one iteration at a
// time so that a long ~SEQ holds no memory.
struct Generator {
  std::vector<std::string> vars;
  std::vector<std::vector<std::string>> rows;  // ~LST
  bool seq = false;                            // ~SEQ: `count` values from `start` by `step`
  bool hex = false;
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::uint64_t count = 0;

  std::uint64_t size() const { return seq ? count : rows.size(); }
  std::vector<std::string> row(std::uint64_t i) const {
    if (!seq) return rows[i];
    std::int64_t v = start + static_cast<std::int64_t>(i) * step;
    return {hex ? fmt::format("{:x}", v) : std::to_string(v)};
  }
};

base::Result<std::int64_t> parseSeqNumber(std::string_view s) {
  bool negative = s.starts_with('-');
  if (negative) s.remove_prefix(1);
  int radix = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    radix = 16;
    s.remove_prefix(2);
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, radix);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v > (std::int64_t{1} << 40)) {
    return makeError(ErrorCode::Parse, "");
  }
  return negative ? -v : v;
}

// ~SEQ(var, [start,] [step,] end): the man page's defaults for omitted start and step.
base::Result<Generator> parseSeq(std::string_view args, bool hex) {
  auto parts = splitTrimmed(args, ',');
  auto bad = [&](std::string why) {
    return makeError(ErrorCode::Parse, fmt::format("invalid ~SEQ({}): {}", args, why));
  };
  if (parts.size() < 2 || parts.size() > 4) return bad("expected (var, [start,] [step,] end)");
  if (nameLength(parts[0]) != parts[0].size()) return bad("the variable must be a name");
  std::vector<std::int64_t> n;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto v = parseSeqNumber(parts[i]);
    if (!v) return bad(fmt::format("\"{}\" is not an integer", parts[i]));
    n.push_back(*v);
  }
  std::int64_t end = n.back();
  std::int64_t start = n.size() >= 2 ? n[0] : (end < 0 ? -1 : 1);
  std::int64_t step = n.size() == 3 ? n[1] : (end < start ? -1 : 1);
  if (step == 0) return bad("the step must not be 0");
  std::int64_t count = (step > 0 ? end >= start : end <= start) ? (end - start) / step + 1 : 0;
  Generator g{{std::string(parts[0])}, {}, true, hex, start, step, 0};
  g.count = static_cast<std::uint64_t>(count);
  return g;
}

// ~LST(var, v1, v2, ...) or ~LST({a, b}, {1, 2}, {3, 4}).
base::Result<Generator> parseLst(std::string_view args) {
  auto bad = [&](std::string why) {
    return makeError(ErrorCode::Parse, fmt::format("invalid ~LST({}): {}", args, why));
  };
  Generator g;
  std::vector<std::string_view> groups;
  if (trimLeft(args).starts_with('{')) {
    for (std::string_view s = trimLeft(args); !s.empty(); s = trimLeft(s)) {
      if (!s.starts_with('{')) return bad("expected {...} groups");
      auto close = s.find('}');
      if (close == std::string_view::npos) return bad("unterminated {");
      groups.push_back(s.substr(1, close - 1));
      s = trimLeft(s.substr(close + 1));
      if (s.starts_with(',')) s.remove_prefix(1);
    }
  } else {
    for (auto part : splitTrimmed(args, ',')) groups.push_back(part);
  }
  if (groups.size() < 2) return bad("expected a variable and at least one value");
  for (auto var : splitTrimmed(groups[0], ',')) {
    if (nameLength(var) != var.size()) return bad(fmt::format("\"{}\" is not a name", var));
    g.vars.emplace_back(var);
  }
  for (std::size_t i = 1; i < groups.size(); ++i) {
    auto values = groups.size() > 1 && trimLeft(args).starts_with('{')
                      ? splitTrimmed(groups[i], ',')
                      : std::vector<std::string_view>{groups[i]};
    if (values.size() != g.vars.size()) return bad("each group needs one value per variable");
    g.rows.emplace_back(values.begin(), values.end());
  }
  return g;
}

}  // namespace

Preprocessor::Preprocessor(PreprocessOptions options, Budget* budget)
    : options_(std::move(options)), budget_(budget), random_(options_.random_seed) {}

void Preprocessor::start(Diagnostics& diags) {
  diags_ = &diags;
  if (budget_ == nullptr)
    budget_ = &own_budget_.emplace(options_.budgets, diags, options_.clock, options_.cancel);
}

base::Result<std::vector<LogicalLine>> Preprocessor::run(const std::string& main_file,
                                                         Diagnostics& diags) {
  start(diags);
  auto source = readSource(main_file, options_.limits, diags);
  if (!source) return source.error();
  total_bytes_ = 0;
  for (const SourceLine& l : source->lines) total_bytes_ += l.text.size() + 1;
  open_files_.push_back({source->device, source->inode});
  out_.reserve(source->lines.size());
  processLines({main_file, dirOf(main_file)}, source->lines);
  open_files_.clear();
  return std::move(out_);
}

std::vector<LogicalLine> Preprocessor::runText(const std::string& name, std::string_view text,
                                               Diagnostics& diags) {
  start(diags);
  std::vector<SourceLine> lines = splitLines(name, text, options_.limits, diags);
  processLines({name, dirOf(name)}, lines);
  return std::move(out_);
}

void Preprocessor::processLines(const FileContext& file, std::vector<SourceLine>& lines) {
  for (SourceLine& line : lines) {
    if (!budget_->inTime({file.path, line.number, 0}, line.text)) return;
    processPhysical(file, line);
  }
  if (pending_) {  // a multi-line definition ends with its file
    defs_[pending_->name] = {std::move(pending_->lines)};
    pending_.reset();
  }
}

// The fast path for the common line, which no preprocessing touches: no include, no '@', '$' or
// '~'. Its text moves into the output. Returns false when the line needs the full treatment.
bool Preprocessor::outputPlain(const FileContext& file, SourceLine& line) {
  std::string_view text = line.text;
  for (char c : text) {  // a plain loop: find_first_of() calls memchr once per character
    if (c == '@' || c == '$' || c == '~') return false;
  }
  auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return true;  // blank
  if (text[first] == 'i') return false;              // may be an include
  std::string_view body = trimLeft(stripComment(text));
  if (body.empty()) return true;  // a comment
  if (!budget_->chargeLine({file.path, line.number, 0}, line.text, line.text.size())) return true;
  LogicalLine out;
  out.where = Location{file.path, line.number, 0};
  out.column_base = static_cast<int>(body.data() - text.data());
  out.length = static_cast<int>(body.size());
  out.source = std::move(line.text);
  out_.push_back(std::move(out));
  return true;
}

void Preprocessor::processPhysical(const FileContext& file, SourceLine& line) {
  if (pending_) {
    std::string_view text = trim(line.text);
    bool more = text.ends_with('\\');
    if (more) text.remove_suffix(1);
    if (!trim(text).empty()) pending_->lines.emplace_back(text);
    if (!more) {
      defs_[pending_->name] = {std::move(pending_->lines)};
      pending_.reset();
    }
    return;
  }
  if (outputPlain(file, line) || handleInclude(file, line)) return;
  emit(file, line, line.text, 0);
}

void Preprocessor::emit(const FileContext& file, const SourceLine& line, const std::string& text,
                        int depth) {
  if (budget_->spent()) return;
  if (depth > budget_->limits().max_expansion_depth) {
    error(file, line, tooDeep(budget_->limits().max_expansion_depth));
    return;
  }
  std::string_view body = trimLeft(stripComment(text));
  if (body.starts_with('@')) {
    bool negate = body.size() > 1 && body[1] == '^';
    std::string_view rest = body.substr(negate ? 2 : 1);
    auto blank = rest.find_first_of(kBlanks);
    if (blank == std::string_view::npos) return;  // "@id" alone: nothing to keep
    bool match = rest.substr(0, blank) == options_.config_id;
    if (match == negate) return;
    body = trimLeft(rest.substr(blank));
  }
  if (body.empty()) return;
  if (handleDefinition(body)) return;
  if (body.starts_with('~') && handleGenerator(file, line, body, depth)) return;
  auto expanded = expand(file, body, 0);
  if (!expanded) {
    error(file, line, expanded.error().message);
    return;
  }
  if (*expanded == body) {
    int column_base = depth == 0 ? static_cast<int>(body.data() - text.data()) : -1;
    output(file, line, std::string(body), column_base);
    return;
  }
  // A substitution can produce a conditional, a definition, a generator or several lines (a
  // multi-line definition): the result is read again, as keepalived does.
  for (auto part : splitTrimmed(*expanded, '\n')) emit(file, line, std::string(part), depth + 1);
}

bool Preprocessor::handleDefinition(std::string_view text) {
  if (!text.starts_with('$')) return false;
  std::size_t n = nameLength(text.substr(1));
  if (n == 0 || text.size() <= n + 1 || text[n + 1] != '=') return false;
  std::string name(text.substr(1, n));
  std::string_view value = trim(text.substr(n + 2));
  if (value == "\\") {
    pending_ = Pending{name, {}};
  } else {
    defs_[name] = {{std::string(value)}};
  }
  return true;
}

bool Preprocessor::handleGenerator(const FileContext& file, const SourceLine& line,
                                   std::string_view text, int depth) {
  bool hex = text.starts_with("~SEQx(");
  bool seq = hex || text.starts_with("~SEQ(");
  if (!seq && !text.starts_with("~LST(")) return false;
  auto open = text.find('(');
  auto close = text.find(')', open);
  if (close == std::string_view::npos) {
    error(file, line, "unterminated generator: expected ')'");
    return true;
  }
  std::string_view args = text.substr(open + 1, close - open - 1);
  auto gen = seq ? parseSeq(args, hex) : parseLst(args);
  if (!gen) {
    error(file, line, gen.error().message);
    return true;
  }
  if (gen->size() > budget_->iterationsLeft()) {
    budget_->breach({file.path, line.number, 0}, line.text,
                    fmt::format("{} would run {} iterations, more than the {} left",
                                text.substr(0, close + 1), gen->size(), budget_->iterationsLeft()),
                    "generator");
    return true;
  }
  std::string rest(trimLeft(text.substr(close + 1)));
  std::map<std::string, std::optional<Definition>> saved;
  for (const auto& var : gen->vars) {
    auto it = defs_.find(var);
    saved[var] = it == defs_.end() ? std::nullopt : std::optional<Definition>(it->second);
  }
  for (std::uint64_t n = 0; n < gen->size(); ++n) {
    if (!budget_->chargeIteration({file.path, line.number, 0}, line.text)) break;
    std::vector<std::string> row = gen->row(n);
    for (std::size_t i = 0; i < row.size(); ++i) defs_[gen->vars[i]] = {{std::move(row[i])}};
    emit(file, line, rest, depth + 1);
  }
  for (auto& [var, def] : saved) {
    if (def) {
      defs_[var] = std::move(*def);
    } else {
      defs_.erase(var);
    }
  }
  return true;
}

base::Result<std::string> Preprocessor::expand(const FileContext& file, std::string_view text,
                                               int depth) {
  const Budgets& limits = budget_->limits();
  if (depth > limits.max_expansion_depth) {
    return makeError(ErrorCode::Parse, tooDeep(limits.max_expansion_depth));
  }
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (out.size() > limits.max_line_bytes) {
      return makeError(ErrorCode::Parse,
                       fmt::format("macro expansion longer than {} bytes (the line-bytes budget)",
                                   limits.max_line_bytes));
    }
    if (text[i] != '$') {  // the text up to the next '$' as it is
      std::size_t next = std::min(text.find('$', i), text.size());
      out.append(text.substr(i, next - i));
      i = next;
      continue;
    }
    bool braced = i + 1 < text.size() && text[i + 1] == '{';
    std::string_view inner;
    std::size_t next = 0;
    if (braced) {
      auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += text[i++];
        continue;
      }
      inner = text.substr(i + 2, close - i - 2);
      next = close + 1;
    } else {
      std::size_t n = nameLength(text.substr(i + 1));
      bool ends =
          i + 1 + n == text.size() || kBlanks.find(text[i + 1 + n]) != std::string_view::npos;
      if (n == 0 || !ends) {
        out += text[i++];
        continue;
      }
      inner = text.substr(i + 1, n);
      next = i + 1 + n;
    }
    std::optional<std::string> value;
    if (inner.starts_with('_')) {
      auto v = predefined(file, inner);
      if (!v) return v.error();
      if (!v->empty() || inner.starts_with("_ENV")) value = *v;
    } else if (auto it = defs_.find(std::string(inner)); it != defs_.end()) {
      std::string joined;
      for (const auto& l : it->second.lines) joined += (joined.empty() ? "" : "\n") + l;
      auto v = expand(file, joined, depth + 1);
      if (!v) return v.error();
      value = std::move(*v);
    }
    if (value) {
      out += *value;
    } else {
      out += text.substr(i, next - i);  // undefined: left as written
    }
    i = next;
  }
  return out;
}

base::Result<std::string> Preprocessor::predefined(const FileContext& file,
                                                   std::string_view inner) {
  auto words = splitTrimmed(inner, ' ');
  std::erase_if(words, [](std::string_view w) { return w.empty(); });
  std::string_view name = words.empty() ? inner : words[0];
  if (name == "_PWD") return file.dir;
  if (name == "_INSTANCE") return options_.config_id;
  if (name == "_HASH") return std::string("\\#");
  if (name == "_BANG") return std::string("\\!");
  if (name == "_ENV") {
    if (words.size() != 2) return makeError(ErrorCode::Parse, "${_ENV} needs one variable name");
    auto v = options_.env ? options_.env(std::string(words[1])) : std::nullopt;
    return v.value_or("");
  }
  if (name == "_RANDOM") {
    std::int64_t lo = 0;
    std::int64_t hi = 32767;
    if (words.size() > 3) return makeError(ErrorCode::Parse, "${_RANDOM [MIN [MAX]]}");
    for (std::size_t k = 1; k < words.size(); ++k) {
      auto v = parseSeqNumber(words[k]);
      if (!v || *v < 0) {
        return makeError(
            ErrorCode::Parse,
            fmt::format("${{_RANDOM}}: \"{}\" is not a non-negative integer", words[k]));
      }
      (k == 1 ? lo : hi) = *v;
    }
    if (lo > hi) {
      return makeError(ErrorCode::Parse,
                       fmt::format("${{_RANDOM {} {}}}: MIN is greater than MAX", lo, hi));
    }
    std::uniform_int_distribution<std::int64_t> pick(lo, hi);
    return std::to_string(pick(random_));
  }
  return std::string();  // unknown reserved name: left as written
}

void Preprocessor::output(const FileContext& file, const SourceLine& line, std::string text,
                          int column_base) {
  std::size_t bytes = line.text.size() + (column_base < 0 ? text.size() : 0);
  if (!budget_->chargeLine({file.path, line.number, 0}, line.text, bytes)) return;
  LogicalLine out;
  out.where = Location{file.path, line.number, 0};
  out.source = line.text;
  out.column_base = column_base;
  if (column_base < 0) {
    out.expanded = std::move(text);
  } else {
    out.length = static_cast<int>(text.size());
  }
  out_.push_back(std::move(out));
}

void Preprocessor::error(const FileContext& file, const SourceLine& line, std::string message) {
  diags_->error({file.path, line.number, firstColumn(line.text)}, std::move(message), line.text);
}

}  // namespace keel::conf
