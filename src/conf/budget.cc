#include "conf/budget.h"

#include <fmt/format.h>

namespace keel::conf {

namespace {

constexpr unsigned kClockEvery = 256;  // calls between two readings of the clock

}  // namespace

Budget::Budget(const Budgets& budgets, Diagnostics& diags, const base::Clock* clock,
               const std::atomic<bool>* cancel)
    : limits_(budgets), diags_(diags), clock_(clock), cancel_(cancel) {
  diags_.setLimit(limits_.max_diagnostics);
  if (clock_ != nullptr) deadline_ = clock_->now() + limits_.max_wall_time;
}

bool Budget::chargeLine(const Location& where, std::string_view source, std::size_t bytes) {
  if (spent()) return false;
  if (lines_ >= limits_.max_lines) {
    breach(where, source, fmt::format("more than {} lines", limits_.max_lines), "line");
    return false;
  }
  if (bytes > limits_.max_expanded_bytes - bytes_) {
    breach(where, source, fmt::format("more than {} bytes of lines", limits_.max_expanded_bytes),
           "expanded-bytes");
    return false;
  }
  ++lines_;
  bytes_ += bytes;
  return inTime(where, source);
}

bool Budget::chargeIteration(const Location& where, std::string_view source) {
  if (spent()) return false;
  if (iterations_ >= limits_.max_iterations) {
    breach(where, source, fmt::format("more than {} generator iterations", limits_.max_iterations),
           "generator");
    return false;
  }
  ++iterations_;
  return inTime(where, source);
}

bool Budget::inTime(const Location& where, std::string_view source) {
  if (spent()) return false;
  if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
    spent_ = true;
    diags_.error(where, "reading cancelled: keeld is stopping", std::string(source));
    return false;
  }
  if (clock_ == nullptr || ++calls_ % kClockEvery != 0) return true;
  if (clock_->now() < deadline_) return true;
  auto seconds = std::chrono::duration<double>(limits_.max_wall_time).count();
  breach(where, source, fmt::format("more than {:g} s of reading", seconds), "time");
  return false;
}

void Budget::breach(const Location& where, std::string_view source, std::string_view what,
                    std::string_view name) {
  if (spent()) return;
  spent_ = true;
  Location at = where;
  if (at.col == 0 && at.line > 0) at.col = firstColumn(source);
  diags_.error(at, fmt::format("{} (the {} budget); reading stops here", what, name),
               std::string(source));
}

int firstColumn(std::string_view line) {
  auto p = line.find_first_not_of(" \t");
  return p == std::string_view::npos ? 1 : static_cast<int>(p) + 1;
}

}  // namespace keel::conf
