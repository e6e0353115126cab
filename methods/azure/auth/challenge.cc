#include "methods/azure/auth/challenge.h"

#include "core/crypto/digest.h"
#include "core/encoding/base64.h"
#include "core/util/status_macros.h"

namespace enlist::azure {

absl::StatusOr<std::string> NewChallengeNonce() {
  ENLIST_ASSIGN_OR_RETURN(std::string bytes, crypto::RandomBytes(kChallengeBytes));
  return encoding::Base64UrlEncode(bytes);
}

}  // namespace enlist::azure
