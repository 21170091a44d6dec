#include "check/body_regex.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "check/http_response.h"

namespace keel::check {
namespace {

model::HttpRegex spec(std::string pattern) {
  model::HttpRegex r;
  r.pattern = std::move(pattern);
  return r;
}

// The verdict over `body` fed in pieces of `piece` bytes (0: all at once).
bool verdict(const model::HttpRegex& r, std::string_view body, std::size_t piece = 0) {
  auto re = base::Regex::compile(r.pattern, r.options);
  EXPECT_TRUE(re) << re.error().str();
  BodyRegex m(*re, r);
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t at = 0; at < body.size(); at += piece) m.feed(body.substr(at, piece));
  m.finish();
  EXPECT_TRUE(m.decided());
  return m.matched();
}

// Every way to cut `body` in two, the match straddling the cut in most.
bool verdictAtEverySplit(const model::HttpRegex& r, std::string_view body, bool want) {
  auto re = base::Regex::compile(r.pattern, r.options).value();
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    BodyRegex m(re, r);
    m.feed(body.substr(0, cut));
    m.feed(body.substr(cut));
    m.finish();
    if (m.matched() != want) {
      ADD_FAILURE() << "cut at " << cut << " of \"" << body << "\"";
      return false;
    }
  }
  return true;
}

TEST(BodyRegexTest, MatchStraddlingReadsIsFound) {
  const std::string body = "<html><body>service status: healthy</body></html>";
  EXPECT_TRUE(verdictAtEverySplit(spec("status: (healthy|degraded)"), body, true));
  EXPECT_TRUE(verdict(spec("status: (healthy|degraded)"), body, 1));
  EXPECT_TRUE(verdict(spec("status: (healthy|degraded)"), body, 3));
}

TEST(BodyRegexTest, BodyThatDoesNotMatchFails) {
  const std::string body = "<html><body>service status: sick</body></html>";
  EXPECT_TRUE(verdictAtEverySplit(spec("status: (healthy|degraded)"), body, false));
  EXPECT_FALSE(verdict(spec("status: (healthy|degraded)"), body, 1));
}

TEST(BodyRegexTest, LookbehindSeesBytesOfAnEarlierRead) {
  const std::string body = "xxxxabcdefxxxx";
  EXPECT_TRUE(verdictAtEverySplit(spec("(?<=abc)def"), body, true));
  EXPECT_TRUE(verdictAtEverySplit(spec("(?<=abz)def"), body, false));
  EXPECT_TRUE(verdict(spec("(?<=abc)def"), body, 1));
}

TEST(BodyRegexTest, StartAnchorAndWordBoundarySeeTheByteBefore) {
  // After a read is dropped, the next one is not the start of the body, nor of a word.
  EXPECT_TRUE(verdictAtEverySplit(spec("^ok"), "xxok", false));
  EXPECT_TRUE(verdictAtEverySplit(spec("^ok"), "okxx", true));
  EXPECT_TRUE(verdictAtEverySplit(spec("\\bok"), "xxxok", false));
  EXPECT_TRUE(verdictAtEverySplit(spec("\\bok"), "xx ok", true));
  model::HttpRegex lines = spec("^ok$");
  lines.options = {"multiline"};
  EXPECT_TRUE(verdictAtEverySplit(lines, "xx\nok\nyy", true));
  EXPECT_TRUE(verdictAtEverySplit(lines, "xx\nxok\nyy", false));
}

TEST(BodyRegexTest, EndAnchorAndGreedyTailSettleAtTheEnd) {
  // With partial matching, "ok\d*$" cannot match before the body is known to have ended.
  EXPECT_TRUE(verdictAtEverySplit(spec("ok\\d*$"), "status ok12", true));
  EXPECT_TRUE(verdictAtEverySplit(spec("ok\\d*$"), "status ok12 ", false));
}

TEST(BodyRegexTest, MinOffsetSkipsEarlierMatches) {
  model::HttpRegex r = spec("OK");
  r.min_offset = 5;
  EXPECT_FALSE(verdict(r, "xxxOKxxxxxxx"));                    // OK at 3
  EXPECT_TRUE(verdictAtEverySplit(r, "xxxOKxxxxxOKx", true));  // and at 10
  r.min_offset = 3;
  EXPECT_TRUE(verdict(r, "xxxOKxxxxxxx", 1));  // at min_offset itself
}

TEST(BodyRegexTest, MinOffsetKeepsTheLookbehindBeforeIt) {
  model::HttpRegex r = spec("(?<=ab)c");
  r.min_offset = 4;
  EXPECT_TRUE(verdictAtEverySplit(r, "xxabcx", true));  // c at 4, looks back at 2..3
}

TEST(BodyRegexTest, MaxOffsetBoundsWhereAMatchStarts) {
  model::HttpRegex r = spec("OK");
  r.max_offset = 9;
  EXPECT_FALSE(verdict(r, "xxxxxxxxxxOK"));                  // OK at 10
  EXPECT_TRUE(verdictAtEverySplit(r, "xxxxxxxxxOK", true));  // at 9: inclusive
  r.max_offset = 10;
  EXPECT_TRUE(verdictAtEverySplit(r, "xxxxxxxxxxOK", true));
}

TEST(BodyRegexTest, DecidedOnceMaxOffsetIsPassed) {
  model::HttpRegex r = spec("OK");
  r.max_offset = 3;
  auto re = base::Regex::compile(r.pattern, r.options).value();
  BodyRegex m(re, r);
  m.feed("xxxxxxxx");
  EXPECT_TRUE(m.decided());
  EXPECT_FALSE(m.matched());
  m.feed("OK");
  EXPECT_FALSE(m.matched());
}

TEST(BodyRegexTest, OptionsApply) {
  model::HttpRegex r = spec("^status: up$");
  EXPECT_FALSE(verdict(r, "a\nSTATUS: UP\nb"));
  r.options = {"caseless", "multiline"};
  EXPECT_TRUE(verdictAtEverySplit(r, "a\nSTATUS: UP\nb", true));
}

TEST(BodyRegexTest, ALongBodyKeepsTheWindowBounded) {
  // 1 MiB of body without a match, then the match: found, in 4 KiB reads.
  std::string body(1 << 20, 'x');
  body += "needle";
  EXPECT_TRUE(verdict(spec("needle"), body, 4096));
  EXPECT_FALSE(verdict(spec("needle!"), body, 4096));
}

// The parser streams a chunked body's content, framing removed, split wherever the reads fall.
TEST(BodyRegexTest, ChunkedBodyThroughTheParser) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "9\r\nstatus: h\r\n"
      "3\r\neal\r\n"
      "4\r\nthy!\r\n"
      "0\r\n\r\n";
  auto re = base::Regex::compile("status: healthy!", {}).value();
  for (std::size_t piece : {1U, 2U, 5U, 7U, 13U, 64U}) {
    BodyRegex m(re, spec("status: healthy!"));
    HttpResponseParser parser(BodyMode::Digest);
    parser.setContentSink([&](std::string_view b) { m.feed(b); });
    for (std::size_t at = 0; at < response.size(); at += piece) {
      parser.feed(std::string_view(response).substr(at, piece));
    }
    ASSERT_EQ(parser.state(), HttpResponseParser::State::Done) << piece;
    m.finish();
    EXPECT_TRUE(m.matched()) << "pieces of " << piece;
  }
}

TEST(BodyRegexTest, ParserContentStopsAtContentLength) {
  const std::string response = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nokayEXTRA";
  std::string seen;
  HttpResponseParser parser(BodyMode::Digest);
  parser.setContentSink([&](std::string_view b) { seen += b; });
  parser.feed(response);
  EXPECT_EQ(seen, "okay");
}

}  // namespace
}  // namespace keel::check
