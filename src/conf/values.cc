#include "conf/values.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace keel::conf {

namespace {

using base::ErrorCode;
using base::makeError;

std::string formatSeconds(std::chrono::microseconds us) {
  auto whole = us.count() / 1'000'000;
  auto frac = us.count() % 1'000'000;
  if (frac == 0) return std::to_string(whole);
  std::string digits = fmt::format("{:06d}", frac);
  while (digits.back() == '0') digits.pop_back();
  return fmt::format("{}.{}", whole, digits);
}

bool allDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Decodes the escape that starts after the backslash at `s[i]`; advances `i` past it.
std::string decodeEscape(std::string_view s, std::size_t& i) {
  char c = s[i++];
  switch (c) {
    case 'a':
      return "\a";
    case 'b':
      return "\b";
    case 'E':
      return "\x1b";
    case 'f':
      return "\f";
    case 'n':
      return "\n";
    case 'r':
      return "\r";
    case 't':
      return "\t";
    case 'v':
      return "\v";
    case 'c':
      if (i < s.size()) return std::string(1, static_cast<char>(s[i++] & 0x1f));
      return "c";
    case 'x': {
      unsigned value = 0;
      auto [end, ec] =
          std::from_chars(s.data() + i, s.data() + std::min(s.size(), i + 2), value, 16);
      if (ec != std::errc{} || end == s.data() + i) return "x";
      i = static_cast<std::size_t>(end - s.data());
      return std::string(1, static_cast<char>(value));
    }
    default:
      if (c >= '0' && c <= '7') {
        unsigned value = static_cast<unsigned>(c - '0');
        for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k) {
          value = value * 8 + static_cast<unsigned>(s[i++] - '0');
        }
        return std::string(1, static_cast<char>(value & 0xff));
      }
      return std::string(1, c);  // \\, \" and any other character stand for themselves
  }
}

}  // namespace

base::Result<bool> parseBool(std::string_view keyword, std::string_view text) {
  if (text == "on" || text == "true" || text == "yes") return true;
  if (text == "off" || text == "false" || text == "no") return false;
  return makeError(
      ErrorCode::Parse,
      fmt::format("invalid {} \"{}\": expected on, off, true, false, yes or no", keyword, text));
}

namespace {

// A hex digit's value, 16 for a wildcard, -1 for anything else.
int nibble(char c, bool wildcards) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (wildcards && (c == 'x' || c == 'X')) return 16;
  return -1;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

base::Result<HexBytes> parseHexString(std::string_view keyword, std::string_view text,
                                      bool wildcards) {
  HexBytes out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (blank(text[i])) {
      ++i;
      continue;
    }
    int value = 0;
    int wild = 0;
    for (int digits = 0; digits < 2 && i < text.size() && !blank(text[i]); ++digits, ++i) {
      const int n = nibble(text[i], wildcards);
      if (n < 0) {
        return makeError(ErrorCode::Parse,
                         fmt::format("invalid {} \"{}\": '{}' is not a hex digit{}", keyword, text,
                                     text[i], wildcards ? " or X" : ""));
      }
      value = value << 4 | (n == 16 ? 0 : n);
      wild = wild << 4 | (n == 16 ? 0xf : 0);
    }
    out.bytes.push_back(static_cast<std::uint8_t>(value));
    out.wildcard.push_back(static_cast<std::uint8_t>(wild));
  }
  return out;
}

base::Result<std::int64_t> parseInt(std::string_view keyword, std::string_view text,
                                    std::int64_t min, std::int64_t max) {
  auto fail = [&] {
    return makeError(ErrorCode::Parse, fmt::format("invalid {} \"{}\": expected an integer {}-{}",
                                                   keyword, text, min, max));
  };
  std::string_view digits = text;
  if (min < 0 && digits.starts_with('-')) digits.remove_prefix(1);
  if (!allDigits(digits)) return fail();
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return fail();
  }
  return value;
}

base::Result<std::chrono::microseconds> parseTimer(std::string_view keyword, std::string_view text,
                                                   std::chrono::microseconds min,
                                                   std::chrono::microseconds max) {
  auto fail = [&] {
    return makeError(ErrorCode::Parse,
                     fmt::format("invalid {} \"{}\": expected seconds {}-{}", keyword, text,
                                 formatSeconds(min), formatSeconds(max)));
  };
  std::string_view whole = text.substr(0, text.find('.'));
  std::string_view frac = whole.size() < text.size() ? text.substr(whole.size() + 1) : "";
  bool has_dot = whole.size() < text.size();
  if (!allDigits(whole) || (has_dot && !allDigits(frac)) || frac.size() > 6 || whole.size() > 12) {
    return fail();
  }
  std::int64_t seconds = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  std::int64_t micros = 0;
  std::string padded = std::string(frac) + std::string(6 - frac.size(), '0');
  std::from_chars(padded.data(), padded.data() + padded.size(), micros);
  std::chrono::microseconds value(seconds * 1'000'000 + micros);
  if (value < min || value > max) return fail();
  return value;
}

base::Result<std::vector<std::string>> splitScript(std::string_view text) {
  std::vector<std::string> words;
  std::optional<std::string> word;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i++];
    if (c == ' ' || c == '\t') {
      if (word) words.push_back(std::move(*word));
      word.reset();
      continue;
    }
    if (!word) word.emplace();
    if (c == '\'') {
      std::size_t close = text.find('\'', i);
      if (close == std::string_view::npos) {
        return makeError(ErrorCode::Parse, fmt::format("unterminated ' in \"{}\"", text));
      }
      *word += text.substr(i, close - i);
      i = close + 1;
    } else if (c == '"') {
      while (i < text.size() && text[i] != '"') {
        char d = text[i++];
        *word += (d == '\\' && i < text.size()) ? decodeEscape(text, i) : std::string(1, d);
      }
      if (i >= text.size()) {
        return makeError(ErrorCode::Parse, fmt::format("unterminated \" in \"{}\"", text));
      }
      ++i;
    } else if (c == '\\' && i < text.size()) {
      *word += text[i++];
    } else {
      *word += c;
    }
  }
  if (word) words.push_back(std::move(*word));
  if (words.empty()) return makeError(ErrorCode::Parse, "empty script command");
  return words;
}

}  // namespace keel::conf
