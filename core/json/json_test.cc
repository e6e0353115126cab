#include "core/json/json.h"

#include <string>

#include "gtest/gtest.h"

namespace enlist::json {
namespace {

TEST(JsonParseTest, ParsesAllValueKinds) {
  absl::StatusOr<Value> v = Parse(
      R"( {"n":null,"t":true,"f":false,"i":-42,"d":1.5e3,"s":"a\"b\\c\/\n",)"
      R"("a":[1,"x",[]],"o":{"k":{}}} )");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_object());
  EXPECT_TRUE(v->Find("n")->is_null());
  EXPECT_TRUE(v->Find("t")->bool_value());
  EXPECT_FALSE(v->Find("f")->bool_value());
  EXPECT_EQ(*v->Find("i")->AsInt64(), -42);
  EXPECT_EQ(v->Find("d")->number_text(), "1.5e3");
  EXPECT_DOUBLE_EQ(*v->Find("d")->AsDouble(), 1500.0);
  EXPECT_EQ(v->Find("s")->string_value(), "a\"b\\c/\n");
  EXPECT_EQ(v->Find("a")->array().size(), 3u);
  EXPECT_TRUE(v->Find("o")->Find("k")->is_object());
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonParseTest, TopLevelScalarsAreValues) {
  EXPECT_TRUE(Parse("0")->is_number());
  EXPECT_EQ(Parse("\"x\"")->string_value(), "x");
  EXPECT_TRUE(Parse(" null ")->is_null());
}

TEST(JsonParseTest, UnicodeEscapesAndSurrogatePairs) {
  absl::StatusOr<Value> v = Parse(R"(["\u00e9", "\ud83d\ude00", "\u0000", "é😀"])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->array()[0].string_value(), "\xc3\xa9");
  EXPECT_EQ(v->array()[1].string_value(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(v->array()[2].string_value(), std::string("\0", 1));
  EXPECT_EQ(v->array()[3].string_value(), "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonParseTest, Int64IsExact) {
  EXPECT_EQ(*Parse("9223372036854775807")->AsInt64(), INT64_MAX);
  EXPECT_EQ(*Parse("-9223372036854775808")->AsInt64(), INT64_MIN);
  EXPECT_EQ(Parse("9223372036854775808")->AsInt64().status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse("1.0")->AsInt64().status().message(), "json: number is not an integer");
  EXPECT_EQ(Parse("1e999")->AsDouble().status().message(), "json: number out of double range");
}

struct RejectCase {
  const char* name;
  std::string input;
  const char* message;  // expected substring
};

class JsonRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(JsonRejectTest, RejectsWithOffset) {
  ParseOptions options;
  options.max_depth = 4;
  options.max_size = 100;
  absl::StatusOr<Value> v = Parse(GetParam().input, options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(v.status().message()).find(GetParam().message), std::string::npos)
      << v.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonRejectTest,
    testing::Values(
        RejectCase{"empty", "", "json: offset 0: unexpected end of input"},
        RejectCase{"whitespace_only", "  ", "offset 2: unexpected end of input"},
        RejectCase{"duplicate_key", R"({"a":1,"a":2})", "json: offset 7: duplicate object key \"a\""},
        RejectCase{"duplicate_key_via_escape", R"({"a":1,"\u0061":2})", "duplicate object key \"a\""},
        RejectCase{"nested_duplicate", R"({"x":{"b":1,"b":1}})", "offset 12: duplicate object key"},
        RejectCase{"trailing_garbage", "{} x", "offset 3: trailing data after value"},
        RejectCase{"two_values", "1 2", "trailing data after value"},
        RejectCase{"trailing_comma_object", R"({"a":1,})", "expected string key in object"},
        RejectCase{"trailing_comma_array", "[1,]", "unexpected character"},
        RejectCase{"line_comment", "// c\n{}", "comments are not allowed"},
        RejectCase{"block_comment", "[1/*c*/]", "expected ',' or ']'"},
        RejectCase{"nan", "NaN", "unexpected character"},
        RejectCase{"infinity", "[Infinity]", "unexpected character"},
        RejectCase{"neg_infinity", "-Infinity", "invalid number"},
        RejectCase{"leading_zero", "012", "leading zero"},
        RejectCase{"plus_sign", "+1", "unexpected character"},
        RejectCase{"dot_no_digits", "1.", "digit expected after '.'"},
        RejectCase{"exp_no_digits", "1e+", "digit expected in exponent"},
        RejectCase{"hex", "0x10", "trailing data"},
        RejectCase{"single_quotes", "'a'", "unexpected character"},
        RejectCase{"unquoted_key", "{a:1}", "expected string key"},
        RejectCase{"missing_colon", R"({"a" 1})", "expected ':'"},
        RejectCase{"unterminated_string", "\"abc", "unterminated string"},
        RejectCase{"unterminated_array", "[1", "unterminated array"},
        RejectCase{"unterminated_object", "{\"a\":1", "unterminated object"},
        RejectCase{"raw_newline_in_string", "\"a\nb\"", "offset 2: control character in string"},
        RejectCase{"bad_escape", R"("\x41")", "offset 2: invalid escape"},
        RejectCase{"bad_hex", R"("\u12G4")", "invalid \\u escape"},
        RejectCase{"truncated_u", R"("\u12)", "truncated \\u escape"},
        RejectCase{"lone_high_surrogate", R"("\ud800x")", "lone high surrogate"},
        RejectCase{"high_then_non_low", R"("\ud800\u0041")", "lone high surrogate"},
        RejectCase{"lone_low_surrogate", R"("\udc00")", "lone low surrogate"},
        RejectCase{"invalid_utf8_byte", "\"\xff\"", "offset 1: invalid UTF-8"},
        RejectCase{"overlong_utf8", "\"\xc0\xaf\"", "invalid UTF-8"},
        RejectCase{"utf8_surrogate", "\"\xed\xa0\x80\"", "invalid UTF-8"},
        RejectCase{"utf8_above_max", "\"\xf4\x90\x80\x80\"", "invalid UTF-8"},
        RejectCase{"truncated_utf8", "\"\xe2\x82", "invalid UTF-8"},
        RejectCase{"bad_literal", "tru", "invalid literal"},
        RejectCase{"capital_literal", "True", "unexpected character"},
        RejectCase{"too_deep", "[[[[[1]]]]]", "offset 4: nesting deeper than 4"},
        RejectCase{"too_deep_objects", R"({"a":{"a":{"a":{"a":{}}}}})", "nesting deeper than 4"},
        RejectCase{"too_large", std::string(101, ' '), "json: document of 101 bytes exceeds limit of 100"},
        RejectCase{"bom", "\xef\xbb\xbf{}", "unexpected character"}),
    [](const testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

TEST(JsonParseTest, DepthAtLimitIsAccepted) {
  ParseOptions options;
  options.max_depth = 4;
  EXPECT_TRUE(Parse("[[[[1]]]]", options).ok());
}

TEST(JsonParseTest, DefaultDepthStopsDeepInput) {
  std::string deep(100000, '[');
  absl::StatusOr<Value> v = Parse(deep);
  EXPECT_NE(std::string(v.status().message()).find("nesting deeper than 32"), std::string::npos);
}

struct FieldCase {
  const char* name;
  std::string doc;
  std::string op;  // which getter
  absl::StatusCode code;
  const char* message;
};

class JsonFieldTest : public testing::TestWithParam<FieldCase> {};

TEST_P(JsonFieldTest, GetterErrorsNameTheField) {
  absl::StatusOr<Value> v = Parse(GetParam().doc);
  ASSERT_TRUE(v.ok()) << v.status();
  absl::Status s;
  const std::string& op = GetParam().op;
  if (op == "string") s = v->GetString("nonce").status();
  if (op == "optstring") s = v->GetOptionalString("nonce").status();
  if (op == "int") s = v->GetInt64("nonce").status();
  if (op == "optint") s = v->GetOptionalInt64("nonce").status();
  if (op == "bool") s = v->GetBool("nonce").status();
  if (op == "object") s = v->GetObject("nonce").status();
  if (op == "array") s = v->GetArray("nonce").status();
  if (op == "strarray") s = v->GetStringArray("nonce").status();
  EXPECT_EQ(s.code(), GetParam().code) << s;
  EXPECT_NE(std::string(s.message()).find(GetParam().message), std::string::npos) << s;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonFieldTest,
    testing::Values(
        FieldCase{"missing", "{}", "string", absl::StatusCode::kInvalidArgument,
                  "json: missing required field \"nonce\""},
        FieldCase{"wrong_type", R"({"nonce":1})", "string", absl::StatusCode::kInvalidArgument,
                  "json: field \"nonce\": expected string, got number"},
        FieldCase{"null_is_present", R"({"nonce":null})", "optstring",
                  absl::StatusCode::kInvalidArgument, "expected string, got null"},
        FieldCase{"not_integer", R"({"nonce":1.5})", "int", absl::StatusCode::kInvalidArgument,
                  "json: field \"nonce\": number is not an integer"},
        FieldCase{"optint_wrong_type", R"({"nonce":"1"})", "optint",
                  absl::StatusCode::kInvalidArgument, "expected number, got string"},
        FieldCase{"bool_wrong_type", R"({"nonce":"true"})", "bool",
                  absl::StatusCode::kInvalidArgument, "expected bool, got string"},
        FieldCase{"object_wrong_type", R"({"nonce":[]})", "object",
                  absl::StatusCode::kInvalidArgument, "expected object, got array"},
        FieldCase{"array_wrong_type", R"({"nonce":{}})", "array",
                  absl::StatusCode::kInvalidArgument, "expected array, got object"},
        FieldCase{"string_array_element", R"({"nonce":["a",2]})", "strarray",
                  absl::StatusCode::kInvalidArgument,
                  "json: field \"nonce\"[1]: expected string, got number"},
        FieldCase{"parent_not_object", "[]", "string", absl::StatusCode::kInvalidArgument,
                  "parent is array, not object"}),
    [](const testing::TestParamInfo<FieldCase>& info) { return info.param.name; });

TEST(JsonFieldTest, OptionalAbsentIsNullopt) {
  Value v = *Parse(R"({"a":"x","b":7,"c":true,"d":["p","q"]})");
  EXPECT_FALSE(v.GetOptionalString("nonce")->has_value());
  EXPECT_FALSE(v.GetOptionalInt64("nonce")->has_value());
  EXPECT_FALSE(v.GetOptionalBool("nonce")->has_value());
  EXPECT_EQ(*v.GetOptionalObject("nonce"), nullptr);
  EXPECT_EQ(**v.GetOptionalString("a"), "x");
  EXPECT_EQ(**v.GetOptionalInt64("b"), 7);
  EXPECT_TRUE(*v.GetBool("c"));
  EXPECT_EQ(*v.GetStringArray("d"), (std::vector<std::string>{"p", "q"}));
}

TEST(JsonSerializeTest, CompactInInsertionOrder) {
  Value v = Value::Object();
  v.Set("z", Value::Int(1));
  v.Set("a", Value::String("q\"\n\x01é"));
  Value arr = Value::Array();
  arr.Append(Value::Bool(true));
  arr.Append(Value::Null());
  arr.Append(Value::Double(0.5));
  v.Set("arr", std::move(arr));
  v.Set("z", Value::Int(2));  // replaces in place
  EXPECT_EQ(Serialize(v), R"({"z":2,"a":"q\"\n\u0001é","arr":[true,null,0.5]})");
  EXPECT_EQ(Serialize(Value::Double(1.0 / 0.0)), "null");
}

TEST(JsonSerializeTest, RoundTrips) {
  const std::string doc = R"({"a":[1,-2.5e-3,"\u00e9\ud83d\ude00"],"b":{"c":null,"d":false}})";
  Value v = *Parse(doc);
  Value again = *Parse(Serialize(v));
  EXPECT_EQ(v, again);
  EXPECT_EQ(Serialize(again), Serialize(v));
}

TEST(JsonNumberTest, NumberFromText) {
  EXPECT_EQ(Value::NumberFromText("-0.5E+2")->number_text(), "-0.5E+2");
  EXPECT_EQ(Value::NumberFromText("01").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Value::NumberFromText("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace enlist::json
