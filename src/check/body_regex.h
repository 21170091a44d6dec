// BodyRegex: the regex verdict of one HTTP_GET/SSL_GET url over a body that arrives in pieces
// (docs/health-checks.md, "regex"), as keepalived matches it: PCRE2 partial matching, so a match
// that straddles two reads is found, within regex_min_offset and regex_max_offset.
//
// Pure: no I/O, no clock. Memory is bounded: it holds only the bytes a match could still start in
// (a partial match and the pattern's lookbehind), at most kMaxWindow bytes; a partial match that
// grows past that is abandoned, as keepalived abandons one longer than its read buffer. The body
// it sees is the message's content (chunk framing removed). Owned by one probe; not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/regex.h"
#include "model/virtual_server.h"

namespace keel::check {

class BodyRegex {
 public:
  static constexpr std::size_t kMaxWindow = 64 * 1024;

  // REQUIRES: `regex` was compiled from spec.pattern and spec.options.
  BodyRegex(std::shared_ptr<const base::Regex> regex, const model::HttpRegex& spec);
  ~BodyRegex();
  BodyRegex(const BodyRegex&) = delete;
  BodyRegex& operator=(const BodyRegex&) = delete;

  // The next bytes of the body.
  void feed(std::string_view bytes);
  // The body has ended: settles a match that needed to know the end (`$`, a greedy tail).
  void finish();

  // True once the pattern matched, starting at or after min_offset and at or before max_offset.
  bool matched() const { return matched_; }
  // True once no further byte can change matched().
  bool decided() const { return decided_; }
  // PCRE2's words when matching failed with an error (a match limit, bad UTF-8 with utf).
  const std::string& error() const { return error_; }

 private:
  void run(bool partial);
  void onPartial(std::size_t start);
  void keepTail(std::size_t keep);
  // The bytes kept before where a match may start: the pattern's lookbehind, and at least the
  // one byte `^`, `\b` and `\B` look at (so a later read is never taken for the body's start).
  std::size_t context() const { return std::max<std::size_t>(regex_->maxLookbehind(), 1); }
  void decide(bool matched) {
    matched_ = matched;
    decided_ = true;
    window_.clear();
  }

  std::shared_ptr<const base::Regex> regex_;
  std::uint64_t min_offset_;
  std::optional<std::uint64_t> max_offset_;
  pcre2_match_data* match_data_ = nullptr;
  pcre2_match_context* context_ = nullptr;
  pcre2_jit_stack* jit_stack_ = nullptr;

  std::string window_;      // the bytes a match may still start in (with lookbehind before)
  std::uint64_t base_ = 0;  // the body offset of window_[0]
  std::size_t start_ = 0;   // where in window_ the next attempt starts
  bool matched_ = false;
  bool decided_ = false;
  std::string error_;
};

}  // namespace keel::check
