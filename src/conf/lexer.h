// The keepalived.conf line lexer (docs/reference/keepalived.md §1.1): one line in, tokens with
// their columns out. Pure; any thread.
//
// - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` outside quotes are
//   the literal characters.
// - Tokens are separated by blanks (space, tab); `"..."` groups text into one token and the quotes
//   are removed (inside them `\"` and `\\` stand for `"` and `\`); an unmatched `"` is an error.
// - `{` and `}` outside quotes are tokens of their own even when written against a word
//   (`url{`), because keepalived re-reads the text after a brace as a new line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conf/diagnostics.h"

namespace keel::conf {

struct Token {
  std::string text;     // with quotes removed and escapes applied
  int col = 0;          // 1-based column of the token's first character in the line
  int end_col = 0;      // 1-based column just past its last character
  bool quoted = false;  // some or all of it was inside "..."

  bool isOpen() const { return !quoted && text == "{"; }
  bool isClose() const { return !quoted && text == "}"; }
};

// The line up to (not including) its comment, if any.
std::string_view stripComment(std::string_view line);

// Splits `line` into tokens. `where` names the file and line for diagnostics (its column is
// ignored). On an unmatched quote the error points at the quote and the tokens before it are
// returned.
std::vector<Token> tokenize(std::string_view line, const Location& where, Diagnostics& diags);

}  // namespace keel::conf
