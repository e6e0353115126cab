#include "core/jwt/jwt.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#if defined(OPENSSL_IS_BORINGSSL)
#include <openssl/mem.h>  // OPENSSL_free
#else
#include <openssl/crypto.h>  // OPENSSL_free
#endif

#include <cmath>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/crypto/ptr.h"
#include "core/crypto/rsa_pkcs1.h"
#include "core/encoding/base64.h"
#include "core/util/status_macros.h"

namespace enlist::jwt {

namespace internal {

// The three decoded segments plus what Verify needs.
struct Decoded {
  json::Value header;
  json::Value claims;
  std::string alg;
  std::string kid;
  std::string signing_input;  // ASCII "<header>.<payload>" (RFC 7515 §5.2)
  std::string signature;      // raw bytes
};

struct TokenAccess {
  template <typename T>
  static T Make(Decoded d) {
    T t;
    t.header_ = std::move(d.header);
    t.claims_ = std::move(d.claims);
    t.alg_ = std::move(d.alg);
    t.kid_ = std::move(d.kid);
    if constexpr (std::is_same_v<T, UnverifiedJwt>) {
      t.signing_input_ = std::move(d.signing_input);
      t.signature_ = std::move(d.signature);
    }
    return t;
  }
  static Decoded Take(UnverifiedJwt t) {
    Decoded d;
    d.header = std::move(t.header_);
    d.claims = std::move(t.claims_);
    d.alg = std::move(t.alg_);
    d.kid = std::move(t.kid_);
    d.signing_input = std::move(t.signing_input_);
    d.signature = std::move(t.signature_);
    return d;
  }
};

}  // namespace internal

namespace {

using internal::Decoded;

// Replaces a leading "json: " with `context` (e.g. "jwt: header: ").
absl::Status Rehome(const absl::Status& s, absl::string_view context) {
  absl::string_view msg = s.message();
  if (absl::StartsWith(msg, "json: ")) msg.remove_prefix(6);
  return absl::Status(s.code(), absl::StrCat(context, msg));
}

absl::StatusOr<json::Value> DecodeJsonSegment(absl::string_view segment, absl::string_view name,
                                              const ParseLimits& limits) {
  absl::StatusOr<std::string> bytes = encoding::Base64UrlDecode(segment);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("jwt: ", name, ": ", bytes.status().message()));
  }
  json::ParseOptions options;
  options.max_size = limits.max_token_size;
  options.max_depth = limits.max_json_depth;
  absl::StatusOr<json::Value> v = json::Parse(*bytes, options);
  if (!v.ok()) return Rehome(v.status(), absl::StrCat("jwt: ", name, ": "));
  if (!v->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("jwt: ", name, ": not a JSON object"));
  }
  return v;
}

// RFC 7515 §7.1 / RFC 7519 §7.2 steps 1-6, minus signature checking. The
// payload is decoded here too (strictly) so that DecodeUnverified and Verify
// accept exactly the same language.
absl::StatusOr<Decoded> DecodeToken(absl::string_view token, const ParseLimits& limits) {
  if (token.size() > limits.max_token_size) {
    return absl::InvalidArgumentError(absl::StrCat("jwt: token of ", token.size(),
                                                   " bytes exceeds limit of ",
                                                   limits.max_token_size));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jwt: malformed token: expected 3 dot-separated segments, got ", parts.size()));
  }
  Decoded d;
  ENLIST_ASSIGN_OR_RETURN(d.header, DecodeJsonSegment(parts[0], "header", limits));
  absl::StatusOr<std::string> alg = d.header.GetString("alg");
  if (!alg.ok()) return Rehome(alg.status(), "jwt: header: ");
  d.alg = std::move(*alg);
  absl::StatusOr<std::optional<std::string>> kid = d.header.GetOptionalString("kid");
  if (!kid.ok()) return Rehome(kid.status(), "jwt: header: ");
  d.kid = kid->value_or("");
  ENLIST_ASSIGN_OR_RETURN(d.claims, DecodeJsonSegment(parts[1], "payload", limits));
  absl::StatusOr<std::string> sig = encoding::Base64UrlDecode(parts[2]);
  if (!sig.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("jwt: signature: ", sig.status().message()));
  }
  d.signature = std::move(*sig);
  d.signing_input = absl::StrCat(parts[0], ".", parts[1]);
  return d;
}

std::optional<Algorithm> AlgorithmFromName(absl::string_view name) {
  if (name == "RS256") return Algorithm::kRs256;
  if (name == "ES256") return Algorithm::kEs256;
  return std::nullopt;
}

// RFC 7518 §3.4: the JWS ECDSA signature is R||S, each 32 bytes for P-256;
// libcrypto verifies DER ECDSA-Sig-Value, so convert.
std::optional<std::string> JoseToDerEcdsa(absl::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(raw.data());
  crypto::BignumPtr r(BN_bin2bn(p, 32, nullptr));
  crypto::BignumPtr s(BN_bin2bn(p + 32, 32, nullptr));
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr) return std::nullopt;
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();
  s.release();
  uint8_t* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

absl::string_view AlgorithmName(Algorithm alg) {
  return alg == Algorithm::kRs256 ? "RS256" : "ES256";
}

bool VerifySignature(Algorithm alg, const Jwk& key, absl::string_view signing_input,
                     absl::string_view signature) {
  if (key.key == nullptr) return false;
  std::string der;
  absl::string_view sig = signature;
  if (alg == Algorithm::kEs256) {
    if (key.type != KeyType::kEcP256) return false;
    std::optional<std::string> converted = JoseToDerEcdsa(signature);
    if (!converted) return false;
    der = std::move(*converted);
    sig = der;
  } else {
    if (key.type != KeyType::kRsa) return false;
    // RS256 (RFC 7518 §3.3); checks the length rule of RFC 8017 §8.2.2 too.
    return crypto::VerifyRsaPkcs1(key.key.get(), crypto::RsaPkcs1Hash::kSha256, signing_input,
                                  signature);
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) != 1) {
    return false;
  }
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const uint8_t*>(sig.data()),
                                  sig.size(),
                                  reinterpret_cast<const uint8_t*>(signing_input.data()),
                                  signing_input.size());
  return rc == 1;
}

// ---------------------------------------------------------------------------
// Claims

absl::StatusOr<std::string> JwtContents::StringClaim(absl::string_view name) const {
  absl::StatusOr<std::string> v = claims_.GetString(name);
  if (!v.ok()) return Rehome(v.status(), "jwt: claim: ");
  return v;
}

absl::StatusOr<std::optional<std::string>> JwtContents::OptionalStringClaim(
    absl::string_view name) const {
  absl::StatusOr<std::optional<std::string>> v = claims_.GetOptionalString(name);
  if (!v.ok()) return Rehome(v.status(), "jwt: claim: ");
  return v;
}

absl::StatusOr<int64_t> JwtContents::Int64Claim(absl::string_view name) const {
  absl::StatusOr<int64_t> v = claims_.GetInt64(name);
  if (!v.ok()) return Rehome(v.status(), "jwt: claim: ");
  return v;
}

absl::StatusOr<std::optional<absl::Time>> JwtContents::TimeClaim(absl::string_view name) const {
  const json::Value* v = claims_.Find(name);
  if (v == nullptr) return std::optional<absl::Time>();
  const std::string quoted = QuoteForMessage(name);
  if (!v->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat("jwt: claim: field ", quoted,
                                                   ": expected number, got ",
                                                   json::TypeName(v->type())));
  }
  // Year ~33658 bounds: keeps absl::Time arithmetic far from overflow.
  constexpr int64_t kMaxSeconds = 1000000000000;
  absl::StatusOr<int64_t> n = v->AsInt64();
  if (n.ok()) {
    if (*n < 0 || *n > kMaxSeconds) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwt: claim: field ", quoted, ": NumericDate out of range"));
    }
    return std::optional<absl::Time>(absl::FromUnixSeconds(*n));
  }
  absl::StatusOr<double> d = v->AsDouble();
  if (!d.ok() || *d < 0 || *d > static_cast<double>(kMaxSeconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwt: claim: field ", quoted, ": NumericDate out of range"));
  }
  return std::optional<absl::Time>(absl::FromUnixMicros(static_cast<int64_t>(*d * 1e6)));
}

absl::StatusOr<const json::Value*> JwtContents::ObjectClaim(absl::string_view name) const {
  absl::StatusOr<const json::Value*> v = claims_.GetObject(name);
  if (!v.ok()) return Rehome(v.status(), "jwt: claim: ");
  return v;
}

absl::StatusOr<std::vector<std::string>> JwtContents::Audience() const {
  const json::Value* aud = claims_.Find("aud");
  if (aud != nullptr && aud->is_string()) return std::vector<std::string>{aud->string_value()};
  absl::StatusOr<std::vector<std::string>> v = claims_.GetStringArray("aud");
  if (!v.ok()) return Rehome(v.status(), "jwt: claim: ");
  return v;
}

// ---------------------------------------------------------------------------
// Decode / Verify

absl::StatusOr<UnverifiedJwt> DecodeUnverified(absl::string_view token,
                                               const ParseLimits& limits) {
  ENLIST_ASSIGN_OR_RETURN(Decoded d, DecodeToken(token, limits));
  return internal::TokenAccess::Make<UnverifiedJwt>(std::move(d));
}

namespace {

// Verify's checks after decoding.
absl::StatusOr<VerifiedJwt> VerifyDecoded(Decoded d, KeyResolver& keys,
                                          const VerifyOptions& options, absl::Time now) {

  // RFC 8725 §3.1: the algorithm is checked against what the caller allows,
  // never chosen by the token. Only RS256/ES256 exist in our code.
  std::optional<Algorithm> alg = AlgorithmFromName(d.alg);
  if (!alg) {
    return absl::UnauthenticatedError(
        absl::StrCat("jwt: unsupported alg ", QuoteForMessage(d.alg)));
  }
  bool allowed = false;
  for (Algorithm a : options.allowed_algorithms) allowed = allowed || a == *alg;
  if (!allowed) {
    return absl::UnauthenticatedError(
        absl::StrCat("jwt: alg ", QuoteForMessage(d.alg), " not allowed"));
  }
  // RFC 7515 §4.1.11: we understand no extension, so any "crit" must fail.
  if (d.header.Find("crit") != nullptr) {
    return absl::UnauthenticatedError("jwt: unsupported critical header");
  }
  if (d.header.Find("kid") == nullptr) {
    return absl::InvalidArgumentError("jwt: header: missing required field \"kid\"");
  }

  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<const Jwk> key, keys.FindKey(d.kid));
  const bool fits = (*alg == Algorithm::kRs256 && key->type == KeyType::kRsa) ||
                    (*alg == Algorithm::kEs256 && key->type == KeyType::kEcP256);
  if (!fits || (!key->alg.empty() && key->alg != d.alg)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "jwt: alg ", QuoteForMessage(d.alg), " does not fit key ", QuoteForMessage(d.kid), " (",
        KeyTypeName(key->type), key->alg.empty() ? "" : absl::StrCat(", alg ", key->alg), ")"));
  }
  if (!VerifySignature(*alg, *key, d.signing_input, d.signature)) {
    return absl::UnauthenticatedError("jwt: bad signature");
  }

  // RFC 7519 §4.1.4-4.1.6, with skew in the token's favour.
  VerifiedJwt jwt = internal::TokenAccess::Make<VerifiedJwt>(std::move(d));
  ENLIST_ASSIGN_OR_RETURN(std::optional<absl::Time> exp, jwt.TimeClaim("exp"));
  ENLIST_ASSIGN_OR_RETURN(std::optional<absl::Time> nbf, jwt.TimeClaim("nbf"));
  ENLIST_ASSIGN_OR_RETURN(std::optional<absl::Time> iat, jwt.TimeClaim("iat"));
  if (!exp && options.require_exp) return absl::UnauthenticatedError("jwt: token has no exp");
  if (exp && now >= *exp + options.clock_skew) {
    return absl::UnauthenticatedError(absl::StrCat("jwt: token expired: exp ", Rfc3339(*exp),
                                                   ", now ", Rfc3339(now)));
  }
  if (nbf && now + options.clock_skew < *nbf) {
    return absl::UnauthenticatedError(absl::StrCat(
        "jwt: token not yet valid: nbf ", Rfc3339(*nbf), ", now ", Rfc3339(now)));
  }
  if (iat && now + options.clock_skew < *iat) {
    return absl::UnauthenticatedError(absl::StrCat(
        "jwt: token issued in the future: iat ", Rfc3339(*iat), ", now ", Rfc3339(now)));
  }
  return jwt;
}

}  // namespace

absl::StatusOr<VerifiedJwt> Verify(absl::string_view token, KeyResolver& keys,
                                   const VerifyOptions& options, absl::Time now) {
  if (options.allowed_algorithms.empty()) {
    return absl::InvalidArgumentError("jwt: no allowed algorithms configured");
  }
  ENLIST_ASSIGN_OR_RETURN(Decoded d, DecodeToken(token, options.limits));
  return VerifyDecoded(std::move(d), keys, options, now);
}

absl::StatusOr<VerifiedJwt> Verify(UnverifiedJwt token, KeyResolver& keys,
                                   const VerifyOptions& options, absl::Time now) {
  if (options.allowed_algorithms.empty()) {
    return absl::InvalidArgumentError("jwt: no allowed algorithms configured");
  }
  return VerifyDecoded(internal::TokenAccess::Take(std::move(token)), keys, options, now);
}

}  // namespace enlist::jwt
