#include "base/regex.h"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace keel::base {

namespace {

struct OptionName {
  std::string_view name;
  std::uint32_t flag;
};

// keepalived's regex_options names (man keepalived.conf), each a pcre2_compile() option.
constexpr std::array<OptionName, 24> kOptions = {{
    {"allow_empty_class", PCRE2_ALLOW_EMPTY_CLASS},
    {"alt_bsux", PCRE2_ALT_BSUX},
    {"auto_callout", PCRE2_AUTO_CALLOUT},
    {"caseless", PCRE2_CASELESS},
    {"dollar_endonly", PCRE2_DOLLAR_ENDONLY},
    {"dotall", PCRE2_DOTALL},
    {"dupnames", PCRE2_DUPNAMES},
    {"extended", PCRE2_EXTENDED},
    {"firstline", PCRE2_FIRSTLINE},
    {"match_unset_backref", PCRE2_MATCH_UNSET_BACKREF},
    {"multiline", PCRE2_MULTILINE},
    {"never_ucp", PCRE2_NEVER_UCP},
    {"never_utf", PCRE2_NEVER_UTF},
    {"no_auto_capture", PCRE2_NO_AUTO_CAPTURE},
    {"no_auto_possess", PCRE2_NO_AUTO_POSSESS},
    {"no_dotstar_anchor", PCRE2_NO_DOTSTAR_ANCHOR},
    {"no_start_optimize", PCRE2_NO_START_OPTIMIZE},
    {"ucp", PCRE2_UCP},
    {"ungreedy", PCRE2_UNGREEDY},
    {"utf", PCRE2_UTF},
    {"never_backslash_c", PCRE2_NEVER_BACKSLASH_C},
    {"alt_circumflex", PCRE2_ALT_CIRCUMFLEX},
    {"alt_verbnames", PCRE2_ALT_VERBNAMES},
    {"use_offset_limit", PCRE2_USE_OFFSET_LIMIT},
}};

std::string pcreMessage(int code) {
  std::array<PCRE2_UCHAR, 256> buf{};
  if (pcre2_get_error_message(code, buf.data(), buf.size()) < 0) {
    return fmt::format("PCRE2 error {}", code);
  }
  return std::string(reinterpret_cast<const char*>(buf.data()));
}

}  // namespace

std::optional<std::uint32_t> Regex::optionFlag(std::string_view name) {
  for (const OptionName& o : kOptions) {
    if (o.name == name) return o.flag;
  }
  return std::nullopt;
}

Result<std::shared_ptr<const Regex>> Regex::compile(std::string_view pattern,
                                                    std::span<const std::string> options) {
  std::uint32_t flags = 0;
  for (const std::string& name : options) {
    auto flag = optionFlag(name);
    if (!flag)
      return makeError(ErrorCode::InvalidArgument, "unknown regex option \"" + name + "\"");
    flags |= *flag;
  }
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   flags, &err, &offset, nullptr);
  if (code == nullptr) {
    return makeError(ErrorCode::Parse,
                     fmt::format("invalid regex: {} at offset {}", pcreMessage(err), offset));
  }
  std::uint32_t lookbehind = 0;
  pcre2_pattern_info(code, PCRE2_INFO_MAXLOOKBEHIND, &lookbehind);
  const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD) == 0;
  return std::shared_ptr<const Regex>(new Regex(code, lookbehind, jit));
}

Regex::~Regex() { pcre2_code_free(code_); }

}  // namespace keel::base
