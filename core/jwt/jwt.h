// JWT (RFC 7519) in JWS compact serialization (RFC 7515 §7.1): parsing with
// the strict base64url and JSON of this project, signature verification
// (RS256 and ES256 only), and claims access with time checks.
//
// Nothing else is implemented on purpose: "none", HS256 (including the
// classic attack of HMAC-signing with the RSA public key), RS384, PS256,
// EdDSA... are all rejected as `jwt: unsupported alg "<alg>"`. The caller
// picks which of the two may pass with an allow-list.
//
// Messages never contain the token or any segment of it; they may contain
// the header's kid and alg (quoted, bounded) which are not secret.
#ifndef ENLIST_CORE_JWT_JWT_H_
#define ENLIST_CORE_JWT_JWT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/json/json.h"
#include "core/jwt/jwks.h"

namespace enlist::jwt {

// The signature algorithms we implement (RFC 7518 §3.1).
enum class Algorithm {
  kRs256,  // RSASSA-PKCS1-v1_5 with SHA-256
  kEs256,  // ECDSA P-256 with SHA-256, JOSE raw r||s signature
};

// Returns "RS256" / "ES256".
absl::string_view AlgorithmName(Algorithm alg);

// Limits applied before any decoding.
struct ParseLimits {
  // Tokens longer than this are rejected (Entra access tokens are ~1.5-3 KiB).
  size_t max_token_size = 16 * 1024;
  // JSON nesting cap for header and payload.
  int max_json_depth = 16;
};

// What Verify checks beyond the signature.
struct VerifyOptions {
  // Algorithms that may pass; must be non-empty. Azure access tokens: RS256.
  std::vector<Algorithm> allowed_algorithms;
  // Tolerance applied to exp, nbf and iat.
  absl::Duration clock_skew = absl::Minutes(2);
  // When true (default) a token without "exp" is rejected.
  bool require_exp = true;
  ParseLimits limits;
};

namespace internal {
struct TokenAccess;  // jwt.cc: builds the token types below
}  // namespace internal

// The decoded header and claims of a token. Claim getters fail with
// kInvalidArgument `jwt: claim "<name>": <reason>` (missing, wrong type).
class JwtContents {
 public:
  // The JOSE header (an object).
  const json::Value& header() const { return header_; }
  // The claims set (an object).
  const json::Value& claims() const { return claims_; }
  // The header's "alg" and "kid" ("" when absent).
  const std::string& alg() const { return alg_; }
  const std::string& kid() const { return kid_; }

  // A required / optional string claim.
  absl::StatusOr<std::string> StringClaim(absl::string_view name) const;
  absl::StatusOr<std::optional<std::string>> OptionalStringClaim(absl::string_view name) const;
  // A required integer claim.
  absl::StatusOr<int64_t> Int64Claim(absl::string_view name) const;
  // A NumericDate claim (RFC 7519 §2: seconds since the epoch, possibly
  // fractional); nullopt when absent.
  absl::StatusOr<std::optional<absl::Time>> TimeClaim(absl::string_view name) const;
  // A required object claim; the pointer is owned by this object.
  absl::StatusOr<const json::Value*> ObjectClaim(absl::string_view name) const;
  // "aud" (RFC 7519 §4.1.3): one string or an array of strings; required.
  absl::StatusOr<std::vector<std::string>> Audience() const;

 protected:
  JwtContents() = default;
  friend struct internal::TokenAccess;

  json::Value header_;
  json::Value claims_;
  std::string alg_;
  std::string kid_;
};

// A token whose signature and times have been checked by Verify().
class VerifiedJwt : public JwtContents {
 private:
  VerifiedJwt() = default;
  friend struct internal::TokenAccess;
};

// A token decoded WITHOUT verification: its claims are attacker-controlled.
// Only for routing (e.g. reading "tid" to pick the tenant's key set before
// calling Verify), diagnostics and fuzzing.
class UnverifiedJwt : public JwtContents {
 private:
  UnverifiedJwt() = default;
  friend struct internal::TokenAccess;
  // What Verify(UnverifiedJwt, ...) checks the signature over.
  std::string signing_input_;
  std::string signature_;
};

// Decodes a compact JWS: size cap, exactly three segments, strict
// base64url, header and payload strict JSON objects, header "alg" a string.
// Fails with kInvalidArgument (`jwt: malformed token: ...`,
// `jwt: header: ...`, `jwt: payload: ...`, `jwt: signature: ...`).
absl::StatusOr<UnverifiedJwt> DecodeUnverified(absl::string_view token,
                                               const ParseLimits& limits = {});

// Verifies `token` at time `now`: decodes it as DecodeUnverified does, checks
// the alg is implemented and allowed, looks the header's kid up in `keys`,
// checks the key fits the alg, verifies the signature, then exp/nbf/iat.
//
// Errors (in check order):
//   kInvalidArgument   malformed token (see DecodeUnverified), missing kid,
//                      empty allow-list
//   kUnauthenticated   `jwt: unsupported alg "none"`, `jwt: alg "ES256" not allowed`,
//                      `jwt: unsupported critical header`,
//                      `jwt: unknown kid "..."` (from the resolver),
//                      `jwt: alg "RS256" does not fit key "..." (EC P-256)`,
//                      `jwt: bad signature`, `jwt: token expired`,
//                      `jwt: token not yet valid`, `jwt: token issued in the future`,
//                      `jwt: token has no exp`
//   kUnavailable       the resolver could not obtain keys
// Thread-safe (as thread-safe as `keys`).
absl::StatusOr<VerifiedJwt> Verify(absl::string_view token, KeyResolver& keys,
                                   const VerifyOptions& options, absl::Time now);

// The same checks for a token DecodeUnverified already decoded (e.g. to read
// the tenant that picks `keys`), without decoding it a second time. The
// decoding limits are those DecodeUnverified was given; `options.limits` is
// not consulted. Errors as above, minus the malformed-token ones.
absl::StatusOr<VerifiedJwt> Verify(UnverifiedJwt token, KeyResolver& keys,
                                   const VerifyOptions& options, absl::Time now);

// Verifies one signature over `signing_input` with `key` and `alg`: true
// only if valid. ES256 signatures are the 64-byte JOSE r||s form. Exposed
// for tests and for the signer's self-check.
bool VerifySignature(Algorithm alg, const Jwk& key, absl::string_view signing_input,
                     absl::string_view signature);

}  // namespace enlist::jwt

#endif  // ENLIST_CORE_JWT_JWT_H_
