#include "core/encoding/base64.h"

#include <string>

#include "gtest/gtest.h"

namespace enlist::encoding {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  // RFC 4648 §10.
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    absl::StatusOr<std::string> d = Base64Decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded << ": " << d.status();
    EXPECT_EQ(*d, plain);
    std::string url(encoded);
    url.erase(url.find_last_not_of('=') + 1);
    EXPECT_EQ(Base64UrlEncode(plain), url);
    EXPECT_EQ(*Base64UrlDecode(url), plain);
  }
}

TEST(Base64Test, UrlAlphabetAndRoundTripAllBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    std::string data = all.substr(0, len);
    EXPECT_EQ(*Base64Decode(Base64Encode(data)), data);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(data)), data);
  }
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

struct RejectCase {
  const char* name;
  bool url;
  std::string input;
  const char* message;
};

class Base64RejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(Base64RejectTest, Rejects) {
  const RejectCase& c = GetParam();
  absl::StatusOr<std::string> d = c.url ? Base64UrlDecode(c.input) : Base64Decode(c.input);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(d.status().message()).find(c.message), std::string::npos) << d.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Base64RejectTest,
    testing::Values(
        RejectCase{"std_missing_padding", false, "Zg", "base64: invalid length 2"},
        RejectCase{"std_whitespace", false, "Zm9v\nYmFy", "base64: invalid length 9"},
        RejectCase{"std_inner_space", false, "Zm 9", "base64: invalid character at offset 2"},
        RejectCase{"std_url_alphabet", false, "-_8=", "base64: invalid character at offset 0"},
        RejectCase{"std_pad_in_middle", false, "Zg==Zm9v", "base64: invalid padding"},
        RejectCase{"std_three_pads", false, "Z===", "base64: invalid padding"},
        RejectCase{"std_pad_then_char", false, "Zm=v", "base64: invalid padding"},
        RejectCase{"std_noncanonical_1", false, "Zh==", "base64: non-canonical trailing bits"},
        RejectCase{"std_noncanonical_2", false, "Zm9=", "base64: non-canonical trailing bits"},
        RejectCase{"url_padding", true, "Zg==", "base64url: invalid character at offset 2"},
        RejectCase{"url_std_alphabet", true, "+/8", "base64url: invalid character at offset 0"},
        RejectCase{"url_bad_length", true, "Zm9vY", "base64url: invalid length 5"},
        RejectCase{"url_noncanonical", true, "Zh", "base64url: non-canonical trailing bits"},
        RejectCase{"url_dot", true, "ab.c", "base64url: invalid character at offset 2"},
        RejectCase{"url_nul", true, std::string("ab\0c", 4), "invalid character at offset 2"}),
    [](const testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::encoding
