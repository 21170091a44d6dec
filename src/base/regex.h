// base::Regex: one compiled PCRE2 pattern (8-bit code units) with keepalived's regex_options
// vocabulary (docs/health-checks.md, "regex"). The config binder compiles a url's pattern to
// report a bad one as a config error; the HTTP checker compiles it again to match bodies.
//
// Immutable once compiled: any thread may read it; matching needs per-caller match data (see
// check/body_regex.h). JIT-compiled (complete and hard-partial matching) when PCRE2 has a JIT.
#pragma once

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace keel::base {

class Regex {
 public:
  // The PCRE2 compile flag of a keepalived regex_options name ("caseless", "multiline", ...);
  // nullopt for a name keepalived does not accept.
  static std::optional<std::uint32_t> optionFlag(std::string_view name);

  // Errors: InvalidArgument naming an unknown option, or PCRE2's message with the offset in the
  // pattern where it failed ("missing closing parenthesis at offset 3").
  static Result<std::shared_ptr<const Regex>> compile(std::string_view pattern,
                                                      std::span<const std::string> options);

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  const pcre2_code* code() const { return code_; }
  // How many bytes before a match's start the pattern may look at (lookbehinds, \b).
  std::size_t maxLookbehind() const { return max_lookbehind_; }
  bool jit() const { return jit_; }

 private:
  Regex(pcre2_code* code, std::size_t lookbehind, bool jit)
      : code_(code), max_lookbehind_(lookbehind), jit_(jit) {}

  pcre2_code* code_;
  std::size_t max_lookbehind_;
  bool jit_;
};

}  // namespace keel::base
