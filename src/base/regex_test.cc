#include "base/regex.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keel::base {
namespace {

bool matches(const Regex& re, std::string_view subject) {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re.code(), nullptr);
  const int rc = pcre2_match(re.code(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, md, nullptr);
  pcre2_match_data_free(md);
  return rc >= 0;
}

TEST(RegexTest, CompilesAndMatches) {
  auto re = Regex::compile("st[a-z]+us: ok", {});
  ASSERT_TRUE(re) << re.error().str();
  EXPECT_TRUE(matches(**re, "the status: ok"));
  EXPECT_FALSE(matches(**re, "the STATUS: ok"));
}

TEST(RegexTest, OptionsSetCompileFlags) {
  const std::vector<std::string> options = {"caseless"};
  auto re = Regex::compile("status: ok", options);
  ASSERT_TRUE(re);
  EXPECT_TRUE(matches(**re, "STATUS: OK"));
  EXPECT_EQ(Regex::optionFlag("multiline"), PCRE2_MULTILINE);
  EXPECT_FALSE(Regex::optionFlag("bogus").has_value());
}

TEST(RegexTest, UnknownOptionIsAnError) {
  const std::vector<std::string> options = {"caseless", "sloppy"};
  auto re = Regex::compile("x", options);
  ASSERT_FALSE(re);
  EXPECT_NE(re.error().message.find("\"sloppy\""), std::string::npos);
}

TEST(RegexTest, BadPatternNamesTheOffset) {
  auto re = Regex::compile("ab(c", {});
  ASSERT_FALSE(re);
  EXPECT_NE(re.error().message.find("at offset 4"), std::string::npos) << re.error().message;
}

TEST(RegexTest, ReportsTheLookbehind) {
  auto re = Regex::compile("(?<=abc)d", {});
  ASSERT_TRUE(re);
  EXPECT_EQ((*re)->maxLookbehind(), 3u);
}

}  // namespace
}  // namespace keel::base
