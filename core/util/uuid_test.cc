#include "core/util/uuid.h"

#include "gtest/gtest.h"

namespace enlist {
namespace {

TEST(UuidTest, AcceptsOnlyTheTextForm) {
  EXPECT_TRUE(IsUuid("02aab8a4-74ef-476e-8182-f6d2ba4166a6"));
  EXPECT_TRUE(IsUuid("02AAB8A4-74EF-476E-8182-F6D2BA4166A6"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("02aab8a474ef476e8182f6d2ba4166a6"));
  EXPECT_FALSE(IsUuid("02aab8a4-74ef-476e-8182-f6d2ba4166a"));
  EXPECT_FALSE(IsUuid("02aab8a4-74ef-476e-8182-f6d2ba4166ag"));
  EXPECT_FALSE(IsUuid("02aab8a4+74ef-476e-8182-f6d2ba4166a6"));
  EXPECT_FALSE(IsUuid("../../etc/passwd-0000-0000-000000000"));
}

}  // namespace
}  // namespace enlist
