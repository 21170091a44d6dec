// HttpResponseParser: an incremental, bounded parser of one HTTP/1.x response (RFC 9112) as the
// HTTP_GET and SSL_GET checkers read it, fed the bytes in whatever pieces the socket returns.
//
// Pure: no I/O, no clock. Memory is bounded by the limits whatever the peer sends: the status
// line, header lines and chunk-size lines are held one at a time up to max_line; the body is
// never buffered, only streamed into an MD5 digest. Every malformed or oversized input ends in
// State::Failed with a named HttpError. Owned by one probe; not thread-safe.
//
// keepalived compatibility (docs/reference/keepalived.md §3.5): the digest is the MD5 of the body
// bytes as sent after the header section, cut at Content-Length when there is one. A chunked body
// is framed by its chunks (so the parser knows where it ends) but digested with its framing, as
// keepalived's genhash reports it, so digests configured for keepalived keep matching. Bytes after
// the end of the message are ignored, as keepalived does.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace keel::check {

enum class HttpError {
  None,
  BadStatusLine,             // not "HTTP/1.x NNN[ reason]"
  BadStatusCode,             // outside 100..599
  BadLineEnding,             // a bare LF, or CR not followed by LF
  NulInHeader,               // a NUL byte in the status line, a header or a chunk line
  LineTooLong,               // a line over max_line
  HeadersTooLarge,           // the header section (with interim responses) over max_header_bytes
  TooManyHeaders,            // more than max_header_lines header (or trailer) lines
  BadHeaderLine,             // no colon, a bad name, whitespace before the colon, obs-fold
  BadContentLength,          // not a plain decimal that fits in 63 bits
  DuplicateContentLength,    // a second Content-Length header
  ContentLengthWithChunked,  // both framings: the request-smuggling shape
  UnsupportedTransferEncoding,
  BadChunkSize,             // not hex, too many digits, or a bad chunk extension
  BadChunkEnd,              // chunk data not followed by CRLF
  TooManyInterimResponses,  // more than max_interim 1xx responses
  BodyTooLarge,             // more than max_body bytes of body
  TruncatedHeaders,         // the connection ended inside the status line or headers
  TruncatedBody,            // the connection ended before the body did
  NoResponse,               // the connection ended before any byte arrived
};

std::string_view httpErrorName(HttpError error);

struct HttpLimits {
  std::size_t max_line = 8 * 1024;
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_header_lines = 100;
  std::uint64_t max_body = 16 * 1024 * 1024;
  int max_interim = 8;
};

// What the caller needs from the response: with Status the parse is complete once the final
// response's header section has ended (the body is not read); with Digest it reads the body too.
enum class BodyMode { Status, Digest };

class HttpResponseParser {
 public:
  enum class State { StatusLine, Headers, Body, Done, Failed };

  explicit HttpResponseParser(BodyMode mode, HttpLimits limits = {});
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // With BodyMode::Digest, `sink` receives the body's content as it is parsed: the bytes a
  // Content-Length or close-delimited body holds, the chunks' data of a chunked one (framing
  // removed). Set before the first feed().
  using ContentSink = std::function<void(std::string_view)>;
  void setContentSink(ContentSink sink) { sink_ = std::move(sink); }

  // Consumes `bytes`. Once Done or Failed, further bytes are ignored.
  State feed(std::string_view bytes);
  // The peer closed the connection: ends a close-delimited body, fails anything unfinished.
  State finish();

  State state() const { return state_; }
  HttpError error() const { return error_; }
  // The final (non-1xx) status code; 0 until its status line has been parsed.
  int status() const { return status_; }
  std::optional<std::uint64_t> contentLength() const { return content_length_; }
  bool chunked() const { return chunked_; }
  // Body bytes digested so far (with chunk framing for a chunked body).
  std::uint64_t bodyBytes() const { return body_bytes_; }
  // The MD5 of the body as 32 lowercase hex digits. REQUIRES: state() == Done, BodyMode::Digest.
  std::string digestHex() const;

 private:
  enum class BodyFraming { None, Length, Chunked, Close };
  enum class ChunkStep { Size, Data, DataEnd, Trailer };

  void fail(HttpError error);
  // Appends to line_ up to the next LF; returns true when a whole line is in line_ (CRLF removed).
  bool takeLine(std::string_view& bytes);
  void onStatusLine();
  void onHeaderLine();
  void onHeaderName(std::string_view name, std::string_view value);
  void onHeadersEnd();
  void feedBody(std::string_view& bytes);
  void feedChunked(std::string_view& bytes);
  void onChunkSizeLine();
  void onTrailerLine();
  void digest(std::string_view bytes);
  void content(std::string_view bytes);

  BodyMode mode_;
  HttpLimits limits_;
  ContentSink sink_;
  State state_ = State::StatusLine;
  HttpError error_ = HttpError::None;

  std::string line_;  // the line being assembled, at most max_line bytes
  bool saw_any_ = false;
  std::size_t header_bytes_ = 0;  // status lines and headers of all responses so far
  std::size_t header_lines_ = 0;  // header (and trailer) lines of the current response
  int interim_ = 0;

  int status_ = 0;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool has_transfer_encoding_ = false;
  BodyFraming framing_ = BodyFraming::None;
  std::uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
  ChunkStep chunk_step_ = ChunkStep::Size;
  std::uint64_t body_bytes_ = 0;

  struct MdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md_;
  std::array<unsigned char, 16> md5_{};
};

// 32 lowercase hex digits of `bytes`' MD5, for tests and genhash.
std::string md5Hex(std::string_view bytes);

}  // namespace keel::check
