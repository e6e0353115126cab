#include "auth/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::auth {
namespace {

using ::testing::HasSubstr;

TEST(AuthConfigTest, ParsesEveryKey) {
  auto c = ParseAuthConfig(R"(version: v1
cluster_name: demo
listen_addr: 127.0.0.1:0
diag_addr: 127.0.0.1:3000
data_dir: /tmp/auth
public_addrs: [auth.example.com, 10.0.0.1]
host_cert_ttl: 1h30m
log: {level: debug, format: json}
limits: {max_concurrent_joins: 10, join_deadline: 30s, max_message_bytes: 65536, join_workers: 2,
         per_peer_rate: 2.5, per_peer_burst: 10}
methods:
  token: {}
  azure:
    cloud: public
)", "auth.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cluster_name, "demo");
  EXPECT_EQ(c->host_cert_ttl, absl::Minutes(90));
  EXPECT_EQ(c->log_format, log::Format::kJson);
  EXPECT_EQ(c->max_concurrent_joins, 10);
  EXPECT_EQ(c->join_deadline, absl::Seconds(30));
  EXPECT_EQ(c->per_peer_rate, 2.5);
  EXPECT_EQ(c->per_peer_burst, 10);
  ASSERT_EQ(c->methods.size(), 2u);
  EXPECT_TRUE(c->methods["azure"].has_value());
}

TEST(AuthConfigTest, RejectsWithPlace) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"version: v2\n", "unsupported version \"v2\""},
      {"version: v1\nlisten: x\n", "auth.yaml:2:9: listen: unknown field"},
      {"version: v1\nhost_cert_ttl: 10\n", "host_cert_ttl: \"10\" is not a duration"},
      {"version: v1\nhost_cert_ttl: 10s\n", "host_cert_ttl: must be between"},
      {"version: v1\nlimits: {join_workers: 0}\n", "limits.join_workers: must be between 1 and 256"},
      {"version: v1\nlog: {format: xml}\n", "log.format: expected text or json"},
      {"version: v1\nlimits: {per_peer_rate: -1}\n", "limits.per_peer_rate: expected a number"},
  };
  for (const Case& c : cases) {
    auto r = ParseAuthConfig(c.text, "auth.yaml");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.want)) << c.text;
  }
}

}  // namespace
}  // namespace enlist::auth
