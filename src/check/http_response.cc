#include "check/http_response.h"

#include <algorithm>

namespace keel::check {

namespace {

constexpr std::uint64_t kMaxContentLength = std::uint64_t{1} << 62;
constexpr std::size_t kMaxChunkSizeDigits = 15;  // < 2^60: no overflow, far past any body cap

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 9110 §5.6.2 tchar.
bool isTokenChar(char c) {
  if (isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string toHex(const unsigned char* data, std::size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

}  // namespace

std::string_view httpErrorName(HttpError error) {
  switch (error) {
    case HttpError::None:
      return "none";
    case HttpError::BadStatusLine:
      return "bad status line";
    case HttpError::BadStatusCode:
      return "bad status code";
    case HttpError::BadLineEnding:
      return "bad line ending";
    case HttpError::NulInHeader:
      return "NUL byte in header";
    case HttpError::LineTooLong:
      return "header line too long";
    case HttpError::HeadersTooLarge:
      return "header section too large";
    case HttpError::TooManyHeaders:
      return "too many header lines";
    case HttpError::BadHeaderLine:
      return "bad header line";
    case HttpError::BadContentLength:
      return "bad Content-Length";
    case HttpError::DuplicateContentLength:
      return "duplicate Content-Length";
    case HttpError::ContentLengthWithChunked:
      return "both Content-Length and Transfer-Encoding";
    case HttpError::UnsupportedTransferEncoding:
      return "unsupported Transfer-Encoding";
    case HttpError::BadChunkSize:
      return "bad chunk size";
    case HttpError::BadChunkEnd:
      return "chunk not followed by CRLF";
    case HttpError::TooManyInterimResponses:
      return "too many 1xx responses";
    case HttpError::BodyTooLarge:
      return "body too large";
    case HttpError::TruncatedHeaders:
      return "connection closed inside the headers";
    case HttpError::TruncatedBody:
      return "connection closed inside the body";
    case HttpError::NoResponse:
      return "connection closed without a response";
  }
  return "unknown";
}

std::string md5Hex(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_md5(), nullptr);
  return toHex(out, len);
}

HttpResponseParser::HttpResponseParser(BodyMode mode, HttpLimits limits)
    : mode_(mode), limits_(limits) {
  if (mode_ == BodyMode::Digest) {
    md_.reset(EVP_MD_CTX_new());
    if (!md_ || EVP_DigestInit_ex(md_.get(), EVP_md5(), nullptr) != 1) md_.reset();
  }
}

HttpResponseParser::~HttpResponseParser() = default;

void HttpResponseParser::fail(HttpError error) {
  state_ = State::Failed;
  error_ = error;
  line_.clear();
  line_.shrink_to_fit();
}

std::string HttpResponseParser::digestHex() const { return toHex(md5_.data(), md5_.size()); }

void HttpResponseParser::digest(std::string_view bytes) {
  if (bytes.empty()) return;
  body_bytes_ += bytes.size();
  if (body_bytes_ > limits_.max_body) return fail(HttpError::BodyTooLarge);
  if (md_) EVP_DigestUpdate(md_.get(), bytes.data(), bytes.size());
}

void HttpResponseParser::content(std::string_view bytes) {
  if (sink_ && state_ != State::Failed && !bytes.empty()) sink_(bytes);
}

bool HttpResponseParser::takeLine(std::string_view& bytes) {
  const std::size_t lf = bytes.find('\n');
  const std::size_t take = lf == std::string_view::npos ? bytes.size() : lf + 1;
  if (line_.size() + take > limits_.max_line + 2) {
    fail(HttpError::LineTooLong);
    return false;
  }
  line_.append(bytes.substr(0, take));
  bytes.remove_prefix(take);
  if (lf == std::string_view::npos) return false;
  line_.pop_back();  // LF
  if (line_.empty() || line_.back() != '\r') {
    fail(HttpError::BadLineEnding);
    return false;
  }
  line_.pop_back();  // CR
  if (line_.find('\r') != std::string::npos) {
    fail(HttpError::BadLineEnding);
    return false;
  }
  if (line_.find('\0') != std::string::npos) {
    fail(HttpError::NulInHeader);
    return false;
  }
  return true;
}

HttpResponseParser::State HttpResponseParser::feed(std::string_view bytes) {
  if (!bytes.empty()) saw_any_ = true;
  while (!bytes.empty() && state_ != State::Done && state_ != State::Failed) {
    if (state_ == State::Body) {
      feedBody(bytes);
      continue;
    }
    const std::size_t before = bytes.size();
    const bool whole = takeLine(bytes);
    header_bytes_ += before - bytes.size();
    if (state_ == State::Failed) break;
    if (header_bytes_ > limits_.max_header_bytes) {
      fail(HttpError::HeadersTooLarge);
      break;
    }
    if (!whole) continue;
    if (state_ == State::StatusLine) {
      onStatusLine();
    } else {
      onHeaderLine();
    }
    line_.clear();
  }
  return state_;
}

HttpResponseParser::State HttpResponseParser::finish() {
  if (state_ == State::Done || state_ == State::Failed) return state_;
  if (!saw_any_) {
    fail(HttpError::NoResponse);
  } else if (state_ != State::Body) {
    fail(HttpError::TruncatedHeaders);
  } else if (framing_ != BodyFraming::Close) {
    fail(HttpError::TruncatedBody);
  } else {
    if (md_) EVP_DigestFinal_ex(md_.get(), md5_.data(), nullptr);
    state_ = State::Done;
  }
  return state_;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4); a missing
// reason's SP is tolerated, as most clients do.
void HttpResponseParser::onStatusLine() {
  const std::string_view line = line_;
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || !isDigit(line[7]) || line[8] != ' ' ||
      !isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) ||
      (line.size() > 12 && line[12] != ' ')) {
    return fail(HttpError::BadStatusLine);
  }
  const int code = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (code < 100 || code > 599) return fail(HttpError::BadStatusCode);
  status_ = code;
  header_lines_ = 0;
  content_length_.reset();
  chunked_ = false;
  has_transfer_encoding_ = false;
  state_ = State::Headers;
}

void HttpResponseParser::onHeaderLine() {
  if (line_.empty()) return onHeadersEnd();
  if (++header_lines_ > limits_.max_header_lines) return fail(HttpError::TooManyHeaders);
  const std::string_view line = line_;
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail(HttpError::BadHeaderLine);
  const std::string_view name = line.substr(0, colon);
  // Also rejects obs-fold (a line starting with SP/HTAB) and whitespace before the colon.
  if (!std::all_of(name.begin(), name.end(), isTokenChar)) return fail(HttpError::BadHeaderLine);
  onHeaderName(name, trimOws(line.substr(colon + 1)));
}

void HttpResponseParser::onHeaderName(std::string_view name, std::string_view value) {
  if (equalsIgnoreCase(name, "Content-Length")) {
    if (content_length_) return fail(HttpError::DuplicateContentLength);
    if (value.empty() || value.size() > 19 || !std::all_of(value.begin(), value.end(), isDigit)) {
      return fail(HttpError::BadContentLength);
    }
    std::uint64_t n = 0;
    for (const char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > kMaxContentLength) return fail(HttpError::BadContentLength);
    content_length_ = n;
  } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
    if (has_transfer_encoding_ || !equalsIgnoreCase(value, "chunked")) {
      return fail(HttpError::UnsupportedTransferEncoding);
    }
    has_transfer_encoding_ = true;
    chunked_ = true;
  }
}

void HttpResponseParser::onHeadersEnd() {
  if (content_length_ && chunked_) return fail(HttpError::ContentLengthWithChunked);
  if (status_ < 200) {  // interim (RFC 9110 §15.2): the final response follows
    if (++interim_ > limits_.max_interim) return fail(HttpError::TooManyInterimResponses);
    status_ = 0;
    state_ = State::StatusLine;
    return;
  }
  if (mode_ == BodyMode::Status) {
    state_ = State::Done;
    return;
  }
  if (status_ == 204 || status_ == 304) {
    framing_ = BodyFraming::None;
  } else if (chunked_) {
    framing_ = BodyFraming::Chunked;
    chunk_step_ = ChunkStep::Size;
  } else if (content_length_) {
    if (*content_length_ > limits_.max_body) return fail(HttpError::BodyTooLarge);
    framing_ = *content_length_ == 0 ? BodyFraming::None : BodyFraming::Length;
    remaining_ = *content_length_;
  } else {
    framing_ = BodyFraming::Close;
  }
  if (framing_ == BodyFraming::None) {
    if (md_) EVP_DigestFinal_ex(md_.get(), md5_.data(), nullptr);
    state_ = State::Done;
    return;
  }
  state_ = State::Body;
}

void HttpResponseParser::feedBody(std::string_view& bytes) {
  switch (framing_) {
    case BodyFraming::Length: {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
      digest(bytes.substr(0, take));
      content(bytes.substr(0, take));
      bytes.remove_prefix(take);
      remaining_ -= take;
      if (state_ != State::Failed && remaining_ == 0) {
        if (md_) EVP_DigestFinal_ex(md_.get(), md5_.data(), nullptr);
        state_ = State::Done;
      }
      return;
    }
    case BodyFraming::Close:
      digest(bytes);
      content(bytes);
      bytes = {};
      return;
    case BodyFraming::Chunked: {
      const std::string_view start = bytes;
      feedChunked(bytes);
      if (state_ == State::Failed) return;
      const std::string_view used = start.substr(0, start.size() - bytes.size());
      if (state_ == State::Done) {
        // onHeadersEnd() finalised the digest before the last line could be added: redo it.
        state_ = State::Body;
        digest(used);
        if (state_ != State::Failed) {
          if (md_) EVP_DigestFinal_ex(md_.get(), md5_.data(), nullptr);
          state_ = State::Done;
        }
        return;
      }
      digest(used);
      return;
    }
    case BodyFraming::None:
      return;
  }
}

// chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 §7.1).
void HttpResponseParser::feedChunked(std::string_view& bytes) {
  while (!bytes.empty() && state_ == State::Body) {
    switch (chunk_step_) {
      case ChunkStep::Size:
      case ChunkStep::Trailer:
        if (!takeLine(bytes)) break;
        if (chunk_step_ == ChunkStep::Size) {
          onChunkSizeLine();
        } else {
          onTrailerLine();
        }
        line_.clear();
        break;
      case ChunkStep::Data: {
        const auto take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
        content(bytes.substr(0, take));
        bytes.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) {
          chunk_step_ = ChunkStep::DataEnd;
          remaining_ = 2;
        }
        break;
      }
      case ChunkStep::DataEnd: {
        const char want = remaining_ == 2 ? '\r' : '\n';
        if (bytes.front() != want) return fail(HttpError::BadChunkEnd);
        bytes.remove_prefix(1);
        if (--remaining_ == 0) chunk_step_ = ChunkStep::Size;
        break;
      }
    }
  }
}

void HttpResponseParser::onChunkSizeLine() {
  const std::string_view line = line_;
  std::size_t digits = 0;
  std::uint64_t size = 0;
  while (digits < line.size() && hexValue(line[digits]) >= 0) {
    if (digits == kMaxChunkSizeDigits) return fail(HttpError::BadChunkSize);
    size = size * 16 + static_cast<std::uint64_t>(hexValue(line[digits]));
    ++digits;
  }
  if (digits == 0) return fail(HttpError::BadChunkSize);
  const std::string_view rest = trimOws(line.substr(digits));
  if (!rest.empty() && rest.front() != ';') return fail(HttpError::BadChunkSize);
  if (size > limits_.max_body) return fail(HttpError::BodyTooLarge);
  if (size == 0) {
    chunk_step_ = ChunkStep::Trailer;
    header_lines_ = 0;
    return;
  }
  chunk_step_ = ChunkStep::Data;
  remaining_ = size;
}

void HttpResponseParser::onTrailerLine() {
  if (line_.empty()) {
    state_ = State::Done;  // feedBody() finalises the digest
    return;
  }
  if (++header_lines_ > limits_.max_header_lines) return fail(HttpError::TooManyHeaders);
  const std::size_t colon = line_.find(':');
  if (colon == std::string::npos || colon == 0) return fail(HttpError::BadHeaderLine);
}

}  // namespace keel::check
