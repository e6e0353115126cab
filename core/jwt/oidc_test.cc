#include "core/jwt/oidc.h"

#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/http/fake_http_client.h"
#include "core/json/json.h"
#include "core/jwt/jwt.h"
#include "core/jwt/signer.h"
#include "core/util/clock.h"
#include "gtest/gtest.h"

namespace enlist::jwt {
namespace {

using http::FakeHttpClient;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

constexpr char kIssuer[] = "https://login.example/tenant/v2.0";
constexpr char kDiscoveryUrl[] = "https://login.example/tenant/v2.0/.well-known/openid-configuration";
constexpr char kJwksUrl[] = "https://login.example/tenant/discovery/v2.0/keys";
const absl::Time kStart = absl::FromUnixSeconds(1800000000);

std::string KeySet(const std::vector<std::pair<const EVP_PKEY*, std::string>>& keys) {
  json::Value doc = json::Value::Object();
  json::Value arr = json::Value::Array();
  for (const auto& [k, kid] : keys) arr.Append(*PublicJwk(k, kid));
  doc.Set("keys", std::move(arr));
  return json::Serialize(doc);
}

class OidcTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_a_ = new crypto::EvpPkeyPtr(std::move(GenerateEcP256Key()).value());
    key_b_ = new crypto::EvpPkeyPtr(std::move(GenerateEcP256Key()).value());
  }
  static void TearDownTestSuite() {
    delete key_a_;
    delete key_b_;
  }
  void SetUp() override {
    http_.SetResponse(kDiscoveryUrl, 200,
                      absl::StrCat(R"({"issuer":"x","jwks_uri":")", kJwksUrl, R"("})"));
    http_.SetResponse(kJwksUrl, 200, KeySet({{key_a_->get(), "a"}}));
  }
  OidcKeyProvider MakeProvider() {
    OidcOptions o;
    o.cache_ttl = absl::Hours(1);
    o.min_refresh_interval = absl::Minutes(5);
    return OidcKeyProvider(&http_, &clock_, o);
  }

  static crypto::EvpPkeyPtr* key_a_;
  static crypto::EvpPkeyPtr* key_b_;
  FakeHttpClient http_;
  ManualClock clock_{kStart};
};
crypto::EvpPkeyPtr* OidcTest::key_a_;
crypto::EvpPkeyPtr* OidcTest::key_b_;

TEST_F(OidcTest, FetchesOnceThenServesFromCache) {
  OidcKeyProvider p = MakeProvider();
  ASSERT_TRUE(p.FindKey(kIssuer, "a").ok());
  ASSERT_TRUE(p.FindKey(std::string(kIssuer) + "/", "a").ok());  // trailing slash ignored
  ASSERT_TRUE(p.FindKey(kIssuer, "a").ok());
  EXPECT_EQ(http_.CallCount(kDiscoveryUrl), 1);
  EXPECT_EQ(http_.CallCount(kJwksUrl), 1);
  OidcStats s = p.stats();
  EXPECT_EQ(s.refreshes, 1);
  EXPECT_EQ(s.hits, 3);
  EXPECT_EQ(s.misses, 0);
  EXPECT_EQ(http_.calls()[0].request.headers[0].second, "application/json");
}

TEST_F(OidcTest, UnknownKidRefreshesAtMostOncePerInterval) {
  OidcKeyProvider p = MakeProvider();
  ASSERT_TRUE(p.FindKey(kIssuer, "a").ok());
  clock_.Advance(absl::Minutes(6));
  // Key rotation: "b" appears at the IdP.
  http_.SetResponse(kJwksUrl, 200, KeySet({{key_a_->get(), "a"}, {key_b_->get(), "b"}}));
  absl::StatusOr<std::shared_ptr<const Jwk>> b = p.FindKey(kIssuer, "b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(p.stats().refreshes, 2);
  // A flood of unknown kids: one refresh per interval, no more.
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::shared_ptr<const Jwk>> k = p.FindKey(kIssuer, absl::StrCat("rnd", i));
    EXPECT_EQ(k.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(k.status().message(), absl::StrCat("jwt: unknown kid \"rnd", i, "\""));
  }
  EXPECT_EQ(p.stats().refreshes, 2);
  EXPECT_EQ(p.stats().misses, 50);
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(p.FindKey(kIssuer, "zzz").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.stats().refreshes, 3);
  EXPECT_EQ(http_.CallCount(kJwksUrl), 3);
}

TEST_F(OidcTest, ServesStaleKeysWhenRefreshFails) {
  OidcKeyProvider p = MakeProvider();
  ASSERT_TRUE(p.FindKey(kIssuer, "a").ok());
  http_.SetError(kDiscoveryUrl, FakeHttpClient::UnavailableError(kDiscoveryUrl));
  clock_.Advance(absl::Hours(2));  // keys expired
  absl::StatusOr<std::shared_ptr<const Jwk>> a = p.FindKey(kIssuer, "a");
  ASSERT_TRUE(a.ok()) << a.status();
  OidcStats s = p.stats();
  EXPECT_EQ(s.refreshes, 2);
  EXPECT_EQ(s.refresh_failures, 1);
  EXPECT_EQ(s.stale_served, 1);
  // Rate limit also applies to retries after a failure.
  ASSERT_TRUE(p.FindKey(kIssuer, "a").ok());
  EXPECT_EQ(p.stats().refreshes, 2);
  // Unknown kid while the IdP is down: unavailable, naming the cause.
  clock_.Advance(absl::Minutes(10));
  absl::StatusOr<std::shared_ptr<const Jwk>> b = p.FindKey(kIssuer, "b");
  EXPECT_EQ(b.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(b.status().message())
                .find(absl::StrCat("jwt: unknown kid \"b\" and refreshing keys failed: oidc: \"",
                                   kIssuer, "\": discovery: Get \"", kDiscoveryUrl,
                                   "\": connection refused")),
            std::string::npos)
      << b.status();
  // Recovery.
  http_.SetResponse(kDiscoveryUrl, 200, absl::StrCat(R"({"jwks_uri":")", kJwksUrl, R"("})"));
  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(p.FindKey(kIssuer, "a").ok());
  EXPECT_EQ(p.stats().stale_served, 2);
}

struct FailCase {
  const char* name;
  std::string discovery;  // "" = connection refused
  int jwks_status;
  std::string jwks;
  const char* message;
};

class OidcFailTest : public OidcTest, public testing::WithParamInterface<FailCase> {};

TEST_P(OidcFailTest, NoKeysIsUnavailable) {
  const FailCase& c = GetParam();
  if (c.discovery.empty()) {
    http_.SetError(kDiscoveryUrl, FakeHttpClient::UnavailableError(kDiscoveryUrl));
  } else {
    http_.SetResponse(kDiscoveryUrl, 200, c.discovery);
  }
  http_.SetResponse(kJwksUrl, c.jwks_status, c.jwks);
  OidcKeyProvider p = MakeProvider();
  absl::StatusOr<std::shared_ptr<const Jwk>> k = p.FindKey(kIssuer, "a");
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(k.status().message()).find(c.message), std::string::npos) << k.status();
  // The failure is remembered (no refetch inside the interval).
  EXPECT_EQ(p.FindKey(kIssuer, "a").status(), k.status());
  EXPECT_EQ(p.stats().refreshes, 1);
  EXPECT_EQ(p.stats().refresh_failures, 1);
}

const std::string kGoodDiscovery = absl::StrCat(R"({"jwks_uri":")", kJwksUrl, R"("})");

INSTANTIATE_TEST_SUITE_P(
    Cases, OidcFailTest,
    testing::Values(
        FailCase{"discovery_down", "", 200, "", "discovery: Get \""},
        FailCase{"discovery_not_json", "<html>", 200, "", "discovery: offset 0: unexpected character"},
        FailCase{"discovery_no_jwks_uri", "{}", 200, "",
                 "discovery: missing required field \"jwks_uri\""},
        FailCase{"jwks_uri_http", R"({"jwks_uri":"http://login.example/keys"})", 200, "",
                 "discovery: jwks_uri is not https"},
        FailCase{"jwks_404", kGoodDiscovery, 404, "nope",
                 "jwks: Get \"https://login.example/tenant/discovery/v2.0/keys\": unexpected status 404"},
        FailCase{"jwks_malformed", kGoodDiscovery, 200, R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})",
                 "jwks: key \"\": RSA modulus of 17 bits is below 2048"}),
    [](const testing::TestParamInfo<FailCase>& info) { return info.param.name; });

TEST_F(OidcTest, ColdCacheRetriesAfterColdIntervalNotRefreshInterval) {
  http_.SetError(kDiscoveryUrl, FakeHttpClient::UnavailableError(kDiscoveryUrl));
  OidcKeyProvider p = MakeProvider();  // min_refresh_interval 5m, cold 5s
  EXPECT_EQ(p.FindKey(kIssuer, "a").status().code(), absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(p.FindKey(kIssuer, "a").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(p.stats().refreshes, 1);  // inside the cold interval: no refetch
  // The IdP is back: the next attempt after 5 s fetches and succeeds.
  http_.SetResponse(kDiscoveryUrl, 200,
                    absl::StrCat(R"({"issuer":"x","jwks_uri":")", kJwksUrl, R"("})"));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(p.FindKey(kIssuer, "a").ok());
  EXPECT_EQ(p.stats().refreshes, 2);
}

TEST_F(OidcTest, RealEntraDocumentsAndToken) {
  // Serve the real snapshots: common v1 discovery (jwks_uri
  // https://login.microsoftonline.com/common/discovery/keys) with the tenant
  // v2 key set behind it, then verify the real token through the provider.
  const std::string issuer = "https://login.microsoftonline.com/common";
  http_.SetResponse(issuer + "/.well-known/openid-configuration", 200,
                    ReadFile("testdata/entra/openid-configuration_common_v1_snapshot.json"));
  http_.SetResponse("https://login.microsoftonline.com/common/discovery/keys", 200,
                    ReadFile("testdata/entra/jwks_tenant_v2_snapshot_2024-01.json"));
  OidcKeyProvider p = MakeProvider();
  std::unique_ptr<KeyResolver> resolver = p.ResolverFor(issuer);
  const std::string token(
      absl::StripAsciiWhitespace(ReadFile("testdata/entra/user_assigned_arm_2023.jwt")));
  VerifyOptions o;
  o.allowed_algorithms = {Algorithm::kRs256};
  absl::StatusOr<VerifiedJwt> jwt =
      Verify(token, *resolver, o, absl::FromUnixSeconds(1702151817) + absl::Hours(1));
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->StringClaim("tid"), "90a38eda-4006-4dd5-924c-6ca55cacc14d");
  jwt = Verify(token, *resolver, o, absl::Now());
  EXPECT_EQ(jwt.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(std::string(jwt.status().message()).find("jwt: token expired"), std::string::npos);
}

TEST_F(OidcTest, ConcurrentLookupsShareOneFetch) {
  OidcKeyProvider p = MakeProvider();
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&p] {
      for (int j = 0; j < 20; ++j) EXPECT_TRUE(p.FindKey(kIssuer, "a").ok());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(p.stats().refreshes, 1);
  EXPECT_EQ(p.stats().hits, 160);
}

}  // namespace
}  // namespace enlist::jwt
