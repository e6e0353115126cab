// Step 1 of the Azure check: the challenge nonce.
#ifndef ENLIST_METHODS_AZURE_AUTH_CHALLENGE_H_
#define ENLIST_METHODS_AZURE_AUTH_CHALLENGE_H_

#include <string>

#include "absl/status/statusor.h"

namespace enlist::azure {

// Bytes of randomness in a challenge.
inline constexpr size_t kChallengeBytes = 24;
// Length of the encoded challenge: IMDS accepts nonces of at most 32 chars.
inline constexpr size_t kChallengeLength = 32;

// Returns 24 CSPRNG bytes as base64url without padding (32 characters).
// kInternal if the CSPRNG fails.
absl::StatusOr<std::string> NewChallengeNonce();

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_CHALLENGE_H_
