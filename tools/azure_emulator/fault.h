// Fault switches of the Azure emulator: what to break, for one VM's IMDS or
// for one shared endpoint (Entra ID, ARM, pkiops). Read from the world file
// (`faults:` of a VM, `endpoint_faults:`) or set at run time through the
// admin API (JSON). A fault with counts applies to the first N requests only,
// so tests can show that retries recover.
#ifndef ENLIST_TOOLS_AZURE_EMULATOR_FAULT_H_
#define ENLIST_TOOLS_AZURE_EMULATOR_FAULT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/config/yaml.h"
#include "core/json/json.h"

namespace enlist::azure_emulator {

// How an attested document is broken.
enum class DocumentFault {
  kNone,
  kWrongNonce,     // a cached document: signed, but for another nonce
  kExpired,        // timeStamp.expiresOn in the past
  kForeignSigner,  // signed by a certificate not named in metadata.azure.com
  kUntrustedRoot,  // metadata.azure.com signer from a root nobody trusts
  kTampered,       // content changed after signing
};

// "none", "wrong_nonce", "expired", "foreign_signer", "untrusted_root",
// "tampered"; kInvalidArgument naming the accepted values otherwise.
absl::StatusOr<DocumentFault> ParseDocumentFault(absl::string_view name);
absl::string_view DocumentFaultName(DocumentFault f);

// Every switch; the default value of each means "off".
struct Faults {
  absl::Duration latency = absl::ZeroDuration();  // before every answer
  int error_status = 0;   // answer with this HTTP status (4xx/5xx)
  int error_count = 0;    // ... for the first N requests (0: all)
  int throttle_count = 0;       // first N requests get 429
  int retry_after_seconds = 1;  // Retry-After of those 429s
  DocumentFault document = DocumentFault::kNone;  // VMs only
  int document_count = 0;  // first N documents broken (0: all)
  std::string token_for;   // VMs only: hand out this other VM's token

  // True when no switch is on.
  bool empty() const;
};

// Parses a `faults:` map of the world file. Keys: latency (duration),
// error_status, error_count, throttle_count, retry_after (seconds),
// document, document_count, token_for. Unknown keys and out-of-range values
// are kInvalidArgument with the file position.
absl::StatusOr<Faults> ParseFaults(const config::YamlNode& node);

// Parses the admin API's JSON object with the same keys (latency as
// "250ms"). kInvalidArgument "faults: ..." on bad input.
absl::StatusOr<Faults> FaultsFromJson(const json::Value& v);

// The JSON form of `f` (only switches that are on).
json::Value FaultsToJson(const Faults& f);

}  // namespace enlist::azure_emulator

#endif  // ENLIST_TOOLS_AZURE_EMULATOR_FAULT_H_
