#include "base/error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return makeError(ErrorCode::InvalidArgument, "odd");
  return v / 2;
}

Result<int> quarter(int v) {
  auto h = half(v);
  KEEL_TRY(h);
  return half(*h);
}

TEST(ErrorTest, ResultCarriesValueOrError) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(r.error().str(), "odd");
}

TEST(ErrorTest, SystemErrorHasErrnoTextAndPlace) {
  Error e = KEEL_SYS_ERROR(ENOENT, "open /nope");
  EXPECT_EQ(e.code, ErrorCode::System);
  EXPECT_EQ(e.sys_errno, ENOENT);
  std::string s = e.str();
  EXPECT_EQ(s.rfind("open /nope: No such file or directory [base/error_test.cc:", 0), 0u) << s;
}

TEST(ErrorTest, StatusOk) {
  Status s = ok();
  EXPECT_TRUE(s);
}

}  // namespace
}  // namespace keel::base
