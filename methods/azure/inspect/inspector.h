// Offline diagnostics of an Azure join (`enlistctl azure inspect`), built
// from the checker's own code: each check below calls the function the auth
// server's AzureChecker calls for that step (never a copy of its logic),
// then AzureChecker::Check itself runs end to end for the resource binding
// and allow-rule steps, which exist only inside it. Nothing is fetched: the
// checker gets an OfflineHttpClient (JWKS from a file, everything else
// refused) and a ManualClock at the inspection time.
//
// Checks, in the checker's order (docs/azure.md):
//   2 envelope       ParseAttestedEnvelope (JSON, encoding pkcs7, caps)
//   3 signature      VerifyAttestedSignature (PKCS#7, Azure's quirks)
//   4 signer chain   SignerChainVerifier::Verify (metadata domain, chain to
//                    the roots with the given intermediates)
//   5 nonce          CheckAttestedPayload against --nonce, at createdOn so
//                    only the nonce decides; SKIP without --nonce
//   5 document time  CheckAttestedPayload at the inspection time with the
//                    document's own nonce (vmId, subscriptionId, expiry)
//   6 access token   AccessTokenVerifier::Verify with the --jwks keys
//   7 resource       AzureChecker::Check (xms_az_rid / xms_mirid, bound to
//                    the attested subscription)
//   8 allow rules    AzureChecker::Check with the --token-yaml rules
// A check whose input is missing, or that the checker would not reach
// because an earlier one it depends on failed, is SKIP with the reason.
#ifndef ENLIST_METHODS_AZURE_INSPECT_INSPECTOR_H_
#define ENLIST_METHODS_AZURE_INSPECT_INSPECTOR_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/util/clock.h"
#include "methods/azure/inspect/inspect_report.h"

namespace enlist::azure::inspect {

// The captured inputs, as bytes (the caller reads the files).
struct InspectOptions {
  // The IMDS attested-document response body
  // ({"encoding":"pkcs7","signature":...}); empty: none.
  std::string document;
  // The managed-identity access token (surrounding whitespace ignored);
  // empty: none.
  std::string access_token;
  // The intermediates as the agent sends them (concatenated DER) or as PEM;
  // empty: none (the checker would fetch them; inspect reports the URLs).
  std::string intermediates;
  // A PEM file of trusted roots; empty: the checker's defaults (the Azure
  // roots of /etc/ssl/certs, LoadAzureRoots).
  std::string roots_file;
  // The tenant's JWKS document; empty: the token's signature is not checked.
  std::string jwks;
  // The inspection time; nullopt: `clock`'s now.
  std::optional<absl::Time> at;
  // The challenge the document should carry; nullopt: not compared.
  std::optional<std::string> nonce;
  // Cloud preset: public, usgovernment, china or germany.
  std::string cloud = "public";
  // A token resource (the seed's token.yaml) for the allow-rule step; the
  // first `join_method: azure` token is used. Empty: none.
  std::string token_yaml;
  // Names `token_yaml` in errors.
  std::string token_yaml_source = "token.yaml";
  // Source of "now". Not owned; must outlive the call.
  const Clock* clock = &RealClock::Get();
};

// Runs every check and returns the report; a check's failure is a verdict
// in the report, not an error. Errors are for unusable inputs only:
// kInvalidArgument "inspect: ..." for an unknown cloud, unparsable PEM
// intermediates, or a token YAML that is invalid or holds no azure token;
// kNotFound / kInvalidArgument "inspect: roots: ..." when the roots cannot
// be loaded.
absl::StatusOr<InspectReport> Inspect(const InspectOptions& options);

}  // namespace enlist::azure::inspect

#endif  // ENLIST_METHODS_AZURE_INSPECT_INSPECTOR_H_
