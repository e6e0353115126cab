#include "agent/cli.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kPin[] = "sha256:AB00000000000000000000000000000000000000000000000000000000000001";

std::string WriteConfig(const std::string& body) {
  std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR"), "/cli-XXXXXX");
  std::string dir = mkdtemp(tmpl.data());
  std::string path = absl::StrCat(dir, "/teleport.yaml");
  EXPECT_TRUE(WriteFileAtomic(path, body).ok());
  return path;
}

// The seed's agent config, verbatim, plus a data_dir.
const char kSeedConfig[] =
    "version: v3\n"
    "teleport:\n"
    "  data_dir: /var/lib/enlist-test\n"
    "  join_params:\n"
    "    token_name: azure-token\n"
    "    method: azure\n"
    "    azure:\n"
    "      client_id: 11111111-1111-1111-1111-111111111111\n"
    "  proxy_server: teleport.example.com:443\n"
    "ssh_service:\n"
    "  enabled: true\n"
    "auth_service:\n"
    "  enabled: false\n"
    "proxy_service:\n"
    "  enabled: false\n";

TEST(CommandLineTest, ParsesBothFlagForms) {
  auto cl = ParseCommandLine({"join", "--config", "/etc/x.yaml", "--ca-pin=sha256:1", "--ca-pin",
                              "sha256:2", "--max-attempts=3"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->command, "join");
  EXPECT_EQ(cl->config_path, "/etc/x.yaml");
  EXPECT_EQ(cl->flags.at("ca-pin"), (std::vector<std::string>{"sha256:1", "sha256:2"}));
  EXPECT_EQ(*cl->Get("max-attempts"), "3");
  EXPECT_FALSE(cl->Get("token").has_value());
}

TEST(CommandLineTest, DefaultsToTheSeedConfigPath) {
  auto cl = ParseCommandLine({"status"});
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->config_path, "/etc/teleport.yaml");
}

TEST(CommandLineTest, Rejections) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case kCases[] = {
      {{}, "missing command"},
      {{"enrol"}, "unknown command \"enrol\""},
      {{"join", "--nope", "x"}, "--nope: unknown flag"},
      {{"join", "--token"}, "--token: missing value"},
      {{"status", "--token", "x"}, "--token: does not apply to \"status\""},
      {{"join", "--format", "json"}, "--format: does not apply to \"join\""},
      {{"join", "--renew-fraction", "0.3"}, "--renew-fraction: does not apply to \"join\""},
      {{"run", "extra"}, "unexpected argument \"extra\""},
  };
  for (const Case& c : kCases) {
    auto cl = ParseCommandLine(c.args);
    EXPECT_EQ(cl.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(cl.status().message(), HasSubstr(c.message));
  }
  EXPECT_EQ(ParseCommandLine({"run", "--help"})->command, "help");
}

TEST(BuildAgentOptionsTest, SeedConfigVerbatim) {
  std::string path = WriteConfig(kSeedConfig);
  auto o = BuildAgentOptions(*ParseCommandLine({"run", "--config", path}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->config.proxy_server, "teleport.example.com:443");
  EXPECT_EQ(o->config.join_method, "azure");
  EXPECT_EQ(o->config.token_name, "azure-token");
  EXPECT_TRUE(o->config.join_params.has_value());
  EXPECT_EQ(o->max_attempts, 0);  // run retries forever
  EXPECT_EQ(o->renew_fraction, 0.5);
  EXPECT_EQ(o->tls_key_type, TlsKeyType::kEcdsaP256);
  EXPECT_EQ(o->config.notes.size(), 3u);
}

TEST(BuildAgentOptionsTest, FlagsOverrideConfig) {
  std::string path = WriteConfig(kSeedConfig);
  auto o = BuildAgentOptions(*ParseCommandLine({"join",
                                                "--config",
                                                path,
                                                "--auth-server",
                                                "auth.internal:3025",
                                                "--data-dir",
                                                "/tmp/d",
                                                "--ca-pin",
                                                kPin,
                                                "--ca-file",
                                                "/etc/enlist/ca.pem",
                                                "--token",
                                                "boot",
                                                "--join-method",
                                                "token",
                                                "--ssh-host-cert-path",
                                                "/etc/ssh/cert.pub",
                                                "--max-attempts",
                                                "4",
                                                "--tls-key-type",
                                                "ed25519",
                                                "--tls-server-name",
                                                "auth.example.com",
                                                "--attempt-timeout",
                                                "5s"}));
  ASSERT_TRUE(o.ok()) << o.status();
  const config::AgentConfig& c = o->config;
  EXPECT_EQ(c.auth_server, "auth.internal:3025");
  EXPECT_EQ(c.proxy_server, "");
  EXPECT_EQ(c.server(), "auth.internal:3025");
  EXPECT_EQ(c.data_dir, "/tmp/d");
  ASSERT_EQ(c.ca_pins.size(), 1u);
  EXPECT_EQ(c.ca_pins[0], absl::AsciiStrToLower(kPin));
  EXPECT_EQ(c.ca_file, "/etc/enlist/ca.pem");
  EXPECT_EQ(c.token_name, "boot");
  EXPECT_EQ(c.join_method, "token");
  // The azure parameters do not belong to the token method.
  EXPECT_FALSE(c.join_params.has_value());
  EXPECT_EQ(c.ssh_host_cert_path, "/etc/ssh/cert.pub");
  EXPECT_EQ(o->max_attempts, 4);
  EXPECT_EQ(o->tls_key_type, TlsKeyType::kEd25519);
  EXPECT_EQ(o->tls_server_name, "auth.example.com");
  EXPECT_EQ(o->attempt_timeout, absl::Seconds(5));
}

TEST(BuildAgentOptionsTest, JoinDefaultsToBoundedAttempts) {
  std::string path = WriteConfig(kSeedConfig);
  auto o = BuildAgentOptions(*ParseCommandLine({"join", "--config", path}));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->max_attempts, kDefaultJoinAttempts);
}

TEST(BuildAgentOptionsTest, BadValues) {
  std::string path = WriteConfig(kSeedConfig);
  struct Case {
    std::vector<std::string> extra;
    const char* message;
  };
  const Case kCases[] = {
      {{"--ca-pin", "sha1:abc"}, "--ca-pin: \"sha1:abc\" is not sha256:<64 hex digits>"},
      {{"--max-attempts", "-1"}, "--max-attempts: \"-1\" is not a number >= 0"},
      {{"--tls-key-type", "rsa"}, "--tls-key-type: tls_key_type: \"rsa\" is not one of"},
      {{"--renew-fraction", "1.5"}, "--renew-fraction: \"1.5\" is not between 0 and 1"},
      {{"--attempt-timeout", "soon"}, "--attempt-timeout: \"soon\" is not a positive duration"},
      {{"--auth-server", "a:1", "--proxy-server", "b:2"}, "mutually exclusive"},
      {{"--token", ""}, "--token: must not be empty"},
  };
  for (const Case& c : kCases) {
    std::vector<std::string> args = {"run", "--config", path};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto o = BuildAgentOptions(*ParseCommandLine(args));
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(o.status().message(), HasSubstr(c.message));
  }
}

TEST(BuildAgentOptionsTest, ConfigErrors) {
  auto missing = BuildAgentOptions(*ParseCommandLine({"join", "--config", "/nonexistent.yaml"}));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("config /nonexistent.yaml"));

  std::string path = WriteConfig("version: v2\nteleport: {}\n");
  auto bad = BuildAgentOptions(*ParseCommandLine({"join", "--config", path}));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("unsupported version \"v2\""));

  // status works from --data-dir alone.
  auto status = BuildAgentOptions(
      *ParseCommandLine({"status", "--config", "/nonexistent.yaml", "--data-dir", "/tmp/d"}));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->config.data_dir, "/tmp/d");
}

TEST(LogSettingsTest, Parses) {
  auto s =
      BuildLogSettings(*ParseCommandLine({"run", "--log-format", "json", "--log-level", "warn"}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->format, log::Format::kJson);
  EXPECT_EQ(s->level, log::Level::kWarn);
  auto bad = BuildLogSettings(*ParseCommandLine({"run", "--log-format", "xml"}));
  EXPECT_THAT(bad.status().message(), HasSubstr("--log-format: \"xml\" is not text or json"));
}

}  // namespace
}  // namespace enlist::agent
