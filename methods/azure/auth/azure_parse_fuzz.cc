// Fuzz target: arbitrary bytes through every parser of the azure method's
// own code that sees untrusted input: the attested envelope and payload,
// Azure dates, ARM resource ids, caIssuers URL rules. Must never crash,
// leak, or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "methods/azure/auth/resource_id.h"
#include "methods/azure/common/attested_document.h"
#include "methods/azure/common/ca_issuer_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  (void)enlist::azure::ParseAttestedEnvelope(in);
  (void)enlist::azure::ParseAttestedPayload(in);
  (void)enlist::azure::ParseAzureTime(in);
  (void)enlist::azure::ParseVmResourceId(in);
  (void)enlist::azure::IsAllowedCaIssuerUrl(in);
  (void)enlist::azure::IsAllowedCaIssuerUrl(in, {"http://127.0.0.1:1/certs/"});
  return 0;
}
