// The agent half of the `azure` join method: answers an AzureChallenge with
// the IMDS attested document for the challenge nonce, the managed
// identity's ARM access token, and the signer's intermediate CAs.
#ifndef ENLIST_METHODS_AZURE_AGENT_AZURE_SOLVER_H_
#define ENLIST_METHODS_AZURE_AGENT_AZURE_SOLVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/join/solver.h"
#include "core/log/logger.h"
#include "methods/azure/agent/imds_client.h"
#include "methods/azure/common/intermediate_fetcher.h"

namespace enlist::azure {

// What a solver does.
struct AzureSolverOptions {
  // The ARM resource to ask a token for (the cloud's).
  std::string resource = "https://management.azure.com/";
  // A user-assigned identity's client id ("" = system-assigned).
  std::string client_id;
  // How often the attested document is requested when IMDS answers with a
  // cached document carrying another nonce.
  int max_document_attempts = 3;
  // Walk the signer's AIA URLs for intermediates (off: send none, the
  // server may fetch them).
  bool fetch_intermediates = true;
};

// Solves one join at a time. Does not own the IMDS client, the fetcher or
// the logger; they outlive it.
class AzureSolver final : public join::Solver {
 public:
  AzureSolver(ImdsClient* imds, IntermediateFetcher* fetcher, AzureSolverOptions options,
              log::Logger* logger);

  // Errors: kInvalidArgument for a challenge that is not an AzureChallenge
  // or carries a nonce IMDS cannot take; the IMDS client's errors (prefixed
  // "azure: "); kUnavailable when IMDS keeps returning a cached document;
  // "getting intermediate CA for attested data: fetching intermediate
  // certificate: Get "<url>": <cause>" when the AIA walk fails.
  absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any& challenge,
                                              absl::Time deadline) override;

 private:
  ImdsClient* const imds_;
  IntermediateFetcher* const fetcher_;
  const AzureSolverOptions options_;
  log::Logger* const logger_;
};

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AGENT_AZURE_SOLVER_H_
