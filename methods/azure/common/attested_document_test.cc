#include "methods/azure/common/attested_document.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::azure {
namespace {

using ::testing::HasSubstr;

TEST(AzureTimeTest, ParsesAndFormats) {
  absl::StatusOr<absl::Time> t = ParseAzureTime("06/25/26 18:56:45 -0000");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M:%S", *t, absl::UTCTimeZone()), "2026-06-25T18:56:45");
  EXPECT_EQ(FormatAzureTime(*t), "06/25/26 18:56:45 -0000");
  for (const char* bad : {"2026-06-25T18:56:45Z", "06/25/26 18:56:45 +0100", "13/25/26 18:56:45 -0000",
                          "02/30/26 00:00:00 -0000", "06/25/26 24:00:00 -0000", "6/25/26 18:56:45 -0000",
                          ""}) {
    EXPECT_EQ(ParseAzureTime(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(EnvelopeTest, Rejections) {
  struct Case {
    const char* body;
    const char* want;
  } cases[] = {
      {"", "attested data: json"},
      {"[]", "not a JSON object"},
      {"{\"signature\":\"AA==\"}", "missing required field \"encoding\""},
      {"{\"encoding\":\"base64\",\"signature\":\"AA==\"}", "encoding is not \"pkcs7\""},
      {"{\"encoding\":\"pkcs7\"}", "missing required field \"signature\""},
      {"{\"encoding\":\"pkcs7\",\"signature\":\"*not base64*\"}", "attested data: signature: base64"},
      {"{\"encoding\":\"pkcs7\",\"signature\":\"\"}", "signature is empty"},
      {"{\"encoding\":\"pkcs7\",\"encoding\":\"pkcs7\",\"signature\":\"AA==\"}", "duplicate"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> r = ParseAttestedEnvelope(c.body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.want)) << c.body;
  }
  EXPECT_THAT(std::string(ParseAttestedEnvelope(std::string(40000, ' ')).status().message()),
              HasSubstr("over the limit"));
  absl::StatusOr<std::string> ok = ParseAttestedEnvelope("{\"encoding\":\"pkcs7\",\"signature\":\"AAEC\"}");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, std::string("\0\1\2", 3));
}

TEST(PayloadTest, RealShapeParses) {
  absl::StatusOr<AttestedPayload> p = ParseAttestedPayload(
      "{\"licenseType\":\"\",\"nonce\":\"abc\",\"plan\":{\"name\":\"\",\"product\":\"\","
      "\"publisher\":\"\"},\"sku\":\"\",\"subscriptionId\":\"AAAAAAAA-1111-2222-3333-444444444444\","
      "\"timeStamp\":{\"createdOn\":\"06/25/26 12:56:45 -0000\",\"expiresOn\":\"06/25/26 18:56:45 "
      "-0000\"},\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\"}");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->nonce, "abc");
  EXPECT_EQ(p->subscription_id, "aaaaaaaa-1111-2222-3333-444444444444");
  EXPECT_EQ(p->expires_on - p->created_on, absl::Hours(6));
}

TEST(PayloadTest, Rejections) {
  const std::string ts =
      "\"timeStamp\":{\"createdOn\":\"06/25/26 12:56:45 -0000\",\"expiresOn\":\"06/25/26 18:56:45 -0000\"}";
  struct Case {
    std::string body;
    const char* want;
  } cases[] = {
      {"{", "attested payload: json"},
      {"{\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\"," + ts + "}", "missing required field \"nonce\""},
      {"{\"nonce\":\"n\",\"vmId\":\"not-a-uuid\"," + ts + "}", "vmId is not a UUID"},
      {"{\"nonce\":\"n\",\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\",\"subscriptionId\":\"x\"," +
           ts + "}",
       "subscriptionId is not a UUID"},
      {"{\"nonce\":\"n\",\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\"}", "missing required field \"timeStamp\""},
      {"{\"nonce\":\"n\",\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\",\"timeStamp\":{\"createdOn\":"
       "\"2026-06-25\",\"expiresOn\":\"06/25/26 18:56:45 -0000\"}}",
       "timeStamp.createdOn: malformed date"},
      {"{\"nonce\":1,\"vmId\":\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\"," + ts + "}", "expected string"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AttestedPayload> r = ParseAttestedPayload(c.body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.want)) << c.body;
  }
}

}  // namespace
}  // namespace enlist::azure
