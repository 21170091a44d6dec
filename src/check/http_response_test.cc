#include "check/http_response.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::check {
namespace {

using State = HttpResponseParser::State;

// Feeds `text` whole, then byte by byte into a second parser; both must agree. Returns the
// whole-feed parser's final state after finish() when `eof`.
struct Parsed {
  State state;
  HttpError error;
  int status;
  std::string digest;
};

Parsed parse(const std::string& text, BodyMode mode = BodyMode::Digest, bool eof = true,
             HttpLimits limits = {}) {
  HttpResponseParser whole(mode, limits);
  whole.feed(text);
  if (eof) whole.finish();
  HttpResponseParser bytewise(mode, limits);
  for (const char c : text) bytewise.feed(std::string_view(&c, 1));
  if (eof) bytewise.finish();
  EXPECT_EQ(whole.state(), bytewise.state()) << text.substr(0, 200);
  EXPECT_EQ(whole.error(), bytewise.error()) << text.substr(0, 200);
  Parsed p{whole.state(), whole.error(), whole.status(), ""};
  if (p.state == State::Done && mode == BodyMode::Digest) {
    p.digest = whole.digestHex();
    EXPECT_EQ(p.digest, bytewise.digestHex());
  }
  return p;
}

HttpError failure(const std::string& text, BodyMode mode = BodyMode::Digest,
                  HttpLimits limits = {}) {
  const Parsed p = parse(text, mode, true, limits);
  EXPECT_EQ(p.state, State::Failed) << text.substr(0, 200);
  return p.error;
}

TEST(HttpResponseTest, Md5HexMatchesTheRfc1321TestSuite) {
  EXPECT_EQ(md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(HttpResponseTest, ContentLengthBodyIsDigestedAndEndsTheMessage) {
  const Parsed p = parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", BodyMode::Digest,
                         /*eof=*/false);
  EXPECT_EQ(p.state, State::Done);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.digest, md5Hex("abc"));
}

TEST(HttpResponseTest, BytesAfterContentLengthAreIgnoredAsKeepalivedDoes) {
  const Parsed p = parse("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef");
  EXPECT_EQ(p.state, State::Done);
  EXPECT_EQ(p.digest, md5Hex("abc"));
}

TEST(HttpResponseTest, CloseDelimitedBodyEndsAtEof) {
  HttpResponseParser parser(BodyMode::Digest);
  EXPECT_EQ(parser.feed("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nhello"), State::Body);
  EXPECT_EQ(parser.finish(), State::Done);
  EXPECT_EQ(parser.status(), 404);
  EXPECT_EQ(parser.digestHex(), md5Hex("hello"));
  EXPECT_EQ(parser.bodyBytes(), 5U);
}

TEST(HttpResponseTest, ChunkedBodyIsFramedAndDigestedWithItsFraming) {
  const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n";
  const Parsed p = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
                         BodyMode::Digest, /*eof=*/false);
  EXPECT_EQ(p.state, State::Done);
  EXPECT_EQ(p.digest, md5Hex(body));
}

TEST(HttpResponseTest, StatusModeIsDoneAtTheEndOfTheHeaders) {
  const Parsed p = parse("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n<endless body",
                         BodyMode::Status, /*eof=*/false);
  EXPECT_EQ(p.state, State::Done);
  EXPECT_EQ(p.status, 302);  // never followed: the caller judges the code
}

TEST(HttpResponseTest, NoBodyStatusesAndZeroLengthAreDoneAtTheHeaders) {
  EXPECT_EQ(parse("HTTP/1.1 204 No Content\r\n\r\n", BodyMode::Digest, false).digest, md5Hex(""));
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", BodyMode::Digest, false).state,
            State::Done);
}

TEST(HttpResponseTest, InterimResponsesAreSkippedUpToTheCap) {
  const Parsed p = parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz",
      BodyMode::Digest, false);
  EXPECT_EQ(p.state, State::Done);
  EXPECT_EQ(p.status, 200);
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += "HTTP/1.1 103 Early Hints\r\n\r\n";
  EXPECT_EQ(failure(flood + "HTTP/1.1 200 OK\r\n\r\n"), HttpError::TooManyInterimResponses);
}

TEST(HttpResponseTest, GarbageStatusLinesFail) {
  EXPECT_EQ(failure("garbage\r\n\r\n"), HttpError::BadStatusLine);
  EXPECT_EQ(failure("HTTP/1.1 2000 OK\r\n\r\n"), HttpError::BadStatusLine);
  EXPECT_EQ(failure("HTTP/1.1 -1\r\n\r\n"), HttpError::BadStatusLine);
  EXPECT_EQ(failure("HTTP/1.1 20 OK\r\n\r\n"), HttpError::BadStatusLine);
  EXPECT_EQ(failure("HTTP/2.0 200 OK\r\n\r\n"), HttpError::BadStatusLine);
  EXPECT_EQ(failure("aa aaaaHTTP/1.1aa200 OK\r\n\r\n"),
            HttpError::BadStatusLine);  // CVE-2018-19115
  EXPECT_EQ(failure("Server: x\r\nHTTP/1.1 200 OK\r\n\r\n"), HttpError::BadStatusLine);
  EXPECT_EQ(failure("HTTP/1.1 099 Odd\r\n\r\n"), HttpError::BadStatusCode);
  EXPECT_EQ(failure("HTTP/1.1 600 Odd\r\n\r\n"), HttpError::BadStatusCode);
  EXPECT_EQ(failure("<html>HTTP/0.9 body only</html>"), HttpError::TruncatedHeaders);
}

TEST(HttpResponseTest, LineEndingsAndNulFail) {
  EXPECT_EQ(failure("HTTP/1.1 200 OK\n\n"), HttpError::BadLineEnding);
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"), HttpError::BadLineEnding);
  EXPECT_EQ(failure(std::string("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n", 28)), HttpError::NulInHeader);
}

TEST(HttpResponseTest, BadHeaderLinesFail) {
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"), HttpError::BadHeaderLine);
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx"), HttpError::BadHeaderLine);
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n"), HttpError::BadHeaderLine);
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\n: empty\r\n\r\n"), HttpError::BadHeaderLine);
}

TEST(HttpResponseTest, OversizedHeadersFailAtTheCaps) {
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\nX: " + std::string(1 << 20, 'a') + "\r\n\r\n"),
            HttpError::LineTooLong);
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 10000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(failure(many + "\r\n"), HttpError::TooManyHeaders);
  HttpLimits limits;
  limits.max_header_lines = 100000;
  EXPECT_EQ(failure(many + "\r\n", BodyMode::Digest, limits), HttpError::HeadersTooLarge);
  // Headers that never end: each line short and legal, the section over the cap.
  EXPECT_EQ(failure(many, BodyMode::Status, limits), HttpError::HeadersTooLarge);
}

TEST(HttpResponseTest, ContentLengthAbuseFails) {
  const std::string head = "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(failure(head + "Content-Length: 10\r\n\r\nshort"), HttpError::TruncatedBody);
  EXPECT_EQ(failure(head + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxx"),
            HttpError::DuplicateContentLength);
  EXPECT_EQ(failure(head + "Content-Length: 1\r\ncontent-length: 1\r\n\r\nx"),
            HttpError::DuplicateContentLength);
  EXPECT_EQ(failure(head + "Content-Length: -1\r\n\r\n"), HttpError::BadContentLength);
  EXPECT_EQ(failure(head + "Content-Length: 18446744073709551616\r\n\r\n"),
            HttpError::BadContentLength);
  EXPECT_EQ(failure(head + "Content-Length: 1, 1\r\n\r\nx"), HttpError::BadContentLength);
  EXPECT_EQ(failure(head + "Content-Length:\r\n\r\n"), HttpError::BadContentLength);
  EXPECT_EQ(failure(head + "Content-Length: 1000000000\r\n\r\n"), HttpError::BodyTooLarge);
  EXPECT_EQ(failure(head + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            HttpError::ContentLengthWithChunked);
  EXPECT_EQ(failure(head + "Transfer-Encoding: gzip, chunked\r\n\r\n"),
            HttpError::UnsupportedTransferEncoding);
  EXPECT_EQ(failure(head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HttpError::UnsupportedTransferEncoding);
}

TEST(HttpResponseTest, ChunkedAbuseFails) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(failure(head + "zz\r\n"), HttpError::BadChunkSize);
  EXPECT_EQ(failure(head + "\r\n"), HttpError::BadChunkSize);
  EXPECT_EQ(failure(head + "ffffffffffffffff\r\n"), HttpError::BadChunkSize);
  EXPECT_EQ(failure(head + "5 junk\r\nhello\r\n0\r\n\r\n"), HttpError::BadChunkSize);
  EXPECT_EQ(failure(head + "fffffff\r\n"), HttpError::BodyTooLarge);
  EXPECT_EQ(failure(head + "5\r\nhelloXX0\r\n\r\n"), HttpError::BadChunkEnd);
  EXPECT_EQ(failure(head + "5;" + std::string(1 << 20, 'e') + "\r\n"), HttpError::LineTooLong);
  std::string trailers = head + "0\r\n";
  for (int i = 0; i < 1000; ++i) trailers += "T: v\r\n";
  EXPECT_EQ(failure(trailers + "\r\n"), HttpError::TooManyHeaders);
  EXPECT_EQ(failure(head + "5\r\nhel"), HttpError::TruncatedBody);
  // Never-ending chunks stop at the body cap.
  HttpLimits limits;
  limits.max_body = 4096;
  std::string endless = head;
  for (int i = 0; i < 1000; ++i) endless += "4\r\nabcd\r\n";
  EXPECT_EQ(failure(endless, BodyMode::Digest, limits), HttpError::BodyTooLarge);
}

TEST(HttpResponseTest, EndlessCloseDelimitedBodyStopsAtTheCap) {
  HttpLimits limits;
  limits.max_body = 1 << 20;
  HttpResponseParser parser(BodyMode::Digest, limits);
  parser.feed("HTTP/1.0 200 OK\r\n\r\n");
  const std::string block(64 * 1024, 'x');
  int blocks = 0;
  while (parser.state() == State::Body && blocks < 1000) {
    parser.feed(block);
    ++blocks;
  }
  EXPECT_EQ(parser.error(), HttpError::BodyTooLarge);
  EXPECT_EQ(blocks, 17);  // 16 blocks fill the cap exactly; the 17th passes it
}

TEST(HttpResponseTest, EofCasesAreNamed) {
  EXPECT_EQ(failure(""), HttpError::NoResponse);
  EXPECT_EQ(failure("HTTP/1.1 200 OK\r\nA: b"), HttpError::TruncatedHeaders);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n", BodyMode::Status).state, State::Done);
}

TEST(HttpResponseTest, EveryErrorHasAName) {
  for (int e = 0; e <= static_cast<int>(HttpError::NoResponse); ++e) {
    EXPECT_NE(httpErrorName(static_cast<HttpError>(e)), "unknown") << e;
  }
}

}  // namespace
}  // namespace keel::check
