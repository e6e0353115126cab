#include "tools/enlistctl/input.h"

#include <cstdlib>
#include <sstream>
#include <string>

#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ctl {
namespace {

using ::testing::HasSubstr;

std::string TmpFile(const std::string& name, const std::string& data) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  EXPECT_TRUE(WriteFileAtomic(path, data).ok());
  return path;
}

TEST(InputTest, NamesStdinAndFiles) {
  EXPECT_EQ(InputName("-"), "<stdin>");
  EXPECT_EQ(InputName("token.yaml"), "token.yaml");
}

TEST(InputTest, ReadsStdinUpToTheCap) {
  std::istringstream in(std::string(40000, 'a'));
  absl::StatusOr<std::string> text = ReadInput("-", 40000, in);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, std::string(40000, 'a'));
}

TEST(InputTest, ReadsAFileUpToTheCap) {
  const std::string path = TmpFile("exact", "12345678");
  std::istringstream unused("not read");
  absl::StatusOr<std::string> text = ReadInput(path, 8, unused);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "12345678");
}

struct OverCase {
  const char* name;
  bool from_stdin;
  size_t bytes;
};

class InputOverCapTest : public ::testing::TestWithParam<OverCase> {};

TEST_P(InputOverCapTest, RefusesOneByteOverTheCap) {
  const OverCase& c = GetParam();
  const std::string data(c.bytes, 'x');
  std::istringstream in(c.from_stdin ? data : "");
  const std::string path = c.from_stdin ? "-" : TmpFile(c.name, data);
  absl::StatusOr<std::string> text = ReadInput(path, 40000, in);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument) << text.status();
  EXPECT_EQ(text.status().message(),
            "read " + (c.from_stdin ? std::string("<stdin>") : path) + ": larger than 40000 bytes");
}

INSTANTIATE_TEST_SUITE_P(Cases, InputOverCapTest,
                         ::testing::Values(OverCase{"stdin_by_one", true, 40001},
                                           OverCase{"stdin_by_far", true, 1 << 20},
                                           OverCase{"file_by_one", false, 40001},
                                           OverCase{"file_by_far", false, 1 << 20}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(InputTest, MissingFileIsNotFound) {
  std::istringstream unused;
  absl::StatusOr<std::string> text = ReadInput("/nonexistent/token.yaml", 10, unused);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("/nonexistent/token.yaml"));
}

}  // namespace
}  // namespace enlist::ctl
