#include "core/util/cli_args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist {
namespace {

TEST(CliArgsTest, DashesBecomeUnderscoresInNamesOnly) {
  const char* in[] = {"prog", "--data-dir=/var/lib/a-b", "--log-format", "json", "get", "-f", "-",
                      "--", "--keep-me"};
  std::vector<std::string> storage;
  auto out = NormalizeFlags(9, const_cast<char**>(in), &storage);
  std::vector<std::string> got(out.begin(), out.end());
  EXPECT_THAT(got, ::testing::ElementsAre("prog", "--data_dir=/var/lib/a-b", "--log_format", "json",
                                          "get", "--f=-", "--", "--keep-me"));
}

}  // namespace
}  // namespace enlist
