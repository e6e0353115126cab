#include "core/util/status_macros.h"

#include <string>

#include "gtest/gtest.h"

namespace enlist {
namespace {

absl::StatusOr<int> Parse(bool ok) {
  if (!ok) return absl::InvalidArgumentError("parse: bad input");
  return 7;
}

absl::Status Use(bool ok, int* out) {
  ENLIST_ASSIGN_OR_RETURN(int v, Parse(ok));
  ENLIST_RETURN_IF_ERROR(v == 7 ? absl::OkStatus()
                                : absl::InternalError("use: unexpected"));
  *out = v;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PassesValueThrough) {
  int out = 0;
  ASSERT_TRUE(Use(true, &out).ok());
  EXPECT_EQ(out, 7);
}

TEST(StatusMacrosTest, ReturnsErrorUnchanged) {
  int out = 0;
  absl::Status s = Use(false, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "parse: bad input");
  EXPECT_EQ(out, 0);
}

}  // namespace
}  // namespace enlist
