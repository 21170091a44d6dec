// Diagnostics: every problem the config reader finds, collected (not thrown) and rendered as
// `file:line:col: severity: message`, then the source line and a caret under the column.
//
// The reader keeps going after a problem so that one run reports them all; `keeld -t` prints the
// rendered list and derives its exit code from the worst severity. Owned by one parse; one
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace keel::conf {

enum class Severity { Error, Warning };

std::string_view severityName(Severity severity);

// A file's name, shared by every location in it: a config of a million lines holds one copy.
class FileName {
 public:
  FileName() : name_(empty()) {}
  FileName(std::string name)  // NOLINT(google-explicit-constructor): names are written as strings
      : name_(std::make_shared<const std::string>(std::move(name))) {}
  FileName(const char* name)
      : FileName(std::string(name)) {}  // NOLINT(google-explicit-constructor)

  const std::string& str() const { return *name_; }
  operator const std::string&() const { return *name_; }  // NOLINT(google-explicit-constructor)
  friend bool operator==(const FileName& a, const FileName& b) { return *a.name_ == *b.name_; }
  friend bool operator==(const FileName& a, const std::string& b) { return *a.name_ == b; }
  friend std::ostream& operator<<(std::ostream& os, const FileName& f) { return os << *f.name_; }

 private:
  static const std::shared_ptr<const std::string>& empty();
  std::shared_ptr<const std::string> name_;
};

// A place in a config file. Lines and columns count from 1; column 0 means "the whole line".
struct Location {
  FileName file;
  int line = 0;
  int col = 0;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  Location where;
  std::string message;
  std::string source_line;  // the line as read (without its end of line); may be empty
};

// Renders one diagnostic:
//   keepalived.conf:12:5: error: unknown keyword 'prioritty'
//       prioritty 100
//       ^
// The caret line keeps the source line's tabs so the caret stands under the column however the
// terminal expands them. No source line, no caret.
std::string render(const Diagnostic& d);

class Diagnostics {
 public:
  void error(Location where, std::string message, std::string source_line = {});
  void warning(Location where, std::string message, std::string source_line = {});
  void add(Diagnostic d);

  // At most `max` diagnostics are kept: the next one is replaced by an error saying the
  // diagnostics budget is spent, and full() turns true (the reader stops, budget.h).
  void setLimit(std::size_t max) { max_ = max; }
  bool full() const { return full_; }

  const std::vector<Diagnostic>& all() const { return all_; }
  std::size_t errors() const { return errors_; }
  std::size_t warnings() const { return all_.size() - errors_; }
  bool empty() const { return all_.empty(); }

  // Every diagnostic rendered, in the order found.
  std::string renderAll() const;

 private:
  std::vector<Diagnostic> all_;
  std::size_t errors_ = 0;
  std::size_t max_ = SIZE_MAX;
  bool full_ = false;
};

}  // namespace keel::conf
