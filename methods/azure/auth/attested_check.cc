#include "methods/azure/auth/attested_check.h"

#include "absl/strings/str_cat.h"
#include "core/crypto/digest.h"
#include "core/util/status_macros.h"

namespace enlist::azure {

absl::StatusOr<crypto::VerifiedSignedData> VerifyAttestedSignature(
    absl::string_view attested_data) {
  ENLIST_ASSIGN_OR_RETURN(std::string der, ParseAttestedEnvelope(attested_data));
  crypto::Pkcs7Options options;
  options.max_input_size = kMaxAttestedDataSize;
  options.max_certificates = 8;
  absl::StatusOr<crypto::VerifiedSignedData> sd = crypto::VerifySignedData(der, options);
  if (!sd.ok()) {
    return absl::Status(sd.status().code(), absl::StrCat("attested data: ", sd.status().message()));
  }
  return sd;
}

absl::StatusOr<AttestedPayload> CheckAttestedPayload(absl::string_view content,
                                                     absl::string_view challenge, absl::Time now,
                                                     absl::Duration skew) {
  ENLIST_ASSIGN_OR_RETURN(AttestedPayload p, ParseAttestedPayload(content));
  if (!crypto::ConstantTimeEquals(p.nonce, challenge)) {
    return absl::UnauthenticatedError(
        "attested document: nonce does not match the challenge (a cached or replayed document)");
  }
  if (p.expires_on + skew < now) {
    return absl::UnauthenticatedError(absl::StrCat(
        "attested document: expired at ", FormatAzureTime(p.expires_on)));
  }
  if (p.created_on - skew > now) {
    return absl::UnauthenticatedError(absl::StrCat(
        "attested document: created in the future (", FormatAzureTime(p.created_on), ")"));
  }
  return p;
}

}  // namespace enlist::azure
