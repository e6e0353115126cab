#include "core/der/der_writer.h"

#include <string>

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

TEST(DerWriterTest, BadOidIsInvalidArgument) {
  absl::StatusOr<std::string> oid = Oid("not.an.oid");
  EXPECT_EQ(oid.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace enlist::der::write
