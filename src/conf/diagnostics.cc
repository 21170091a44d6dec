#include "conf/diagnostics.h"

#include <fmt/format.h>

namespace keel::conf {

const std::shared_ptr<const std::string>& FileName::empty() {
  static const auto kEmpty = std::make_shared<const std::string>();
  return kEmpty;
}

std::string_view severityName(Severity severity) {
  switch (severity) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
  }
  return "error";
}

namespace {

// Spaces under every character before column `col`, except that tabs stay tabs.
std::string caretPrefix(std::string_view source_line, int col) {
  std::string prefix;
  for (int i = 0; i + 1 < col && static_cast<std::size_t>(i) < source_line.size(); ++i) {
    prefix += source_line[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
  }
  return prefix;
}

}  // namespace

std::string render(const Diagnostic& d) {
  std::string out;
  if (d.where.col > 0) {
    out = fmt::format("{}:{}:{}: {}: {}\n", d.where.file.str(), d.where.line, d.where.col,
                      severityName(d.severity), d.message);
  } else if (d.where.line > 0) {
    out = fmt::format("{}:{}: {}: {}\n", d.where.file.str(), d.where.line, severityName(d.severity),
                      d.message);
  } else {
    out = fmt::format("{}: {}: {}\n", d.where.file.str(), severityName(d.severity), d.message);
  }
  if (!d.source_line.empty()) {
    out += fmt::format("    {}\n", d.source_line);
    if (d.where.col > 0) out += fmt::format("    {}^\n", caretPrefix(d.source_line, d.where.col));
  }
  return out;
}

void Diagnostics::error(Location where, std::string message, std::string source_line) {
  add({Severity::Error, std::move(where), std::move(message), std::move(source_line)});
}

void Diagnostics::warning(Location where, std::string message, std::string source_line) {
  add({Severity::Warning, std::move(where), std::move(message), std::move(source_line)});
}

void Diagnostics::add(Diagnostic d) {
  if (full_) return;
  if (all_.size() >= max_) {
    full_ = true;
    d.severity = Severity::Error;
    d.message =
        fmt::format("more than {} diagnostics (the diagnostics budget); reading stops here", max_);
  }
  if (d.severity == Severity::Error) ++errors_;
  all_.push_back(std::move(d));
}

std::string Diagnostics::renderAll() const {
  std::string out;
  for (const Diagnostic& d : all_) out += render(d);
  return out;
}

}  // namespace keel::conf
