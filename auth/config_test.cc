#include "auth/config.h"

#include "absl/strings/str_cat.h"
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

TEST(AuthConfigTest, StorageDefaultsToSqlite) {
  auto c = ParseAuthConfig("version: v1\n", "auth.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->storage.type, StorageConfig::Type::kSqlite);
  auto explicit_sqlite = ParseAuthConfig("version: v1\nstorage: {type: sqlite}\n", "auth.yaml");
  ASSERT_TRUE(explicit_sqlite.ok()) << explicit_sqlite.status();
  EXPECT_EQ(explicit_sqlite->storage.type, StorageConfig::Type::kSqlite);
}

TEST(AuthConfigTest, ParsesEtcdStorage) {
  auto c = ParseAuthConfig(R"(version: v1
storage:
  type: etcd
  endpoints: [10.0.0.1:2379, "etcd.example.com:2379"]
  prefix: /prod/enlist
  tls: {ca_file: /etc/enlist/etcd-ca.pem, cert_file: /etc/enlist/etcd.crt, key_file: /etc/enlist/etcd.key,
        server_name: etcd.internal}
)", "auth.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->storage.type, StorageConfig::Type::kEtcd);
  EXPECT_THAT(c->storage.endpoints,
              ::testing::ElementsAre("10.0.0.1:2379", "etcd.example.com:2379"));
  EXPECT_EQ(c->storage.prefix, "/prod/enlist");
  EXPECT_EQ(c->storage.tls_ca_file, "/etc/enlist/etcd-ca.pem");
  EXPECT_EQ(c->storage.tls_cert_file, "/etc/enlist/etcd.crt");
  EXPECT_EQ(c->storage.tls_key_file, "/etc/enlist/etcd.key");
  EXPECT_EQ(c->storage.tls_server_name, "etcd.internal");
  auto plain = ParseAuthConfig("version: v1\nstorage: {type: etcd, endpoints: [a:1]}\n", "x");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->storage.prefix, "/enlist");
  EXPECT_TRUE(plain->storage.tls_ca_file.empty());
  EXPECT_TRUE(plain->storage.tls_server_name.empty());
}

TEST(AuthConfigTest, RejectsBadStorage) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"storage: {type: redis}", "auth.yaml:2:17: storage.type: unknown storage type \"redis\" (expected sqlite or etcd)"},
      {"storage: {type: etcd}", "storage: endpoints: required for storage type etcd"},
      {"storage: {type: etcd, endpoints: []}", "storage.endpoints: at least one endpoint is required"},
      {"storage: {type: etcd, endpoints: [\"http://a:2379\"]}", "without a scheme"},
      {"storage: {type: etcd, endpoints: [a]}", "endpoint \"a\" is not host:port"},
      {"storage: {type: etcd, endpoints: [a:99999]}", "is not host:port"},
      {"storage: {type: etcd, endpoints: [a:1], prefix: /x/}", "storage.prefix: must start with '/'"},
      {"storage: {type: etcd, endpoints: [a:1], prefix: x}", "must start with '/'"},
      {"storage: {type: etcd, endpoints: [a:1], tls: {ca_file: c, cert_file: x}}", "storage.tls: cert_file and key_file go together"},
      {"storage: {type: etcd, endpoints: [a:1], tls: {cert_file: x, key_file: y}}", "storage.tls: ca_file: required with tls"},
      {"storage: {type: etcd, endpoints: [a:1], tls: {ca: c}}", "storage.tls.ca: unknown field"},
      {"storage: {type: etcd, endpoints: [a:1], tls: {ca_file: c, server_name: \"\"}}",
       "storage.tls.server_name: must not be empty"},
      {"storage: {type: etcd, endpoints: [a:1], tls: {server_name: etcd}}",
       "storage.tls: ca_file: required with tls"},
      {"storage: {type: etcd, endpoints: [a:1], tls: on}", "storage.tls: expected a mapping"},
      {"storage: {type: sqlite, endpoints: [a:1]}", "storage.endpoints: only for storage type etcd"},
      {"storage: {endpoints: [a:1]}", "only for storage type etcd"},
      {"storage: {type: etcd, endpoints: [a:1], user: x}", "storage.user: unknown field"},
      {"storage: etcd", "storage: expected a mapping"},
  };
  for (const Case& c : cases) {
    auto r = ParseAuthConfig(absl::StrCat("version: v1\n", c.text, "\n"), "auth.yaml");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.want)) << c.text;
  }
}

}  // namespace
}  // namespace enlist::auth
