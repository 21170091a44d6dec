#include "conf/lexer.h"

namespace keel::conf {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }
bool isCommentStart(char c) { return c == '#' || c == '!'; }
bool isBrace(char c) { return c == '{' || c == '}'; }

// Reads one token starting at `i` (not blank, not a brace, not a comment). Returns false on an
// unmatched quote, with `quote_col` set to its column.
bool readWord(std::string_view line, std::size_t& i, Token& tok, int& quote_col) {
  // The common word has no quote and no backslash: take it in one piece.
  std::size_t end = i;
  while (end < line.size() && !isBlank(line[end]) && !isBrace(line[end]) &&
         !isCommentStart(line[end]) && line[end] != '"' && line[end] != '\\') {
    ++end;
  }
  tok.text.assign(line.substr(i, end - i));
  i = end;
  bool in_quote = false;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (in_quote) {
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        tok.text += line[++i];
      } else if (c == '"') {
        in_quote = false;
      } else {
        tok.text += c;
      }
      continue;
    }
    if (isBlank(c) || isBrace(c) || isCommentStart(c)) break;
    if (c == '\\' && i + 1 < line.size() && isCommentStart(line[i + 1])) {
      tok.text += line[++i];
    } else if (c == '"') {
      in_quote = true;
      tok.quoted = true;
      quote_col = static_cast<int>(i) + 1;
    } else {
      tok.text += c;
    }
  }
  return !in_quote;
}

}  // namespace

std::string_view stripComment(std::string_view line) {
  bool in_quote = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    bool has_next = i + 1 < line.size();
    if (in_quote && c == '\\' && has_next && (line[i + 1] == '"' || line[i + 1] == '\\')) {
      ++i;  // an escaped quote or backslash inside quotes
    } else if (!in_quote && c == '\\' && has_next && isCommentStart(line[i + 1])) {
      ++i;  // \# and \! are literal characters
    } else if (c == '"') {
      in_quote = !in_quote;
    } else if (!in_quote && isCommentStart(c)) {
      return line.substr(0, i);
    }
  }
  return line;
}

std::vector<Token> tokenize(std::string_view line, const Location& where, Diagnostics& diags) {
  std::vector<Token> tokens;
  tokens.reserve(8);
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (isBlank(c)) {
      ++i;
    } else if (isCommentStart(c)) {
      break;
    } else if (isBrace(c)) {
      int col = static_cast<int>(i) + 1;
      tokens.push_back({std::string(1, c), col, col + 1, false});
      ++i;
    } else {
      Token tok;
      tok.col = static_cast<int>(i) + 1;
      int quote_col = 0;
      if (!readWord(line, i, tok, quote_col)) {
        diags.error({where.file, where.line, quote_col}, "unmatched '\"'", std::string(line));
        return tokens;
      }
      tok.end_col = static_cast<int>(i) + 1;
      tokens.push_back(std::move(tok));
    }
  }
  return tokens;
}

}  // namespace keel::conf
