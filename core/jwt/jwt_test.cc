#include "core/jwt/jwt.h"

#include <openssl/evp.h>
#if defined(OPENSSL_IS_BORINGSSL)
#include <openssl/mem.h>  // OPENSSL_free
#else
#include <openssl/crypto.h>  // OPENSSL_free
#endif
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/encoding/base64.h"
#include "core/json/json.h"
#include "core/jwt/jwks.h"
#include "core/jwt/signer.h"
#include "gtest/gtest.h"

namespace enlist::jwt {
namespace {

using encoding::Base64UrlEncode;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const absl::Time kNow = absl::FromUnixSeconds(1800000000);  // 2027-01-15

// Keys made once per test binary: RSA-2048 "rsa", P-256 "ec".
struct Keys {
  crypto::EvpPkeyPtr rsa;
  crypto::EvpPkeyPtr ec;
  std::shared_ptr<const Jwks> jwks;
};

const Keys& TestKeys() {
  static const Keys* const keys = [] {
    auto* k = new Keys;
    k->rsa = std::move(GenerateRsaKey(2048)).value();
    k->ec = std::move(GenerateEcP256Key()).value();
    json::Value doc = json::Value::Object();
    json::Value arr = json::Value::Array();
    arr.Append(*PublicJwk(k->rsa.get(), "rsa"));
    arr.Append(*PublicJwk(k->ec.get(), "ec"));
    arr.Append(*PublicJwk(k->rsa.get(), "rsa-pinned-rs256", "RS256"));
    doc.Set("keys", std::move(arr));
    k->jwks = std::make_shared<const Jwks>(std::move(Jwks::Parse(json::Serialize(doc))).value());
    return k;
  }();
  return *keys;
}

std::string Claims(absl::Duration exp_from_now = absl::Minutes(5),
                   absl::Duration nbf_from_now = -absl::Minutes(5)) {
  return absl::StrCat(R"({"iss":"https://sts.windows.net/t/","aud":"https://management.azure.com/",)",
                      R"("tid":"t","exp":)", absl::ToUnixSeconds(kNow + exp_from_now),
                      R"(,"nbf":)", absl::ToUnixSeconds(kNow + nbf_from_now), R"(,"iat":)",
                      absl::ToUnixSeconds(kNow + nbf_from_now), "}");
}

std::string Sign(absl::string_view header, absl::string_view payload, Algorithm alg) {
  EVP_PKEY* key = alg == Algorithm::kRs256 ? TestKeys().rsa.get() : TestKeys().ec.get();
  absl::StatusOr<std::string> t = SignJws(header, payload, alg, key);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

VerifyOptions Rs256Only() {
  VerifyOptions o;
  o.allowed_algorithms = {Algorithm::kRs256};
  return o;
}

VerifyOptions Both() {
  VerifyOptions o;
  o.allowed_algorithms = {Algorithm::kRs256, Algorithm::kEs256};
  return o;
}

absl::StatusOr<VerifiedJwt> VerifyWithTestKeys(absl::string_view token, const VerifyOptions& o,
                                               absl::Time now = kNow) {
  StaticKeyResolver resolver(TestKeys().jwks);
  return Verify(token, resolver, o, now);
}

TEST(JwtVerifyTest, Rs256Valid) {
  const std::string token = Sign(R"({"alg":"RS256","typ":"JWT","kid":"rsa"})", Claims(),
                                 Algorithm::kRs256);
  absl::StatusOr<VerifiedJwt> jwt = VerifyWithTestKeys(token, Rs256Only());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->alg(), "RS256");
  EXPECT_EQ(jwt->kid(), "rsa");
  EXPECT_EQ(*jwt->StringClaim("tid"), "t");
  EXPECT_EQ(*jwt->Audience(), std::vector<std::string>{"https://management.azure.com/"});
  EXPECT_EQ(**jwt->TimeClaim("exp"), kNow + absl::Minutes(5));
}

TEST(JwtVerifyTest, Es256Valid) {
  const std::string token = Sign(R"({"alg":"ES256","kid":"ec"})", Claims(), Algorithm::kEs256);
  absl::StatusOr<VerifiedJwt> jwt = VerifyWithTestKeys(token, Both());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->alg(), "ES256");
}

// A key SignJws cannot sign with: the wrong type for the algorithm, or a
// public key only.
TEST(JwtSignTest, KeysThatCannotSignAreRefused) {
  absl::StatusOr<std::string> wrong =
      SignJws(R"({"alg":"RS256"})", Claims(), Algorithm::kRs256, TestKeys().ec.get());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.status().message(), "jwt signer: key type does not fit alg");
  uint8_t* der = nullptr;
  const int len = i2d_PUBKEY(TestKeys().ec.get(), &der);
  ASSERT_GT(len, 0);
  const uint8_t* p = der;
  crypto::EvpPkeyPtr public_only(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  ASSERT_NE(public_only, nullptr);
  absl::StatusOr<std::string> t =
      SignJws(R"({"alg":"ES256"})", Claims(), Algorithm::kEs256, public_only.get());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(t.status().message(), "jwt signer: signing failed");
}

TEST(JwtVerifyTest, PinnedKeyAlgAccepted) {
  const std::string token =
      Sign(R"({"alg":"RS256","kid":"rsa-pinned-rs256"})", Claims(), Algorithm::kRs256);
  EXPECT_TRUE(VerifyWithTestKeys(token, Rs256Only()).ok());
}

TEST(JwtVerifyTest, SkewAppliesAtTheEdges) {
  // Expired 1 minute ago, skew 2 minutes: accepted; skew 30 s: rejected.
  const std::string token = Sign(R"({"alg":"RS256","kid":"rsa"})",
                                 Claims(-absl::Minutes(1), -absl::Minutes(10)), Algorithm::kRs256);
  VerifyOptions o = Rs256Only();
  EXPECT_TRUE(VerifyWithTestKeys(token, o).ok());
  o.clock_skew = absl::Seconds(30);
  EXPECT_EQ(VerifyWithTestKeys(token, o).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(JwtVerifyTest, AudienceArrayAndFractionalDates) {
  const std::string token =
      Sign(R"({"alg":"RS256","kid":"rsa"})",
           absl::StrCat(R"({"aud":["a","b"],"exp":)", absl::ToUnixSeconds(kNow) + 60, ".5}"),
           Algorithm::kRs256);
  absl::StatusOr<VerifiedJwt> jwt = VerifyWithTestKeys(token, Rs256Only());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->Audience(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(**jwt->TimeClaim("exp"), kNow + absl::Seconds(60) + absl::Milliseconds(500));
  EXPECT_EQ(jwt->StringClaim("tid").status().message(),
            "jwt: claim: missing required field \"tid\"");
  EXPECT_FALSE(jwt->TimeClaim("nbf")->has_value());
}

// HS256 with the RSA public key (DER SubjectPublicKeyInfo, and PEM-ish text)
// as the HMAC secret: the classic key-confusion attack.
std::string Hs256WithRsaPublicKey(absl::string_view payload) {
  uint8_t* der = nullptr;
  const int der_len = i2d_PUBKEY(TestKeys().rsa.get(), &der);
  std::string secret(reinterpret_cast<char*>(der), der_len);
  OPENSSL_free(der);
  const std::string input = absl::StrCat(Base64UrlEncode(R"({"alg":"HS256","kid":"rsa"})"), ".",
                                         Base64UrlEncode(payload));
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), secret.size(), reinterpret_cast<const uint8_t*>(input.data()),
       input.size(), mac, &mac_len);
  return absl::StrCat(input, ".",
                      Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len)));
}

struct RejectCase {
  const char* name;
  std::function<std::string()> token;
  VerifyOptions options;
  absl::StatusCode code;
  const char* message;
};

class JwtRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(JwtRejectTest, Rejects) {
  const RejectCase& c = GetParam();
  const std::string token = c.token();
  absl::StatusOr<VerifiedJwt> jwt = VerifyWithTestKeys(token, c.options);
  ASSERT_FALSE(jwt.ok());
  EXPECT_EQ(jwt.status().code(), c.code) << jwt.status();
  // A token decoded first (to route it) fails the same way, and one that
  // does not decode fails there with Verify's error.
  absl::StatusOr<UnverifiedJwt> decoded = DecodeUnverified(token, c.options.limits);
  if (decoded.ok()) {
    StaticKeyResolver resolver(TestKeys().jwks);
    EXPECT_EQ(Verify(*std::move(decoded), resolver, c.options, kNow).status(), jwt.status());
  } else if (!c.options.allowed_algorithms.empty()) {
    EXPECT_EQ(decoded.status(), jwt.status());
  }
  EXPECT_NE(std::string(jwt.status().message()).find(c.message), std::string::npos)
      << jwt.status();
  // Never leak the token or a segment of it.
  for (absl::string_view seg : absl::StrSplit(token, '.')) {
    if (seg.size() >= 8) {
      EXPECT_EQ(std::string(jwt.status().message()).find(std::string(seg)), std::string::npos);
    }
  }
}

std::string Rs(absl::string_view header, absl::string_view payload) {
  return Sign(header, payload, Algorithm::kRs256);
}

std::string Unsigned(absl::string_view header, absl::string_view payload,
                     absl::string_view sig = "") {
  return absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(payload), ".", sig);
}

// Removes the last `n` bytes of the (decoded) signature, keeping valid base64url.
std::string DropSignatureBytes(const std::string& token, size_t n) {
  const size_t dot = token.rfind('.');
  std::string sig = *encoding::Base64UrlDecode(token.substr(dot + 1));
  return token.substr(0, dot + 1) + Base64UrlEncode(sig.substr(0, sig.size() - n));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JwtRejectTest,
    testing::Values(
        RejectCase{"alg_none",
                   [] { return Unsigned(R"({"alg":"none","kid":"rsa"})", Claims()); },
                   Both(), absl::StatusCode::kUnauthenticated, "jwt: unsupported alg \"none\""},
        RejectCase{"alg_none_capitalised",
                   [] { return Unsigned(R"({"alg":"None","kid":"rsa"})", Claims()); },
                   Both(), absl::StatusCode::kUnauthenticated, "jwt: unsupported alg \"None\""},
        RejectCase{"hs256_with_rsa_public_key_as_secret",
                   [] { return Hs256WithRsaPublicKey(Claims()); }, Both(),
                   absl::StatusCode::kUnauthenticated, "jwt: unsupported alg \"HS256\""},
        RejectCase{"rs384", [] { return Unsigned(R"({"alg":"RS384","kid":"rsa"})", Claims(), "AAAA"); },
                   Both(), absl::StatusCode::kUnauthenticated, "jwt: unsupported alg \"RS384\""},
        RejectCase{"alg_not_allowed",
                   [] { return Sign(R"({"alg":"ES256","kid":"ec"})", Claims(), Algorithm::kEs256); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: alg \"ES256\" not allowed"},
        RejectCase{"empty_allow_list",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})", Claims()); }, VerifyOptions(),
                   absl::StatusCode::kInvalidArgument, "jwt: no allowed algorithms configured"},
        RejectCase{"unknown_kid", [] { return Rs(R"({"alg":"RS256","kid":"nope"})", Claims()); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: unknown kid \"nope\""},
        RejectCase{"missing_kid", [] { return Rs(R"({"alg":"RS256"})", Claims()); }, Rs256Only(),
                   absl::StatusCode::kInvalidArgument, "jwt: header: missing required field \"kid\""},
        RejectCase{"kid_not_string", [] { return Rs(R"({"alg":"RS256","kid":7})", Claims()); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: header: field \"kid\": expected string, got number"},
        RejectCase{"expired",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})",
                                  Claims(-absl::Minutes(10), -absl::Hours(1))); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: token expired"},
        RejectCase{"not_yet_valid",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})",
                                  Claims(absl::Hours(2), absl::Minutes(10))); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: token not yet valid"},
        RejectCase{"issued_in_future",
                   [] {
                     return Rs(R"({"alg":"RS256","kid":"rsa"})",
                               absl::StrCat(R"({"exp":)", absl::ToUnixSeconds(kNow) + 3600,
                                            R"(,"iat":)", absl::ToUnixSeconds(kNow) + 600, "}"));
                   },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: token issued in the future"},
        RejectCase{"no_exp", [] { return Rs(R"({"alg":"RS256","kid":"rsa"})", R"({"tid":"t"})"); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: token has no exp"},
        RejectCase{"exp_not_number",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})", R"({"exp":"soon"})"); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: claim: field \"exp\": expected number, got string"},
        RejectCase{"exp_negative",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})", R"({"exp":-1})"); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument, "NumericDate out of range"},
        RejectCase{"bad_base64url_payload",
                   [] {
                     std::string t = Rs(R"({"alg":"RS256","kid":"rsa"})", Claims());
                     t[t.find('.') + 3] = '+';
                     return t;
                   },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: payload: base64url: invalid character at offset 2"},
        RejectCase{"padded_signature",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})", Claims()) + "=="; },
                   Rs256Only(), absl::StatusCode::kInvalidArgument, "jwt: signature: base64url:"},
        RejectCase{"duplicate_header_key",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa","alg":"none"})", Claims()); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: header: offset 27: duplicate object key \"alg\""},
        RejectCase{"duplicate_payload_key",
                   [] {
                     return Rs(R"({"alg":"RS256","kid":"rsa"})",
                               absl::StrCat(R"({"exp":1,"exp":)", absl::ToUnixSeconds(kNow) + 60, "}"));
                   },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: payload: offset 9: duplicate object key \"exp\""},
        RejectCase{"rs256_header_with_ec_key",
                   [] { return Rs(R"({"alg":"RS256","kid":"ec"})", Claims()); }, Both(),
                   absl::StatusCode::kUnauthenticated,
                   "jwt: alg \"RS256\" does not fit key \"ec\" (EC P-256)"},
        RejectCase{"es256_header_with_rsa_key",
                   [] { return Sign(R"({"alg":"ES256","kid":"rsa"})", Claims(), Algorithm::kEs256); },
                   Both(), absl::StatusCode::kUnauthenticated,
                   "jwt: alg \"ES256\" does not fit key \"rsa\" (RSA)"},
        RejectCase{"key_pinned_to_other_alg",
                   [] { return Sign(R"({"alg":"ES256","kid":"rsa-pinned-rs256"})", Claims(),
                                    Algorithm::kEs256); },
                   Both(), absl::StatusCode::kUnauthenticated, "(RSA, alg RS256)"},
        RejectCase{"truncated_rs256_signature",
                   [] {
                     return DropSignatureBytes(Rs(R"({"alg":"RS256","kid":"rsa"})", Claims()), 1);
                   },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: bad signature"},
        RejectCase{"truncated_es256_signature",
                   [] {
                     return DropSignatureBytes(
                         Sign(R"({"alg":"ES256","kid":"ec"})", Claims(), Algorithm::kEs256), 3);
                   },
                   Both(), absl::StatusCode::kUnauthenticated, "jwt: bad signature"},
        RejectCase{"es256_der_signature",
                   [] {
                     // A DER signature where JOSE r||s belongs.
                     std::string t = Sign(R"({"alg":"ES256","kid":"ec"})", Claims(), Algorithm::kEs256);
                     return t.substr(0, t.rfind('.') + 1) + Base64UrlEncode(std::string(70, '\x30'));
                   },
                   Both(), absl::StatusCode::kUnauthenticated, "jwt: bad signature"},
        RejectCase{"empty_signature",
                   [] { return Unsigned(R"({"alg":"RS256","kid":"rsa"})", Claims()); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: bad signature"},
        RejectCase{"tampered_payload",
                   [] {
                     std::string t = Rs(R"({"alg":"RS256","kid":"rsa"})", Claims());
                     const size_t a = t.find('.') + 1;
                     const size_t b = t.rfind('.');
                     return t.substr(0, a) + Base64UrlEncode(R"({"tid":"evil","exp":9999999999})") +
                            t.substr(b);
                   },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: bad signature"},
        RejectCase{"signature_from_other_key",
                   [] {
                     auto other = GenerateRsaKey(2048);
                     return *SignJws(R"({"alg":"RS256","kid":"rsa"})", Claims(), Algorithm::kRs256,
                                     other->get());
                   },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: bad signature"},
        RejectCase{"crit_header",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa","crit":["exp"]})", Claims()); },
                   Rs256Only(), absl::StatusCode::kUnauthenticated, "jwt: unsupported critical header"},
        RejectCase{"two_segments", [] { return std::string("eyJhbGciOiJSUzI1NiJ9.e30"); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: malformed token: expected 3 dot-separated segments, got 2"},
        RejectCase{"jwe_five_segments", [] { return std::string("a.b.c.d.e"); }, Rs256Only(),
                   absl::StatusCode::kInvalidArgument, "got 5"},
        RejectCase{"header_not_object", [] { return Unsigned("[]", Claims(), "AAAA"); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument, "jwt: header: not a JSON object"},
        RejectCase{"header_not_json", [] { return Unsigned("{alg}", Claims(), "AAAA"); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: header: offset 1: expected string key"},
        RejectCase{"alg_missing", [] { return Unsigned(R"({"kid":"rsa"})", Claims(), "AAAA"); },
                   Rs256Only(), absl::StatusCode::kInvalidArgument,
                   "jwt: header: missing required field \"alg\""},
        RejectCase{"payload_not_object",
                   [] { return Rs(R"({"alg":"RS256","kid":"rsa"})", "\"x\""); }, Rs256Only(),
                   absl::StatusCode::kInvalidArgument, "jwt: payload: not a JSON object"},
        RejectCase{"too_large", [] { return std::string(16 * 1024 + 1, 'a'); }, Rs256Only(),
                   absl::StatusCode::kInvalidArgument,
                   "jwt: token of 16385 bytes exceeds limit of 16384"}),
    [](const testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

TEST(JwtDecodeTest, DecodeUnverifiedReadsClaimsWithoutKeys) {
  const std::string token = Rs(R"({"alg":"RS256","kid":"whatever"})", Claims());
  absl::StatusOr<UnverifiedJwt> jwt = DecodeUnverified(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->StringClaim("tid"), "t");
  EXPECT_EQ(jwt->kid(), "whatever");
  // Even "none" decodes: decoding is not verification.
  EXPECT_TRUE(DecodeUnverified(Unsigned(R"({"alg":"none"})", "{}")).ok());
}

// The real Entra token: RS256, kid T1St-dLTvyWRgxB_676u8krXS-I.
class RealEntraTokenTest : public testing::Test {
 protected:
  void SetUp() override {
    token_ = std::string(
        absl::StripAsciiWhitespace(ReadFile("testdata/entra/user_assigned_arm_2023.jwt")));
    absl::StatusOr<Jwks> jwks =
        Jwks::Parse(ReadFile("testdata/entra/jwks_tenant_v2_snapshot_2024-01.json"));
    ASSERT_TRUE(jwks.ok()) << jwks.status();
    resolver_ = std::make_unique<StaticKeyResolver>(std::make_shared<const Jwks>(std::move(*jwks)));
    absl::StatusOr<UnverifiedJwt> unverified = DecodeUnverified(token_);
    ASSERT_TRUE(unverified.ok()) << unverified.status();
    nbf_ = **unverified->TimeClaim("nbf");
    exp_ = **unverified->TimeClaim("exp");
  }
  std::string token_;
  std::unique_ptr<StaticKeyResolver> resolver_;
  absl::Time nbf_;
  absl::Time exp_;
};

TEST_F(RealEntraTokenTest, VerifiesInsideItsValidity) {
  EXPECT_EQ(nbf_, absl::FromUnixSeconds(1702151817));
  EXPECT_EQ(exp_, absl::FromUnixSeconds(1702238517));
  absl::StatusOr<VerifiedJwt> jwt = Verify(token_, *resolver_, Rs256Only(), nbf_ + absl::Hours(1));
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->kid(), "T1St-dLTvyWRgxB_676u8krXS-I");
  EXPECT_EQ(*jwt->StringClaim("tid"), "90a38eda-4006-4dd5-924c-6ca55cacc14d");
  EXPECT_EQ(*jwt->StringClaim("iss"), "https://sts.windows.net/90a38eda-4006-4dd5-924c-6ca55cacc14d/");
  EXPECT_EQ(*jwt->Audience(), std::vector<std::string>{"https://management.azure.com/"});
  EXPECT_EQ(*jwt->StringClaim("xms_az_rid"),
            "/subscriptions/2b0942f3-9bca-484b-a508-abdae2db5e64/resourcegroups/northpole-rg1/"
            "providers/Microsoft.Compute/virtualMachines/ssh-server-vm");
  EXPECT_EQ(*jwt->Int64Claim("xms_tcdt"), 1698417557);
}

TEST_F(RealEntraTokenTest, VerifiesOnceDecoded) {
  absl::StatusOr<UnverifiedJwt> u = DecodeUnverified(token_);
  ASSERT_TRUE(u.ok()) << u.status();
  absl::StatusOr<VerifiedJwt> jwt = Verify(*std::move(u), *resolver_, Rs256Only(), nbf_ + absl::Hours(1));
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->StringClaim("tid"), "90a38eda-4006-4dd5-924c-6ca55cacc14d");

  std::string t = token_;
  char& c = t[t.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  absl::StatusOr<UnverifiedJwt> flipped = DecodeUnverified(t);
  ASSERT_TRUE(flipped.ok()) << flipped.status();
  EXPECT_EQ(Verify(*std::move(flipped), *resolver_, Rs256Only(), nbf_ + absl::Hours(1)).status(),
            absl::UnauthenticatedError("jwt: bad signature"));
}

TEST_F(RealEntraTokenTest, ExpiredNow) {
  absl::StatusOr<VerifiedJwt> jwt = Verify(token_, *resolver_, Rs256Only(), absl::Now());
  EXPECT_EQ(jwt.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(std::string(jwt.status().message()).find("jwt: token expired"), std::string::npos)
      << jwt.status();
}

TEST_F(RealEntraTokenTest, NotYetValidBeforeNbf) {
  absl::StatusOr<VerifiedJwt> jwt = Verify(token_, *resolver_, Rs256Only(), nbf_ - absl::Hours(1));
  EXPECT_EQ(jwt.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(std::string(jwt.status().message()).find("jwt: token not yet valid"), std::string::npos);
}

TEST_F(RealEntraTokenTest, FlippedSignatureBitFails) {
  std::string t = token_;
  char& c = t[t.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  absl::StatusOr<VerifiedJwt> jwt = Verify(t, *resolver_, Rs256Only(), nbf_ + absl::Hours(1));
  EXPECT_EQ(jwt.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(jwt.status().message(), "jwt: bad signature");
}

TEST_F(RealEntraTokenTest, OtherEntraKeyFails) {
  // Same token, header kid rewritten to another real key: signature fails.
  absl::StatusOr<UnverifiedJwt> u = DecodeUnverified(token_);
  ASSERT_TRUE(u.ok());
  const std::string header = R"({"typ":"JWT","alg":"RS256","kid":"5B3nRxtQ7ji8eNDc3Fy05Kf97ZE"})";
  const std::string t = Base64UrlEncode(header) + token_.substr(token_.find('.'));
  absl::StatusOr<VerifiedJwt> jwt = Verify(t, *resolver_, Rs256Only(), nbf_ + absl::Hours(1));
  EXPECT_EQ(jwt.status().message(), "jwt: bad signature");
}

}  // namespace
}  // namespace enlist::jwt
