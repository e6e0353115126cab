// Hashing, constant-time comparison and secure randomness: the small
// primitives every check uses. Built on the libcrypto API shared by OpenSSL 3
// and BoringSSL; thread-safe.
#ifndef ENLIST_CORE_CRYPTO_DIGEST_H_
#define ENLIST_CORE_CRYPTO_DIGEST_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist::crypto {

inline constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;

// Returns the SHA-256 of `data`.
Sha256Digest Sha256(absl::string_view data);

// Returns the lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Returns true when `a` and `b` are equal. The time taken depends only on the
// lengths, never on where the first difference lies: use it for secrets,
// nonces and MACs.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Returns `n` bytes from the CSPRNG, or kInternal if it fails (it does not on
// a healthy system; failing closed is the point).
absl::StatusOr<std::string> RandomBytes(size_t n);

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_DIGEST_H_
