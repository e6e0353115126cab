#include "tools/enlistctl/token_input.h"

#include <cstdlib>
#include <sstream>
#include <string>

#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ctl {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] =
    "kind: token\nversion: v2\nmetadata: {name: x}\n"
    "spec: {roles: [Node], join_method: token, token: {}}\n";

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// `depth` levels of block maps under spec.
std::string NestedBlockMaps(int depth) {
  std::string y = "kind: token\nversion: v2\nmetadata: {name: x}\nspec:\n";
  for (int d = 1; d < depth; ++d) y += std::string(d * 2, ' ') + "a:\n";
  return y;
}

struct BadCase {
  const char* name;
  std::string yaml;
  absl::StatusCode code;
  // The expected message, "<source>" standing for the file's name.
  std::string message;
};

class TokenInputRejectTest : public ::testing::TestWithParam<std::tuple<BadCase, bool>> {};

TEST_P(TokenInputRejectTest, NamesTheSourceAndTheProblem) {
  const BadCase& c = std::get<0>(GetParam());
  const bool from_stdin = std::get<1>(GetParam());
  std::string source = "<stdin>";
  std::istringstream in(from_stdin ? c.yaml : "");
  if (!from_stdin) {
    source = std::string(std::getenv("TEST_TMPDIR")) + "/" + c.name + ".yaml";
    ASSERT_TRUE(WriteFileAtomic(source, c.yaml).ok());
  }
  absl::StatusOr<TokenInput> got = ReadTokenInput(from_stdin ? "-" : source, in);
  EXPECT_EQ(got.status().code(), c.code) << got.status();
  std::string want = c.message;
  want.replace(want.find("<source>"), 8, source);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr(want));
  EXPECT_THAT(std::string(got.status().message()), ::testing::Not(HasSubstr("bad file")));
}

constexpr absl::StatusCode kBad = absl::StatusCode::kInvalidArgument;

INSTANTIATE_TEST_SUITE_P(
    Cases, TokenInputRejectTest,
    ::testing::Combine(
        ::testing::Values(
            // Deeper than yaml-cpp's own guard: the parse stops at 4:2007.
            BadCase{"nested_flow_sequences",
                    "kind: token\nversion: v2\nmetadata: {name: x}\nspec: " + Nested(1000) + "\n",
                    kBad, "<source>:4:2007: yaml: nesting deeper than 32"},
            // Parsed, then refused by the wrapper's depth check.
            BadCase{"nested_block_maps", NestedBlockMaps(300), kBad,
                    "<source>:1: yaml: nesting deeper than 32"},
            BadCase{"one_byte_over_1mib", std::string((1 << 20) + 1, '#'), kBad,
                    "read <source>: larger than 1048576 bytes"},
            BadCase{"far_over_1mib", std::string(20 << 20, '#'), kBad,
                    "read <source>: larger than 1048576 bytes"},
            BadCase{"syntax", "kind: token\nspec: [1, 2\nversion: v2\n", kBad, "<source>:"}),
        ::testing::Bool()),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) ? "_stdin" : "_file");
    });

TEST(TokenInputTest, PassesWellFormedTokensThroughUnchanged) {
  std::istringstream in(std::string(kToken) + "---\n" + kToken);
  absl::StatusOr<TokenInput> got = ReadTokenInput("-", in);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->source, "<stdin>");
  EXPECT_EQ(got->yaml, std::string(kToken) + "---\n" + kToken);
}

TEST(TokenInputTest, AcceptsExactlyOneMebibyte) {
  std::string yaml = kToken;
  yaml += std::string((1 << 20) - yaml.size() - 1, '#') + "\n";
  ASSERT_EQ(yaml.size(), 1u << 20);
  std::istringstream in(yaml);
  absl::StatusOr<TokenInput> got = ReadTokenInput("-", in);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->yaml.size(), 1u << 20);
}

TEST(TokenInputTest, MissingFileIsNotFound) {
  std::istringstream unused;
  absl::StatusOr<TokenInput> got = ReadTokenInput("/nonexistent/token.yaml", unused);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("/nonexistent/token.yaml"));
}

}  // namespace
}  // namespace enlist::ctl
