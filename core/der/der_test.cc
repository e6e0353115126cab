#include "core/der/der.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/der/testing/der_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::der {
namespace {

using ::enlist::der::testing::Cat;
using ::enlist::der::testing::Integer;
using ::enlist::der::testing::OctetString;
using ::enlist::der::testing::Oid;
using ::enlist::der::testing::Seq;
using ::enlist::der::testing::Tlv;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> b) {
  std::string out;
  for (int x : b) out.push_back(static_cast<char>(x));
  return out;
}

Reader MustCreate(absl::string_view data, const Limits& limits = Limits()) {
  absl::StatusOr<Reader> r = Reader::Create(data, limits);
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

TEST(DerReaderTest, ReadsNestedStructureAndTlv) {
  const std::string inner = Cat({Integer(5), Oid("1.2.840.113549.1.7.2"), OctetString("hi")});
  const std::string der = Seq({inner}) + Tlv(kNull, "");
  Reader r = MustCreate(der);
  absl::string_view tlv;
  absl::StatusOr<Reader> seq = r.ReadConstructed(kSequence, &tlv);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(tlv, Seq({inner}));
  EXPECT_EQ(seq->depth(), 1);
  absl::StatusOr<int64_t> v = seq->ReadSmallNonNegativeInteger();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  absl::StatusOr<absl::string_view> oid = seq->ReadOid();
  ASSERT_TRUE(oid.ok());
  EXPECT_EQ(OidToString(*oid), "1.2.840.113549.1.7.2");
  absl::StatusOr<absl::string_view> os = seq->ReadOctetString();
  ASSERT_TRUE(os.ok());
  EXPECT_EQ(*os, "hi");
  EXPECT_TRUE(seq->ExpectEnd("seq").ok());
  EXPECT_TRUE(r.ReadNull().ok());
  EXPECT_TRUE(r.empty());
}

TEST(DerReaderTest, LongFormLength) {
  const std::string payload(300, 'x');
  const std::string der = OctetString(payload);
  EXPECT_EQ(der.substr(0, 4), Bytes({0x04, 0x82, 0x01, 0x2c}));
  Reader r = MustCreate(der);
  absl::StatusOr<absl::string_view> v = r.ReadOctetString();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->size(), 300u);
}

TEST(DerReaderTest, OptionalElements) {
  const std::string der = Tlv(ContextTag(0, true), Integer(1)) + Integer(2);
  Reader r = MustCreate(der);
  absl::StatusOr<std::optional<Reader>> c1 = r.ReadOptionalConstructed(ContextTag(1, true));
  ASSERT_TRUE(c1.ok());
  EXPECT_FALSE(c1->has_value());
  absl::StatusOr<std::optional<Reader>> c0 = r.ReadOptionalConstructed(ContextTag(0, true));
  ASSERT_TRUE(c0.ok());
  ASSERT_TRUE(c0->has_value());
  EXPECT_TRUE((*c0)->ReadInteger().ok());
  absl::StatusOr<std::optional<Element>> missing = r.ReadOptional(kBoolean);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  absl::StatusOr<std::optional<Element>> i = r.ReadOptional(kInteger);
  ASSERT_TRUE(i.ok());
  ASSERT_TRUE(i->has_value());
  EXPECT_EQ((*i)->value, Bytes({2}));
}

TEST(DerReaderTest, BooleansAndIntegers) {
  const std::string der =
      Bytes({0x01, 0x01, 0xff, 0x01, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0xff});
  Reader r = MustCreate(der);
  EXPECT_EQ(*r.ReadBoolean(), true);
  EXPECT_EQ(*r.ReadBoolean(), false);
  EXPECT_EQ(*r.ReadInteger(), Bytes({0x00, 0x80}));
  EXPECT_EQ(*r.ReadInteger(), Bytes({0xff}));
}

TEST(DerReaderTest, Times) {
  const std::string der = Tlv(kUtcTime, "191213003340Z") + Tlv(kUtcTime, "491231235959Z") +
                          Tlv(kGeneralizedTime, "20500101000000Z");
  Reader r = MustCreate(der);
  EXPECT_EQ(*r.ReadTime(),
            absl::FromCivil(absl::CivilSecond(2019, 12, 13, 0, 33, 40), absl::UTCTimeZone()));
  EXPECT_EQ(*r.ReadTime(),
            absl::FromCivil(absl::CivilSecond(2049, 12, 31, 23, 59, 59), absl::UTCTimeZone()));
  EXPECT_EQ(*r.ReadTime(),
            absl::FromCivil(absl::CivilSecond(2050, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
}

TEST(DerReaderTest, OidRoundTrip) {
  for (const char* s : {"1.2.840.113549.1.1.11", "2.16.840.1.101.3.4.2.1", "2.999.3",
                        "0.9.2342.19200300.100.1.25", "1.3.6.1.5.5.7.48.2"}) {
    absl::StatusOr<std::string> c = OidFromString(s);
    ASSERT_TRUE(c.ok()) << s;
    EXPECT_EQ(OidToString(*c), s);
  }
  EXPECT_FALSE(OidFromString("3.1").ok());
  EXPECT_FALSE(OidFromString("1.40").ok());
  EXPECT_FALSE(OidFromString("1").ok());
  EXPECT_FALSE(OidFromString("1..2").ok());
  EXPECT_EQ(OidToString(Bytes({0x80, 0x01})), "<invalid oid>");
}

TEST(DerReaderTest, DepthCap) {
  std::string der = Integer(1);
  for (int i = 0; i < 5; ++i) der = Seq({der});
  Limits limits;
  limits.max_depth = 4;
  Reader r = MustCreate(der, limits);
  absl::Status st;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Reader> child = r.ReadConstructed(kSequence);
    if (!child.ok()) {
      st = child.status();
      EXPECT_EQ(i, 4);
      break;
    }
    r = *child;
  }
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("nesting deeper than 4"));
}

TEST(DerReaderTest, InputSizeCap) {
  Limits limits;
  limits.max_input_size = 3;
  absl::StatusOr<Reader> r = Reader::Create("abcd", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("exceeds limit of 3"));
}

TEST(DerReaderTest, PeekDoesNotConsume) {
  const std::string der = Integer(7);
  Reader r = MustCreate(der);
  EXPECT_EQ(*r.PeekTag(), kInteger);
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_TRUE(r.NextIs(kInteger));
  EXPECT_FALSE(r.NextIs(kSequence));
}

// One rejected input: the read to attempt, and the message substring.
enum class Op { kAny, kSequence, kInteger, kOid, kOctetString, kBoolean, kNull, kTime, kEnd };

struct RejectCase {
  const char* name;
  std::string input;
  Op op;
  const char* message;
};

absl::Status RunCase(const RejectCase& c) {
  Reader r = MustCreate(c.input);
  switch (c.op) {
    case Op::kAny:
      return r.ReadAny().status();
    case Op::kSequence:
      return r.ReadConstructed(kSequence).status();
    case Op::kInteger:
      return r.ReadInteger().status();
    case Op::kOid:
      return r.ReadOid().status();
    case Op::kOctetString:
      return r.ReadOctetString().status();
    case Op::kBoolean:
      return r.ReadBoolean().status();
    case Op::kNull:
      return r.ReadNull();
    case Op::kTime:
      return r.ReadTime().status();
    case Op::kEnd: {
      absl::Status s = r.ReadAny().status();
      if (!s.ok()) return s;
      return r.ExpectEnd("top");
    }
  }
  return absl::OkStatus();
}

class DerRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(DerRejectTest, Rejects) {
  const RejectCase& c = GetParam();
  absl::Status st = RunCase(c);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(st.message(), HasSubstr(c.message));
  EXPECT_THAT(std::string(st.message()), ::testing::StartsWith("der: "));
}

INSTANTIATE_TEST_SUITE_P(
    Table, DerRejectTest,
    ::testing::Values(
        RejectCase{"empty", "", Op::kAny, "unexpected end of data"},
        RejectCase{"tag_only", Bytes({0x30}), Op::kAny, "truncated length"},
        RejectCase{"indefinite", Bytes({0x30, 0x80, 0x00, 0x00}), Op::kAny,
                   "indefinite length not allowed"},
        RejectCase{"reserved_length", Bytes({0x04, 0xff}), Op::kAny, "reserved length octet"},
        RejectCase{"long_form_small", Bytes({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}), Op::kAny,
                   "non-minimal length encoding"},
        RejectCase{"long_form_leading_zero",
                   Bytes({0x04, 0x82, 0x00, 0x81}) + std::string(0x81, 'a'), Op::kAny,
                   "non-minimal length encoding"},
        RejectCase{"length_too_many_octets", Bytes({0x04, 0x85, 1, 0, 0, 0, 0}), Op::kAny,
                   "length too large"},
        RejectCase{"truncated_long_length", Bytes({0x04, 0x82, 0x01}), Op::kAny,
                   "truncated length"},
        RejectCase{"overlong_value", Bytes({0x04, 0x05, 1, 2}), Op::kAny,
                   "length 5 exceeds remaining 2 bytes"},
        RejectCase{"overlong_long_form", Bytes({0x04, 0x82, 0x01, 0x00, 1}), Op::kAny,
                   "length 256 exceeds remaining 1 bytes"},
        RejectCase{"high_tag", Bytes({0x1f, 0x81, 0x00, 0x00}), Op::kAny,
                   "high tag number form not supported"},
        RejectCase{"high_tag_context", Bytes({0xbf, 0x20, 0x00}), Op::kAny,
                   "high tag number form not supported"},
        RejectCase{"wrong_tag", Integer(1), Op::kSequence, "expected tag 0x30, got 0x02"},
        RejectCase{"eof_expected", "", Op::kSequence, "expected tag 0x30: unexpected end"},
        RejectCase{"empty_integer", Bytes({0x02, 0x00}), Op::kInteger, "integer: empty"},
        RejectCase{"integer_leading_zero", Bytes({0x02, 0x02, 0x00, 0x7f}), Op::kInteger,
                   "non-minimal encoding"},
        RejectCase{"integer_leading_ff", Bytes({0x02, 0x02, 0xff, 0x80}), Op::kInteger,
                   "non-minimal encoding"},
        RejectCase{"empty_oid", Bytes({0x06, 0x00}), Op::kOid, "oid: empty"},
        RejectCase{"oid_padding", Bytes({0x06, 0x03, 0x2a, 0x80, 0x01}), Op::kOid,
                   "non-minimal subidentifier"},
        RejectCase{"oid_truncated", Bytes({0x06, 0x02, 0x2a, 0x86}), Op::kOid,
                   "truncated subidentifier"},
        RejectCase{"constructed_octet_string", Bytes({0x24, 0x03, 0x04, 0x01, 0x61}),
                   Op::kOctetString, "expected tag 0x04, got 0x24"},
        RejectCase{"boolean_not_ff", Bytes({0x01, 0x01, 0x01}), Op::kBoolean,
                   "value must be 0x00 or 0xff"},
        RejectCase{"boolean_long", Bytes({0x01, 0x02, 0xff, 0xff}), Op::kBoolean,
                   "length must be 1"},
        RejectCase{"null_with_content", Bytes({0x05, 0x01, 0x00}), Op::kNull, "must be empty"},
        RejectCase{"utctime_no_seconds", Tlv(kUtcTime, "1912130033Z"), Op::kTime,
                   "utctime must be"},
        RejectCase{"utctime_offset", Tlv(kUtcTime, "191213003340+0100"), Op::kTime,
                   "utctime must be"},
        RejectCase{"gentime_fraction", Tlv(kGeneralizedTime, "20191213003340.5Z"), Op::kTime,
                   "generalizedtime must be"},
        RejectCase{"time_out_of_range", Tlv(kUtcTime, "191332003340Z"), Op::kTime,
                   "field out of range"},
        RejectCase{"time_wrong_tag", Integer(1), Op::kTime, "expected utctime or"},
        RejectCase{"trailing", Integer(1) + Bytes({0x00}), Op::kEnd,
                   "top: trailing data (1 bytes)"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::der
