// JWS compact signing (RS256, ES256) and key helpers: the inverse of
// jwt.h, for tests, fixtures and the Azure emulator. Production verification
// code never needs it. Built on the libcrypto API shared by OpenSSL 3 and
// BoringSSL; all functions are thread-safe.
#ifndef ENLIST_CORE_JWT_SIGNER_H_
#define ENLIST_CORE_JWT_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/ptr.h"
#include "core/json/json.h"
#include "core/jwt/jwt.h"

namespace enlist::jwt {

// Generates an RSA key of `bits` bits (e = 65537). kInternal on failure.
absl::StatusOr<crypto::EvpPkeyPtr> GenerateRsaKey(int bits = 2048);

// Generates a P-256 key. kInternal on failure.
absl::StatusOr<crypto::EvpPkeyPtr> GenerateEcP256Key();

// Returns the public JWK of `key` (RSA: kty,n,e; EC: kty,crv,x,y) with "kid"
// and "use":"sig" (and "alg" when `alg` is non-empty). kInvalidArgument for
// other key types.
absl::StatusOr<json::Value> PublicJwk(const EVP_PKEY* key, absl::string_view kid,
                                      absl::string_view alg = "");

// Signs `header_json` and `payload_json` (taken verbatim, so tests can craft
// odd JSON) with `alg` and `key`, returning
// base64url(header).base64url(payload).base64url(signature). ES256 produces
// the JOSE r||s form. kInvalidArgument if the key type does not fit `alg`.
absl::StatusOr<std::string> SignJws(absl::string_view header_json,
                                    absl::string_view payload_json, Algorithm alg,
                                    EVP_PKEY* key);

// Signs `claims` with a header {"alg":<alg>,"typ":"JWT","kid":<kid>}.
absl::StatusOr<std::string> SignJwt(const json::Value& claims, Algorithm alg, EVP_PKEY* key,
                                    absl::string_view kid);

}  // namespace enlist::jwt

#endif  // ENLIST_CORE_JWT_SIGNER_H_
