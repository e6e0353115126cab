#include "core/der/der_writer.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::der::write {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(DerWriterTest, MinimalLengths) {
  EXPECT_EQ(Length(0), Bytes({0x00}));
  EXPECT_EQ(Length(0x7f), Bytes({0x7f}));
  EXPECT_EQ(Length(0x80), Bytes({0x81, 0x80}));
  EXPECT_EQ(Length(0x1234), Bytes({0x82, 0x12, 0x34}));
}

TEST(DerWriterTest, Integers) {
  EXPECT_EQ(Integer(0), Bytes({0x02, 0x01, 0x00}));
  EXPECT_EQ(Integer(127), Bytes({0x02, 0x01, 0x7f}));
  EXPECT_EQ(Integer(128), Bytes({0x02, 0x02, 0x00, 0x80}));
}

TEST(DerWriterTest, OidsAndStructures) {
  absl::StatusOr<std::string> oid = Oid("1.2.840.113549.1.7.1");
  ASSERT_TRUE(oid.ok()) << oid.status();
  EXPECT_EQ(*oid, Bytes({0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}));
  EXPECT_EQ(Seq({Null(), Boolean(true)}), Bytes({0x30, 0x05, 0x05, 0x00, 0x01, 0x01, 0xff}));
  EXPECT_EQ(Context(0, {OctetString("a")}), Bytes({0xa0, 0x03, 0x04, 0x01, 'a'}));
  EXPECT_EQ(UtcTime(absl::FromUnixSeconds(0)), Bytes({0x17, 0x0d}) + "700101000000Z");
}

TEST(DerWriterTest, CertificateTimePicksUtcOrGeneralizedByYear) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  auto at = [&](int y) { return absl::FromCivil(absl::CivilSecond(y, 3, 4, 5, 6, 7), utc); };
  EXPECT_EQ(*CertificateTime(at(1950)), Bytes({0x17, 0x0d}) + "500304050607Z");
  EXPECT_EQ(*CertificateTime(at(2049)), Bytes({0x17, 0x0d}) + "490304050607Z");
  EXPECT_EQ(*CertificateTime(at(2050)), Bytes({0x18, 0x0f}) + "20500304050607Z");
  EXPECT_EQ(*CertificateTime(at(1949)), Bytes({0x18, 0x0f}) + "19490304050607Z");
  // A fraction of a second is dropped, not rounded.
  EXPECT_EQ(*CertificateTime(at(2026) + absl::Milliseconds(999)),
            Bytes({0x17, 0x0d}) + "260304050607Z");
  absl::StatusOr<std::string> far = CertificateTime(at(10000));
  EXPECT_EQ(far.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(far.status().message(), "der: time in year 10000 cannot be encoded (years 1-9999)");
  EXPECT_EQ(CertificateTime(absl::InfiniteFuture()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DerWriterTest, BitStringHasNoUnusedBits) {
  EXPECT_EQ(BitString("\x80"), Bytes({0x03, 0x02, 0x00, 0x80}));
  EXPECT_EQ(BitString(""), Bytes({0x03, 0x01, 0x00}));
}

TEST(DerWriterTest, BadOidIsInvalidArgument) {
  absl::StatusOr<std::string> oid = Oid("not.an.oid");
  EXPECT_EQ(oid.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace enlist::der::write
