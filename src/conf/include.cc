// Preprocessor: `include` and its checking variants (docs/reference/keepalived.md §1.2).
#include <glob.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "conf/lexer.h"
#include "conf/preprocessor.h"

namespace keel::conf {

namespace {

// What an include variant insists on (keepalived's include_check options).
struct IncludeChecks {
  bool readable = false;        // includer: every match must be readable
  bool match = false;           // includem: a plain file name must exist
  bool wildcard_match = false;  // includew: a wildcard must match something
  bool brace_match = false;     // includeb: a brace expression must match something
};

std::optional<IncludeChecks> includeKind(std::string_view keyword) {
  if (keyword == "include") return IncludeChecks{};
  if (keyword == "includer") return IncludeChecks{.readable = true};
  if (keyword == "includem") return IncludeChecks{.match = true};
  if (keyword == "includew") return IncludeChecks{.wildcard_match = true};
  if (keyword == "includeb") return IncludeChecks{.brace_match = true};
  if (keyword == "includea") return IncludeChecks{true, true, true, true};
  return std::nullopt;
}

// The files `pattern` names, sorted (glob(3) with csh braces; no match is an empty list).
std::vector<std::string> expandPattern(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), GLOB_BRACE | GLOB_ERR, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

}  // namespace

bool Preprocessor::handleInclude(const FileContext& file, const SourceLine& line) {
  auto first = line.text.find_first_not_of(" \t");
  if (first == std::string::npos || line.text[first] != 'i') return false;  // the common case
  // The pattern is the rest of the line: the lexer would split csh braces ("{a,b}") into tokens.
  std::string_view body = stripComment(line.text);
  body.remove_prefix(std::min(body.size(), body.find_first_not_of(" \t")));
  std::string_view keyword = body.substr(0, body.find_first_of(" \t"));
  auto checks = includeKind(keyword);
  if (!checks) return false;
  std::string_view arg = body.substr(keyword.size());
  arg.remove_prefix(std::min(arg.size(), arg.find_first_not_of(" \t")));
  arg = arg.substr(0, arg.find_last_not_of(" \t") + 1);
  if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"')
    arg = arg.substr(1, arg.size() - 2);
  if (arg.empty() || (body.find('"') == std::string_view::npos &&
                      arg.find_first_of(" \t") != std::string_view::npos)) {
    error(file, line, fmt::format("{} needs exactly one file name or pattern", keyword));
    return true;
  }
  std::string written(arg);
  std::string pattern = written.starts_with('/') ? written : file.dir + "/" + written;
  std::vector<std::string> matches = expandPattern(pattern);
  if (matches.empty()) {
    bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
    bool braces = pattern.find('{') != std::string::npos;
    bool required = options_.all_config || (checks->match && !wildcard && !braces) ||
                    (checks->wildcard_match && wildcard) || (checks->brace_match && braces);
    std::string message = fmt::format("include {} matched no file", written);
    if (required) {
      error(file, line, message);
    } else {
      diags_->warning({file.path, line.number, firstColumn(line.text)}, message + " (ignored)",
                      line.text);
    }
    return true;
  }
  for (const std::string& path : matches) {
    if (budget_->spent()) break;
    includeFile(path, {file.path, line.number, firstColumn(line.text)}, line.text,
                checks->readable);
  }
  return true;
}

void Preprocessor::includeFile(const std::string& path, const Location& from,
                               const std::string& source, bool must_read) {
  const Budgets& limits = budget_->limits();
  if (open_files_.size() > static_cast<std::size_t>(limits.max_include_depth)) {
    diags_->error(from,
                  fmt::format("includes nested deeper than {} (the include-depth budget)",
                              limits.max_include_depth),
                  source);
    return;
  }
  auto file = readSource(path, options_.limits, *diags_);
  if (!file) {
    std::string message = fmt::format("cannot include {}", file.error().str());
    if (must_read || file.error().code != base::ErrorCode::NotFound) {
      diags_->error(from, message, source);
    } else {
      diags_->warning(from, message, source);
    }
    return;
  }
  auto id = std::make_pair(file->device, file->inode);
  if (std::find(open_files_.begin(), open_files_.end(), id) != open_files_.end()) {
    diags_->error(from, fmt::format("include loop: {} is already being read", path), source);
    return;
  }
  for (const SourceLine& l : file->lines) total_bytes_ += l.text.size() + 1;
  if (total_bytes_ > limits.max_total_bytes) {
    budget_->breach(from, source,
                    fmt::format("more than {} bytes of files", limits.max_total_bytes),
                    "file-bytes");
    return;
  }
  open_files_.push_back(id);
  std::string dir = std::filesystem::path(path).parent_path().string();
  processLines({path, dir.empty() ? "." : dir}, file->lines);
  open_files_.pop_back();
}

}  // namespace keel::conf
