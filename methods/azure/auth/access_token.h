// Step 6 of the Azure check: the managed identity's access token. RS256
// only; the key is looked up by kid in the token tenant's key set (OIDC
// discovery at "<sts_url>/<tid>/.well-known/openid-configuration", cached by
// the OidcKeyProvider); "iss" must be the tenant's v1 issuer
// "<sts_url>/<tid>/" or v2 issuer "<login_url>/<tid>/v2.0"; "aud" one of the
// ARM audiences (with or without a trailing '/'); exp/nbf/iat within skew.
#ifndef ENLIST_METHODS_AZURE_AUTH_ACCESS_TOKEN_H_
#define ENLIST_METHODS_AZURE_AUTH_ACCESS_TOKEN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jwt/oidc.h"

namespace enlist::azure {

// Largest accepted access token (Entra tokens are 1.5-3 KiB).
inline constexpr size_t kMaxAccessTokenSize = 16 * 1024;

// What the verifier checks against.
struct AccessTokenOptions {
  std::string sts_url;    // without trailing '/'
  std::string login_url;  // without trailing '/'
  std::vector<std::string> audiences;
  absl::Duration clock_skew = absl::Minutes(2);
};

// The verified claims the join uses.
struct AccessTokenClaims {
  std::string tenant;      // "tid", lowercase
  std::string xms_mirid;   // "" when absent
  std::string xms_az_rid;  // "" when absent
  std::string object_id;   // "oid", "" when absent
  bool v2 = false;         // issued by the v2 endpoint
};

// Thread-safe. Does not own `keys`.
class AccessTokenVerifier {
 public:
  AccessTokenVerifier(jwt::OidcKeyProvider* keys, AccessTokenOptions options);

  // Verifies `token` at `now`. kInvalidArgument "access token: ..." when
  // malformed (size, encoding, tid missing or not a UUID);
  // kUnauthenticated "access token: ..." when the alg is not RS256, the kid
  // is unknown, the signature, issuer, audience or times are wrong;
  // kUnavailable when the tenant's keys cannot be fetched.
  absl::StatusOr<AccessTokenClaims> Verify(absl::string_view token, absl::Time now) const;

 private:
  jwt::OidcKeyProvider* const keys_;
  const AccessTokenOptions options_;
  std::vector<std::string> audiences_;  // normalised without trailing '/'
};

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_ACCESS_TOKEN_H_
