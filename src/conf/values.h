// Typed values of keepalived.conf arguments (docs/reference/keepalived.md §1.1): BOOL, bounded
// integers, TIMER (seconds with decimals, microsecond resolution) and script command lines re-split
// shell-like. Each parser names the keyword and the bad text, and says what is allowed. Pure; any
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace keel::conf {

// on|off|true|false|yes|no (keepalived's BOOL).
base::Result<bool> parseBool(std::string_view keyword, std::string_view text);

// A decimal integer in [min, max]; no sign unless min < 0, no leading '+', no junk.
// Message: `invalid priority "256": expected an integer 1-255`.
base::Result<std::int64_t> parseInt(std::string_view keyword, std::string_view text,
                                    std::int64_t min, std::int64_t max);

// Seconds with up to six decimals ("3", "0.5", "2.718281"), in [min, max].
// Message: `invalid advert_int "0": expected seconds 0.01-255`.
base::Result<std::chrono::microseconds> parseTimer(std::string_view keyword, std::string_view text,
                                                   std::chrono::microseconds min,
                                                   std::chrono::microseconds max);

// keepalived's hex strings (UDP_CHECK's payload and require_reply): blanks separate groups, each
// group is read two hex digits to an octet, a last lone digit is an octet of its own ("Ab12f 3"
// is AB 12 0F 03). With `wildcards`, X or x is a nibble that matches anything: its bits are set
// in `wildcard`. Errors: Parse naming the keyword and the bad character.
struct HexBytes {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint8_t> wildcard;  // one per octet; all 0 without wildcards

  friend bool operator==(const HexBytes&, const HexBytes&) = default;
};
base::Result<HexBytes> parseHexString(std::string_view keyword, std::string_view text,
                                      bool wildcards);

// Splits a script command line as keepalived does for `script`, `notify*`, `misc_path`, ...:
// blanks separate words; '...' keeps everything literally; "..." keeps blanks and honours the
// escapes \a \b \E \f \n \r \t \v \nnn (octal) \xXX \cC \\ \" ; outside quotes a backslash
// escapes the next character. Errors: Parse for an unterminated quote or an empty command.
base::Result<std::vector<std::string>> splitScript(std::string_view text);

}  // namespace keel::conf
