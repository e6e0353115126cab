#include "core/token/token_resource.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/civil_time.h"
#include "core/token/token_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::token {
namespace {

using ::testing::HasSubstr;

// The Azure spec parser behind a minimal auth method, so this test reads
// the seed's token.yaml without the whole Azure checker.
class AzureSpecOnly final : public join::AuthJoinMethod {
 public:
  absl::string_view name() const override { return "azure"; }
  absl::StatusOr<std::shared_ptr<const join::TokenSpec>> ParseTokenSpec(
      const std::optional<config::YamlNode>& section) const override {
    return azure::ParseAzureTokenSpec(section);
  }
  std::string TokenSpecYaml(const join::TokenSpec& spec) const override {
    return azure::AzureTokenSpecYaml(spec);
  }
  absl::StatusOr<std::shared_ptr<join::Checker>> NewChecker(
      const join::CheckerOptions&) const override {
    return absl::UnimplementedError("spec only");
  }
};

class TokenResourceTest : public ::testing::Test {
 protected:
  TokenResourceTest() {
    EXPECT_TRUE(token_method::RegisterTokenAuth(methods_).ok());
    EXPECT_TRUE(methods_.Register(std::make_unique<AzureSpecOnly>()).ok());
  }
  join::AuthRegistry methods_;
};

TEST_F(TokenResourceTest, SeedTokenYamlLoadsVerbatim) {
  std::ifstream in("testdata/token.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_FALSE(ss.str().empty());
  auto tokens = ParseTokens(ss.str(), "token.yaml", methods_);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 1u);
  const TokenResource& t = (*tokens)[0];
  EXPECT_EQ(t.name, "azure-token");
  EXPECT_EQ(t.join_method, "azure");
  EXPECT_EQ(t.roles, std::vector<std::string>{"Node"});
  auto* spec = dynamic_cast<const azure::AzureTokenSpec*>(t.spec.get());
  ASSERT_NE(spec, nullptr);
  ASSERT_EQ(spec->allow().size(), 3u);
  EXPECT_EQ(spec->allow()[2].subscription, "33333333-3333-3333-3333-333333333333");
  EXPECT_THAT(spec->allow()[2].resource_groups, ::testing::ElementsAre("group1", "group2"));
  // Allow rules: resource groups compare case-insensitively; first match wins.
  EXPECT_EQ(spec->Match("t", "33333333-3333-3333-3333-333333333333", "GROUP2"), 2u);
  EXPECT_FALSE(spec->Match("t", "33333333-3333-3333-3333-333333333333", "group3").has_value());
  EXPECT_EQ(spec->Match("t", "11111111-1111-1111-1111-111111111111", "any"), 0u);
}

TEST_F(TokenResourceTest, CanonicalYamlRoundTripsAndHidesSecrets) {
  auto tokens = ParseTokens(
      "kind: token\nversion: v2\nmetadata:\n  name: boot\n  expires: 2027-01-02T03:04:05Z\n"
      "spec:\n  roles: [node, App]\n  join_method: token\n  token:\n"
      "    secret: correct-horse-battery-staple\n    single_use: true\n",
      "t.yaml", methods_);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  std::string yaml = TokenToYaml((*tokens)[0], methods_);
  EXPECT_THAT(yaml, ::testing::Not(HasSubstr("correct-horse")));
  EXPECT_THAT(yaml, HasSubstr("secret_sha256:"));
  auto again = ParseTokens(yaml, "stored", methods_);
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  const TokenResource& t = (*again)[0];
  EXPECT_EQ(t.roles, (std::vector<std::string>{"Node", "App"}));
  EXPECT_EQ(t.expires, absl::FromCivil(absl::CivilSecond(2027, 1, 2, 3, 4, 5), absl::UTCTimeZone()));
  auto* spec = dynamic_cast<const token_method::TokenMethodSpec*>(t.spec.get());
  ASSERT_NE(spec, nullptr);
  EXPECT_TRUE(spec->single_use());
  EXPECT_EQ(TokenToYaml(t, methods_), yaml);
}

TEST_F(TokenResourceTest, MultiDocumentFiles) {
  auto tokens = ParseTokens(
      "kind: token\nversion: v2\nmetadata: {name: a}\nspec: {roles: [Node], join_method: azure, "
      "azure: {allow: [{tenant: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa}]}}\n---\n"
      "kind: token\nversion: v2\nmetadata: {name: b}\nspec: {roles: [Node], join_method: azure, "
      "azure: {allow: [{subscription: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb}]}}\n",
      "t.yaml", methods_);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->size(), 2u);
}

struct BadToken {
  const char* name;
  const char* text;
  const char* want;
};

class TokenRejectTest : public TokenResourceTest, public ::testing::WithParamInterface<BadToken> {};

TEST_P(TokenRejectTest, PreciseError) {
  auto t = ParseTokens(GetParam().text, "token.yaml", methods_);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(GetParam().want));
}

#define HEAD "kind: token\nversion: v2\nmetadata:\n  name: t\nspec:\n"
INSTANTIATE_TEST_SUITE_P(
    Cases, TokenRejectTest,
    ::testing::Values(
        BadToken{"kind", "kind: role\nversion: v2\n", "token.yaml:1:7: kind: unsupported kind \"role\""},
        BadToken{"version", "kind: token\nversion: v3\n", "version: unsupported version \"v3\""},
        BadToken{"unknown_top", "kind: token\nversion: v2\nstatus: {}\n", "token.yaml:3:9: status: unknown field"},
        BadToken{"no_name", "kind: token\nversion: v2\nmetadata: {}\nspec: {}\n", "metadata: missing field \"name\""},
        BadToken{"bad_name", "kind: token\nversion: v2\nmetadata: {name: \"a b\"}\nspec: {}\n",
                 "metadata.name: invalid character ' '"},
        BadToken{"no_roles", HEAD "  join_method: azure\n  azure: {allow: [{subscription: 11111111-1111-1111-1111-111111111111}]}\n",
                 "spec: missing field \"roles\""},
        BadToken{"empty_roles", HEAD "  roles: []\n  join_method: token\n", "spec.roles: at least one role"},
        BadToken{"unknown_role", HEAD "  roles: [Root]\n  join_method: token\n", "unknown role \"Root\""},
        BadToken{"unknown_method", HEAD "  roles: [Node]\n  join_method: gcp\n",
                 "token.yaml:7:16: spec.join_method: unknown join method \"gcp\" (known: azure, token)"},
        BadToken{"other_method_section", HEAD "  roles: [Node]\n  join_method: token\n  azure: {}\n",
                 "spec.azure: unknown field"},
        BadToken{"azure_missing_allow", HEAD "  roles: [Node]\n  join_method: azure\n",
                 "spec.azure: missing"},
        BadToken{"azure_empty_allow", HEAD "  roles: [Node]\n  join_method: azure\n  azure: {allow: []}\n",
                 "spec.azure.allow: at least one allow rule"},
        BadToken{"azure_rule_without_sub_or_tenant",
                 HEAD "  roles: [Node]\n  join_method: azure\n  azure:\n    allow:\n      - resource_groups: [a]\n",
                 "token.yaml:10:9: spec.azure.allow[0]: an allow rule needs a subscription or a tenant"},
        BadToken{"azure_bad_subscription",
                 HEAD "  roles: [Node]\n  join_method: azure\n  azure: {allow: [{subscription: nope}]}\n",
                 "spec.azure.allow[0].subscription: \"nope\" is not a UUID"},
        BadToken{"azure_typo",
                 HEAD "  roles: [Node]\n  join_method: azure\n  azure: {allow: [{subscriptoin: x}]}\n",
                 "spec.azure.allow[0].subscriptoin: unknown field"},
        BadToken{"token_short_secret", HEAD "  roles: [Node]\n  join_method: token\n  token: {secret: short}\n",
                 "secret is shorter than 16 characters"},
        BadToken{"token_both", HEAD "  roles: [Node]\n  join_method: token\n  token: {secret: aaaaaaaaaaaaaaaaaaaa, secret_sha256: b}\n",
                 "exactly one of secret and secret_sha256"},
        BadToken{"bad_expires", "kind: token\nversion: v2\nmetadata: {name: t, expires: tomorrow}\nspec: {}\n",
                 "metadata.expires: expected an RFC 3339 time"},
        BadToken{"syntax", "kind: token\nversion: v2\nmetadata: {name: t\n", "token.yaml:4:1: yaml:"},
        BadToken{"duplicate_name",
                 "kind: token\nversion: v2\nmetadata: {name: a}\nspec: {roles: [Node], join_method: token, token: {secret: aaaaaaaaaaaaaaaaaaaa}}\n---\n"
                 "kind: token\nversion: v2\nmetadata: {name: a}\nspec: {roles: [Node], join_method: token, token: {secret: aaaaaaaaaaaaaaaaaaaa}}\n",
                 "token \"a\" defined twice"},
        BadToken{"empty", "# nothing\n", "token.yaml: no resources found"}),
    [](const auto& info) { return std::string(info.param.name); });
#undef HEAD

TEST(MemoryTokenStoreTest, CompareAndDelete) {
  MemoryTokenStore store;
  TokenResource t;
  t.name = "a";
  ASSERT_TRUE(store.PutToken(t, false).ok());
  EXPECT_EQ(store.PutToken(t, false).code(), absl::StatusCode::kAlreadyExists);
  auto got = store.GetToken("a");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(store.PutToken(t, true).ok());  // new revision
  EXPECT_EQ(store.DeleteTokenIfRevision("a", got->revision).code(), absl::StatusCode::kAborted);
  auto now = store.GetToken("a");
  EXPECT_TRUE(store.DeleteTokenIfRevision("a", now->revision).ok());
  EXPECT_EQ(store.GetToken("a").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace enlist::token
