#include "core/jwt/jwks.h"

#include <fstream>
#include <iterator>
#include <string>

#include "core/encoding/base64.h"
#include "core/json/json.h"
#include "core/jwt/signer.h"
#include "gtest/gtest.h"

namespace enlist::jwt {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(JwksTest, RealEntraTenantV2SnapshotParses) {
  absl::StatusOr<Jwks> jwks =
      Jwks::Parse(ReadFile("testdata/entra/jwks_tenant_v2_snapshot_2024-01.json"));
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  ASSERT_EQ(jwks->size(), 3u);
  for (const char* kid :
       {"T1St-dLTvyWRgxB_676u8krXS-I", "5B3nRxtQ7ji8eNDc3Fy05Kf97ZE", "fwNs8F_h9KrHMA_OcTP1pGFWwyc"}) {
    const Jwk* k = jwks->Find(kid);
    ASSERT_NE(k, nullptr) << kid;
    EXPECT_EQ(k->type, KeyType::kRsa);
    EXPECT_EQ(k->bits, 2048);
    EXPECT_EQ(k->use, "sig");
    EXPECT_NE(k->key, nullptr);
  }
  EXPECT_EQ(jwks->Find("nope"), nullptr);
}

TEST(JwksTest, RealEntraCommonV1SnapshotParses) {
  absl::StatusOr<Jwks> jwks =
      Jwks::Parse(ReadFile("testdata/entra/jwks_common_v1_snapshot_MSIdentityTools.json"));
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_EQ(jwks->size(), 2u);
  EXPECT_NE(jwks->Find("nOo3ZDrODXEK1jKWhXslHR_KXEg"), nullptr);
  EXPECT_NE(jwks->Find("l3sQ-50cCH4xBVZLHTGwnSR7680"), nullptr);
}

TEST(JwksTest, GeneratedKeysRoundTrip) {
  auto rsa = GenerateRsaKey(2048);
  auto ec = GenerateEcP256Key();
  ASSERT_TRUE(rsa.ok() && ec.ok());
  json::Value doc = json::Value::Object();
  json::Value keys = json::Value::Array();
  keys.Append(*PublicJwk(rsa->get(), "r1", "RS256"));
  keys.Append(*PublicJwk(ec->get(), "e1"));
  doc.Set("keys", std::move(keys));
  absl::StatusOr<Jwks> jwks = Jwks::Parse(json::Serialize(doc));
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_EQ(jwks->Find("r1")->alg, "RS256");
  EXPECT_EQ(jwks->Find("e1")->type, KeyType::kEcP256);
  EXPECT_EQ(jwks->Find("e1")->bits, 256);
  EXPECT_EQ(EVP_PKEY_cmp(jwks->Find("e1")->key.get(), ec->get()), 1);
  EXPECT_EQ(EVP_PKEY_cmp(jwks->Find("r1")->key.get(), rsa->get()), 1);
}

// A JWK JSON object from a generated key, with one member replaced.
struct KeyMutation {
  const char* name;
  bool ec;              // start from the EC key (else RSA 2048)
  const char* member;   // member to set ("" = none)
  std::string value;    // raw JSON for it
  const char* message;  // expected substring
};

class JwkRejectTest : public testing::TestWithParam<KeyMutation> {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new crypto::EvpPkeyPtr(std::move(GenerateRsaKey(2048)).value());
    ec_ = new crypto::EvpPkeyPtr(std::move(GenerateEcP256Key()).value());
    small_rsa_ = new crypto::EvpPkeyPtr(std::move(GenerateRsaKey(1024)).value());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    delete small_rsa_;
  }
  static crypto::EvpPkeyPtr* rsa_;
  static crypto::EvpPkeyPtr* ec_;
  static crypto::EvpPkeyPtr* small_rsa_;
};
crypto::EvpPkeyPtr* JwkRejectTest::rsa_;
crypto::EvpPkeyPtr* JwkRejectTest::ec_;
crypto::EvpPkeyPtr* JwkRejectTest::small_rsa_;

TEST_P(JwkRejectTest, Rejects) {
  const KeyMutation& m = GetParam();
  json::Value key;
  if (std::string(m.name) == "tiny_rsa_modulus") {
    key = *PublicJwk(small_rsa_->get(), "k1");
  } else {
    key = *PublicJwk(m.ec ? ec_->get() : rsa_->get(), "k1");
  }
  if (*m.member != '\0') {
    absl::StatusOr<json::Value> v = json::Parse(m.value);
    ASSERT_TRUE(v.ok()) << v.status();
    key.Set(m.member, *v);
  }
  absl::StatusOr<Jwk> jwk = ParseJwk(key);
  ASSERT_FALSE(jwk.ok());
  EXPECT_EQ(jwk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(jwk.status().message()).find(m.message), std::string::npos)
      << jwk.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JwkRejectTest,
    testing::Values(
        KeyMutation{"tiny_rsa_modulus", false, "", "",
                    "jwks: key \"k1\": RSA modulus of 1024 bits is below 2048"},
        KeyMutation{"bad_base64url_n", false, "n", "\"AQ=B\"",
                    "jwks: key \"k1\": member \"n\": base64url: invalid character at offset 2"},
        KeyMutation{"std_base64_n", false, "n", "\"ab+/\"", "base64url: invalid character"},
        KeyMutation{"n_wrong_type", false, "n", "17",
                    "jwks: key \"k1\": field \"n\": expected string, got number"},
        KeyMutation{"missing_e", false, "e", "null", "field \"e\": expected string, got null"},
        KeyMutation{"even_exponent", false, "e", "\"AQAA\"", "RSA exponent must be odd"},
        KeyMutation{"exponent_one", false, "e", "\"AQ\"", "RSA exponent must be odd and at least 3"},
        KeyMutation{"empty_n", false, "n", "\"\"", "member \"n\" is empty"},
        KeyMutation{"unknown_kty", false, "kty", "\"oct\"", "jwks: key \"k1\": unsupported kty \"oct\""},
        KeyMutation{"okp_kty", false, "kty", "\"OKP\"", "unsupported kty \"OKP\""},
        KeyMutation{"kty_wrong_type", false, "kty", "1", "field \"kty\": expected string"},
        KeyMutation{"use_enc", false, "use", "\"enc\"", "unsupported use \"enc\""},
        KeyMutation{"private_d", false, "d", "\"AQAB\"", "private key material"},
        KeyMutation{"ec_wrong_curve", true, "crv", "\"P-384\"", "unsupported crv \"P-384\""},
        KeyMutation{"ec_short_x", true, "x", "\"AQAB\"", "EC coordinates must be 32 bytes"},
        KeyMutation{"ec_point_not_on_curve", true, "y",
                    "\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\"",
                    "jwks: key \"k1\": EC point is not on curve P-256"},
        KeyMutation{"ec_bad_base64url", true, "x", "\"!!!!\"", "member \"x\": base64url"}),
    [](const testing::TestParamInfo<KeyMutation>& info) { return info.param.name; });

TEST(JwksTest, MissingKtyNamesTheKey) {
  absl::StatusOr<Jwk> k = ParseJwk(*json::Parse(R"({"kid":"a","n":"AQAB","e":"AQAB"})"));
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(k.status().message(), "jwks: key \"a\": missing required field \"kty\"");
}

struct SetCase {
  const char* name;
  std::string doc;
  const char* message;
};

class JwksRejectTest : public testing::TestWithParam<SetCase> {};

TEST_P(JwksRejectTest, Rejects) {
  absl::StatusOr<Jwks> jwks = Jwks::Parse(GetParam().doc);
  ASSERT_FALSE(jwks.ok());
  EXPECT_EQ(jwks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(jwks.status().message()).find(GetParam().message), std::string::npos)
      << jwks.status();
}

const char kEcKey[] =
    R"({"kty":"EC","crv":"P-256","kid":"dup",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

INSTANTIATE_TEST_SUITE_P(
    Cases, JwksRejectTest,
    testing::Values(
        SetCase{"not_json", "{", "jwks: offset 1: unterminated object"},
        SetCase{"not_object", "[]", "jwks: document is not an object"},
        SetCase{"no_keys", "{}", "jwks: missing required field \"keys\""},
        SetCase{"keys_not_array", R"({"keys":{}})", "jwks: field \"keys\": expected array"},
        SetCase{"duplicate_member", R"({"keys":[],"keys":[]})", "duplicate object key \"keys\""},
        SetCase{"key_not_object", R"({"keys":[1]})", "jwks: key is number, not object"},
        SetCase{"duplicate_kid", std::string(R"({"keys":[)") + kEcKey + "," + kEcKey + "]}",
                "jwks: duplicate kid \"dup\""},
        SetCase{"unknown_kty_strict", R"({"keys":[{"kty":"oct","kid":"s","k":"AQAB"}]})",
                "unsupported kty \"oct\""}),
    [](const testing::TestParamInfo<SetCase>& info) { return info.param.name; });

TEST(JwksTest, RfcEcExampleKeyParses) {
  // RFC 7517 appendix A.1 (the P-256 example key).
  absl::StatusOr<Jwks> jwks = Jwks::Parse(std::string(R"({"keys":[)") + kEcKey + "]}");
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_EQ(jwks->Find("dup")->type, KeyType::kEcP256);
}

TEST(JwksTest, SkipUnsupportedKeysOption) {
  const std::string doc = std::string(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAB"},)") +
                          R"({"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},)" + kEcKey + "]}";
  JwksParseOptions options;
  options.skip_unsupported_keys = true;
  absl::StatusOr<Jwks> jwks = Jwks::Parse(doc, options);
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_EQ(jwks->size(), 1u);
  // A supported type that is malformed still fails.
  absl::StatusOr<Jwks> bad =
      Jwks::Parse(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})", options);
  EXPECT_NE(std::string(bad.status().message()).find("below 2048"), std::string::npos);
}

TEST(JwksTest, StaticResolver) {
  auto jwks = std::make_shared<const Jwks>(
      *Jwks::Parse(std::string(R"({"keys":[)") + kEcKey + "]}"));
  StaticKeyResolver resolver(jwks);
  EXPECT_TRUE(resolver.FindKey("dup").ok());
  absl::StatusOr<std::shared_ptr<const Jwk>> k = resolver.FindKey("x\n\"y");
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(k.status().message(), "jwt: unknown kid \"x\\x0a\\x22y\"");
}

}  // namespace
}  // namespace enlist::jwt
