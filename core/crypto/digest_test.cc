#include "core/crypto/digest.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

TEST(Sha256Test, KnownVectors) {
  // FIPS 180-2 appendix B.1 and the empty string.
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("nonce-1", "nonce-1"));
  EXPECT_FALSE(ConstantTimeEquals("nonce-1", "nonce-2"));
  EXPECT_FALSE(ConstantTimeEquals("nonce", "nonce-1"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(RandomBytesTest, ReturnsRequestedLengthAndVaries) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    absl::StatusOr<std::string> r = RandomBytes(24);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->size(), 24u);
    seen.insert(*r);
  }
  EXPECT_EQ(seen.size(), 16u);
}

}  // namespace
}  // namespace enlist::crypto
