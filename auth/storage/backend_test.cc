#include "auth/storage/backend.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::storage {
namespace {

using ::testing::HasSubstr;

TEST(PrefixEndTest, IncrementsLastByteBelowFf) {
  struct Case {
    std::string prefix;
    std::string end;
  };
  const Case cases[] = {
      {"/tokens/", "/tokens0"},
      {"/a", "/b"},
      {std::string("/a\xff"), "/b"},
      {std::string("\xff\xff"), ""},
      {"", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PrefixEnd(c.prefix), c.end) << c.prefix;
  }
}

TEST(KeyRangeTest, PrefixContainsOnlyItsKeys) {
  KeyRange r = KeyRange::Prefix("/tokens/");
  EXPECT_TRUE(r.Contains("/tokens/"));
  EXPECT_TRUE(r.Contains("/tokens/a"));
  EXPECT_FALSE(r.Contains("/tokens"));
  EXPECT_FALSE(r.Contains("/tokensx"));
  EXPECT_FALSE(r.Contains("/tokens0"));
  KeyRange all = KeyRange::Prefix("");
  EXPECT_TRUE(all.Contains(std::string("\xff\xff")));
}

TEST(NextKeyTest, IsSmallestGreaterKey) {
  EXPECT_EQ(NextKey("/a"), std::string("/a\0", 3));
  EXPECT_LT(std::string("/a"), NextKey("/a"));
  EXPECT_LT(NextKey("/a"), std::string("/a\x01"));
}

TEST(ValidateTest, MessagesCarryContext) {
  absl::Status s = internal::ValidateKey("sqlite", "put", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "storage: sqlite: put x: key must start with '/'");
  s = internal::ValidateKey("memory", "get", "/a\nb");
  EXPECT_EQ(s.code(), absl::StatusCode::kOk);
  std::string escaped = internal::KeyForMessage(std::string("/a\n\x01"));
  EXPECT_EQ(escaped, "/a\\n\\x01");
  EXPECT_THAT(internal::KeyForMessage(std::string(500, 'k')), HasSubstr("..."));
  EXPECT_EQ(internal::KeyForMessage(std::string(500, 'k')).size(), 131u);
}

}  // namespace
}  // namespace enlist::storage
