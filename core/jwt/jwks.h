// JSON Web Keys (RFC 7517) for JWS verification: RSA (n, e) and EC P-256
// (x, y) public keys, parsed and validated once into EVP_PKEYs, and the
// KeyResolver interface the verifier looks keys up through.
//
// Built on the libcrypto API shared by OpenSSL 3 and BoringSSL.
#ifndef ENLIST_CORE_JWT_JWKS_H_
#define ENLIST_CORE_JWT_JWKS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/ptr.h"
#include "core/json/json.h"

namespace enlist::jwt {

// The key types we verify with.
enum class KeyType { kRsa, kEcP256 };

// Returns "RSA" or "EC P-256" (for messages).
absl::string_view KeyTypeName(KeyType type);

// RSA moduli below this many bits are rejected.
inline constexpr int kMinRsaBits = 2048;
// RSA moduli above this many bits are rejected (bounds verification cost).
inline constexpr int kMaxRsaBits = 8192;

// One validated public key. Immutable after parsing; the EVP_PKEY is only
// read by verification, so a Jwk may be used from many threads at once.
struct Jwk {
  // "kid" (may be empty if the set has a single key without one).
  std::string kid;
  KeyType type = KeyType::kRsa;
  // "alg" if present (e.g. "RS256"), else empty: the verifier then accepts
  // any allowed alg that fits the key type.
  std::string alg;
  // "use" if present ("sig"), else empty.
  std::string use;
  // Key size in bits (RSA modulus size, or 256).
  int bits = 0;
  // The public key (owned).
  crypto::EvpPkeyPtr key;
};

// Parses one JWK object. Fails with kInvalidArgument, message
// `jwks: key "<kid>": <reason>`, for: unknown or missing kty
// (`unsupported kty "oct"`), bad base64url in n/e/x/y, RSA modulus outside
// [2048, 8192] bits, even modulus, exponent even, below 3 or above 32
// bits, EC curve other than P-256,
// coordinates not 32 bytes, point not on the curve, private-key members
// present ("d"), and "use" other than "sig".
absl::StatusOr<Jwk> ParseJwk(const json::Value& key);

// Options for Jwks::Parse.
struct JwksParseOptions {
  // Documents above this size are rejected.
  size_t max_size = 256 * 1024;
  // When true, keys whose kty we do not implement (e.g. "OKP", "oct") or
  // whose use is "enc" are skipped instead of failing the whole set; keys of
  // a supported type that are malformed always fail. Default false (strict).
  bool skip_unsupported_keys = false;
};

// An immutable set of keys, parsed once and shared (typically through a
// std::shared_ptr<const Jwks>). Thread-safe for concurrent reads.
class Jwks {
 public:
  // Parses a JWK Set document (`{"keys":[...]}`, RFC 7517 §5). Fails with
  // kInvalidArgument `jwks: ...` on malformed JSON, a missing "keys" array,
  // any invalid key (see ParseJwk; the message names the key) or a duplicate
  // kid. An empty set is valid.
  static absl::StatusOr<Jwks> Parse(absl::string_view document,
                                    const JwksParseOptions& options = {});

  // Builds a set from already-parsed keys (for tests and emulators); fails
  // with kInvalidArgument on a duplicate kid.
  static absl::StatusOr<Jwks> FromKeys(std::vector<Jwk> keys);

  // Returns the key with `kid`, or nullptr. Valid while this set lives.
  const Jwk* Find(absl::string_view kid) const;

  const std::vector<Jwk>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }

 private:
  std::vector<Jwk> keys_;
};

// Where the JWT verifier gets a key for a kid. Implementations are
// thread-safe.
class KeyResolver {
 public:
  virtual ~KeyResolver() = default;

  // Returns the key for `kid` (shared ownership: it stays valid even if the
  // resolver replaces its set meanwhile). Fails with kUnauthenticated
  // `jwt: unknown kid "<kid>"` when no key has that id, or kUnavailable when
  // no keys could be obtained at all.
  virtual absl::StatusOr<std::shared_ptr<const Jwk>> FindKey(absl::string_view kid) = 0;
};

// A KeyResolver over one fixed set.
class StaticKeyResolver final : public KeyResolver {
 public:
  explicit StaticKeyResolver(std::shared_ptr<const Jwks> keys) : keys_(std::move(keys)) {}
  absl::StatusOr<std::shared_ptr<const Jwk>> FindKey(absl::string_view kid) override;

 private:
  std::shared_ptr<const Jwks> keys_;
};

// Returns the kUnauthenticated `jwt: unknown kid "<kid>"` status (the kid is
// quoted safely: at most 64 bytes, non-printable bytes escaped).
absl::Status UnknownKidError(absl::string_view kid);

// Quotes an untrusted short string (kid, alg) for a message: at most 64
// bytes, non-printable bytes as \xNN.
std::string QuoteForMessage(absl::string_view s);

}  // namespace enlist::jwt

#endif  // ENLIST_CORE_JWT_JWKS_H_
