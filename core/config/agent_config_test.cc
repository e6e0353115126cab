#include "core/config/agent_config.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::config {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AgentConfigTest, SeedTeleportYamlLoadsVerbatim) {
  std::string text = ReadFile("testdata/teleport.yaml");
  ASSERT_FALSE(text.empty());
  auto c = ParseAgentConfig(text, "teleport.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->token_name, "azure-token");
  EXPECT_EQ(c->join_method, "azure");
  EXPECT_EQ(c->proxy_server, "teleport.example.com:443");
  EXPECT_EQ(c->server(), "teleport.example.com:443");
  ASSERT_TRUE(c->join_params.has_value());
  EXPECT_EQ(*c->join_params->Required("client_id")->AsString(),
            "11111111-1111-1111-1111-111111111111");
  EXPECT_THAT(c->notes, ::testing::ElementsAre("ssh_service: accepted, not used by Enlist",
                                               "auth_service: accepted, not used by Enlist",
                                               "proxy_service: accepted, not used by Enlist"));
}

TEST(AgentConfigTest, EnlistSectionAddsOwnKeys) {
  std::string pin = "sha256:" + std::string(64, 'a');
  auto c = ParseAgentConfig(
      "version: v3\nteleport:\n  join_params: {token_name: t, method: token}\n"
      "  auth_server: 127.0.0.1:3025\nenlist:\n  ca_pin: " + pin +
          "\n  data_dir: /tmp/x\n  token: {secret_file: /s}\n"
          "  tls_key_type: ed25519\n  tls_server_name: auth.internal\n  renew_fraction: 0.25\n",
      "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->ca_pins, std::vector<std::string>{pin});
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_TRUE(c->method_settings.has_value());
  EXPECT_EQ(c->tls_key_type, "ed25519");
  EXPECT_EQ(c->tls_server_name, "auth.internal");
  EXPECT_EQ(c->renew_fraction, 0.25);
  EXPECT_FALSE(c->join_params.has_value());
}

struct BadConfig {
  const char* name;
  const char* text;
  const char* want;
};

class AgentConfigRejectTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(AgentConfigRejectTest, PreciseError) {
  auto c = ParseAgentConfig(GetParam().text, "c.yaml");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AgentConfigRejectTest,
    ::testing::Values(
        BadConfig{"version", "version: v2\nteleport: {}\n", "unsupported version \"v2\""},
        BadConfig{"no_join_params", "version: v3\nteleport:\n  auth_server: a:1\n",
                  "missing field \"join_params\""},
        BadConfig{"no_method",
                  "version: v3\nteleport:\n  join_params: {token_name: t}\n  auth_server: a:1\n",
                  "teleport.join_params: missing field \"method\""},
        BadConfig{"no_server", "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n",
                  "exactly one of auth_server and proxy_server"},
        BadConfig{"both_servers",
                  "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n"
                  "  auth_server: a:1\n  proxy_server: b:2\n",
                  "exactly one of auth_server and proxy_server"},
        BadConfig{"unknown_top", "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n"
                                 "  auth_server: a:1\nssh_servise: {}\n",
                  "c.yaml:5:14: ssh_servise: unknown field"},
        BadConfig{"unknown_join_param",
                  "version: v3\nteleport:\n  join_params: {token_name: t, method: azure, gcp: {}}\n"
                  "  auth_server: a:1\n",
                  "teleport.join_params.gcp: unknown field"},
        BadConfig{"bad_pin",
                  "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n"
                  "  auth_server: a:1\n  ca_pin: sha1:abc\n",
                  "is not a CA pin"},
        BadConfig{"auth_servers_list",
                  "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n"
                  "  auth_servers: [a:1]\n",
                  "with version v3 use auth_server"},
        BadConfig{"renew_fraction",
                  "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n"
                  "  auth_server: a:1\nenlist: {renew_fraction: 1.5}\n",
                  "enlist.renew_fraction: expected a number between 0 and 1"},
        BadConfig{"tls_key_type",
                  "version: v3\nteleport:\n  join_params: {token_name: t, method: azure}\n"
                  "  auth_server: a:1\nenlist: {tls_key_type: rsa}\n",
                  "enlist.tls_key_type: expected ecdsa-p256 or ed25519"},
        BadConfig{"syntax", "version: v3\nteleport: [\n", "c.yaml:"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace enlist::config
