// Fuzz target: JWT decoding and verification on arbitrary bytes. Verify runs
// against an empty key set, so everything up to the kid lookup (size cap,
// segment split, strict base64url, strict JSON, alg allow-list, crit, kid)
// is exercised; nothing may crash and nothing may verify.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jwt/jwks.h"
#include "core/jwt/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace enlist::jwt;  // NOLINT: fuzz target
  absl::string_view token(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<UnverifiedJwt> unverified = DecodeUnverified(token);
  if (unverified.ok()) {
    (void)unverified->Audience();
    (void)unverified->TimeClaim("exp");
    (void)unverified->StringClaim("tid");
  }
  static StaticKeyResolver* const resolver =
      new StaticKeyResolver(std::make_shared<const Jwks>(*Jwks::FromKeys({})));
  VerifyOptions options;
  options.allowed_algorithms = {Algorithm::kRs256, Algorithm::kEs256};
  absl::StatusOr<VerifiedJwt> verified =
      Verify(token, *resolver, options, absl::FromUnixSeconds(1700000000));
  if (verified.ok()) std::abort();  // no keys: nothing can verify
  return 0;
}
