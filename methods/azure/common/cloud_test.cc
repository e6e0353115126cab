#include "methods/azure/common/cloud.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::azure {
namespace {

using ::testing::HasSubstr;

TEST(CloudTest, Presets) {
  absl::StatusOr<Cloud> pub = CloudPreset("public");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->metadata_domains, std::vector<std::string>{"metadata.azure.com"});
  EXPECT_EQ(pub->arm_resource, "https://management.azure.com/");
  EXPECT_EQ(CloudPreset("usgovernment")->metadata_domains[0], "metadata.azure.us");
  EXPECT_EQ(CloudPreset("china")->metadata_domains[0], "metadata.azure.cn");
  EXPECT_EQ(CloudPreset("germany")->metadata_domains[0], "metadata.microsoftazure.de");
  absl::StatusOr<Cloud> bad = CloudPreset("mars");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("unknown cloud \"mars\""));
}

TEST(CloudTest, EndpointUrls) {
  EXPECT_TRUE(CheckEndpointUrl("sts_url", "https://x", false).ok());
  absl::Status s = CheckEndpointUrl("sts_url", "http://127.0.0.1:1", false);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("needs allow_http: true"));
  EXPECT_TRUE(CheckEndpointUrl("sts_url", "http://127.0.0.1:1", true).ok());
  EXPECT_FALSE(CheckEndpointUrl("sts_url", "file:///etc/passwd", true).ok());
  EXPECT_EQ(TrimTrailingSlash("https://a/b//"), "https://a/b");
}

}  // namespace
}  // namespace enlist::azure
