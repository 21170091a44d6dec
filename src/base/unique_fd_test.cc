#include "base/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include <gtest/gtest.h>

namespace keel::base {
namespace {

bool isOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFdTest, ClosesOnDestructionAndReset) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_TRUE(fd.valid());
    EXPECT_TRUE(isOpen(raw));
  }
  EXPECT_FALSE(isOpen(raw));

  int a = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  UniqueFd fd(a);
  int b = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  fd.reset(b);
  EXPECT_FALSE(isOpen(a));
  EXPECT_TRUE(isOpen(b));
  EXPECT_EQ(fd.get(), b);
}

TEST(UniqueFdTest, MoveTransfersOwnershipAndReleaseKeepsFdOpen) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  UniqueFd a(raw);
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  EXPECT_EQ(b.get(), raw);
  UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  int released = c.release();
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(isOpen(released));
  ::close(released);
}

}  // namespace
}  // namespace keel::base
