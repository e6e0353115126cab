// The IMDS attested document: the JSON envelope IMDS returns and the signed
// JSON payload inside its PKCS#7. Parsing only (strict JSON, size and depth
// caps); checking a payload against a challenge and a time is the checker's
// job, reading the nonce is the agent's. Thread-safe, pure functions.
//
// Envelope: {"encoding":"pkcs7","signature":"<base64 DER CMS SignedData>"}
// Payload:  {"licenseType":"","nonce":"...","plan":{...},"sku":"...",
//            "subscriptionId":"<uuid>","timeStamp":{"createdOn":"MM/DD/YY
//            HH:MM:SS -0000","expiresOn":"..."},"vmId":"<uuid>"}
#ifndef ENLIST_METHODS_AZURE_COMMON_ATTESTED_DOCUMENT_H_
#define ENLIST_METHODS_AZURE_COMMON_ATTESTED_DOCUMENT_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::azure {

// Largest accepted envelope (real ones are ~3 KiB of base64).
inline constexpr size_t kMaxAttestedDataSize = 32 * 1024;
// Largest accepted signed payload (real ones are ~300 bytes).
inline constexpr size_t kMaxAttestedPayloadSize = 8 * 1024;

// Returns the DER SignedData of envelope `body`. kInvalidArgument
// ("attested data: ...") when it is over the cap, not a JSON object, lacks
// or mistypes a member, has `encoding` other than "pkcs7", or the signature
// is not strict standard base64. Unknown members are ignored.
absl::StatusOr<std::string> ParseAttestedEnvelope(absl::string_view body);

// The signed payload's fields the join uses.
struct AttestedPayload {
  std::string nonce;
  std::string vm_id;
  // Empty for documents from IMDS api-versions before 2019-04-30.
  std::string subscription_id;
  std::string sku;
  absl::Time created_on;
  absl::Time expires_on;
};

// Parses the payload JSON. kInvalidArgument ("attested payload: ...") when
// it is over the cap, malformed, a required member (nonce, vmId,
// timeStamp.createdOn, timeStamp.expiresOn) is missing or mistyped, vmId or
// a present subscriptionId is not a UUID, or a date is malformed.
absl::StatusOr<AttestedPayload> ParseAttestedPayload(absl::string_view content);

// Parses IMDS's "MM/DD/YY HH:MM:SS -0000" (UTC, years 2000-2099) exactly;
// kInvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseAzureTime(absl::string_view text);

// Formats `t` (UTC) as "MM/DD/YY HH:MM:SS -0000".
std::string FormatAzureTime(absl::Time t);


}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_COMMON_ATTESTED_DOCUMENT_H_
