// Steps 2, 3 and 5 of the Azure check: the attested document's envelope,
// its PKCS#7 signature (by the signer named in the SignerInfo, Azure's
// digest-OID quirk accepted, with or without signed attributes), and its
// payload against the challenge and the time. The signer's chain (step 4)
// is signer_chain.h. Stateless and thread-safe.
#ifndef ENLIST_METHODS_AZURE_AUTH_ATTESTED_CHECK_H_
#define ENLIST_METHODS_AZURE_AUTH_ATTESTED_CHECK_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/pkcs7.h"
#include "methods/azure/common/attested_document.h"

namespace enlist::azure {

// Steps 2-3: parses envelope `attested_data` and verifies its SignedData.
// kInvalidArgument "attested data: ..." when malformed (envelope, base64,
// DER, unsupported feature); kUnauthenticated "attested data: pkcs7: ..."
// when the signature does not verify.
absl::StatusOr<crypto::VerifiedSignedData> VerifyAttestedSignature(
    absl::string_view attested_data);

// Step 5: parses the signed payload and checks it. kInvalidArgument for a
// malformed payload; kUnauthenticated "attested document: ..." when the
// nonce is not `challenge` (constant-time compare), the document expired
// (expiresOn + skew < now), or it was created in the future (createdOn -
// skew > now).
absl::StatusOr<AttestedPayload> CheckAttestedPayload(absl::string_view content,
                                                     absl::string_view challenge, absl::Time now,
                                                     absl::Duration skew);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_ATTESTED_CHECK_H_
