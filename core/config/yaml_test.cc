#include "core/config/yaml.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::config {
namespace {

using ::testing::HasSubstr;

TEST(YamlNodeTest, ReadsNestedFieldsWithPaths) {
  auto doc = YamlNode::ParseOne("a:\n  b: [x, y]\n  c: true\n", "t.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  auto a = doc->Required("a");
  ASSERT_TRUE(a.ok());
  auto b = a->Required("b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->path(), "a.b");
  EXPECT_THAT(*b->AsStringList(), ::testing::ElementsAre("x", "y"));
  EXPECT_TRUE(*a->Required("c")->AsBool());
}

struct BadCase {
  const char* name;
  const char* text;
  const char* want;
};

// 40 nested flow sequences.
const std::string kDeepText = "a: " + std::string(40, '[') + "1" + std::string(40, ']') + "\n";
const char* const kDeep = kDeepText.c_str();
// 1000: deeper than yaml-cpp's own guard, which stops the parse itself.
const std::string kParserDeepText =
    "a: " + std::string(1000, '[') + "1" + std::string(1000, ']') + "\n";
const char* const kParserDeep = kParserDeepText.c_str();

class YamlRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(YamlRejectTest, NamesPlaceAndProblem) {
  const BadCase& c = GetParam();
  auto docs = YamlNode::ParseAll(c.text, "t.yaml");
  absl::Status s = docs.status();
  if (s.ok()) {
    // Structural problems surface when the document is read.
    auto entries = (*docs)[0].Entries();
    s = entries.status();
    if (s.ok()) s = (*docs)[0].Required("missing").status();
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr(c.want));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, YamlRejectTest,
    ::testing::Values(BadCase{"syntax", "a: [1, 2\nb: 3\n", "t.yaml:"},
                      BadCase{"duplicate", "a: 1\na: 2\n", "duplicate field \"a\""},
                      BadCase{"missing", "a: 1\n", "missing field \"missing\""},
                      BadCase{"deep", kDeep, "t.yaml:1: yaml: nesting deeper than 32"},
                      BadCase{"parser_deep", kParserDeep,
                              "t.yaml:1:2005: yaml: nesting deeper than 32"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(YamlNodeTest, ParserDepthErrorNeverClaimsMoreThanTheParserChecked) {
  YamlLimits limits;
  limits.max_depth = 100000;
  auto docs = YamlNode::ParseAll(kParserDeepText, "t.yaml", limits);
  EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(docs.status().message()), HasSubstr(": yaml: nesting deeper than 498"));
  EXPECT_THAT(std::string(docs.status().message()), ::testing::Not(HasSubstr("bad file")));
}

TEST(YamlNodeTest, RejectsOversizedInput) {
  YamlLimits limits;
  limits.max_bytes = 10;
  auto docs = YamlNode::ParseAll("a: 123456789012", "t.yaml", limits);
  EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(docs.status().message()), HasSubstr("over the limit of 10"));
}

TEST(YamlNodeTest, ErrorsCarryLineAndColumn) {
  auto doc = YamlNode::ParseOne("a:\n  b: 1\n  c: x\n", "t.yaml");
  ASSERT_TRUE(doc.ok());
  absl::Status s = doc->Required("a")->CheckFields({"b"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "t.yaml:3:6: a.c: unknown field (allowed: b)");
}

TEST(YamlNodeTest, SkipsEmptyDocuments) {
  auto docs = YamlNode::ParseAll("---\n---\na: 1\n---\nb: 2\n", "t.yaml");
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->size(), 2u);
}

}  // namespace
}  // namespace enlist::config
