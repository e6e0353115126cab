#include "methods/azure/agent/azure_solver.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/crypto/pkcs7.h"
#include "core/util/status_macros.h"
#include "methods/azure/common/attested_document.h"
#include "proto/azure/v1/azure.pb.h"

namespace enlist::azure {
namespace {

using enlist::azure::v1::AzureChallenge;
using enlist::azure::v1::AzureSolution;

bool ValidNonce(const std::string& n) {
  if (n.empty() || n.size() > 32) return false;
  for (char c : n) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

absl::Status Prefixed(absl::string_view prefix, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

}  // namespace

AzureSolver::AzureSolver(ImdsClient* imds, IntermediateFetcher* fetcher,
                         AzureSolverOptions options, log::Logger* logger)
    : imds_(imds), fetcher_(fetcher), options_(std::move(options)), logger_(logger) {}

absl::StatusOr<google::protobuf::Any> AzureSolver::Solve(const google::protobuf::Any& payload,
                                                         absl::Time deadline) {
  AzureChallenge challenge;
  if (!payload.Is<AzureChallenge>() || !payload.UnpackTo(&challenge)) {
    return absl::InvalidArgumentError("azure: challenge is not an AzureChallenge");
  }
  if (!ValidNonce(challenge.nonce())) {
    return absl::InvalidArgumentError("azure: challenge nonce is not 1-32 base64url characters");
  }
  // IMDS may answer from its cache with a document for an earlier nonce;
  // the server would reject it, so ask again (bounded).
  std::string document;
  crypto::VerifiedSignedData signed_data;
  for (int attempt = 1;; ++attempt) {
    ENLIST_ASSIGN_OR_RETURN(document, imds_->AttestedDocument(challenge.nonce(), deadline));
    absl::StatusOr<std::string> der = ParseAttestedEnvelope(document);
    if (!der.ok()) return Prefixed("azure: imds: ", der.status());
    // The agent reads the nonce and the signer (for the AIA walk) but does
    // not judge the signature: the auth server verifies it and records any
    // tampering in its audit log, where operators look.
    absl::StatusOr<crypto::VerifiedSignedData> sd = crypto::ReadSignedDataUnverified(*der);
    if (!sd.ok()) return Prefixed("azure: imds: attested data: ", sd.status());
    absl::StatusOr<AttestedPayload> p = ParseAttestedPayload(sd->content);
    if (!p.ok()) return Prefixed("azure: imds: ", p.status());
    if (p->nonce == challenge.nonce()) {
      signed_data = *std::move(sd);
      break;
    }
    logger_->Warn("IMDS returned a cached attested document for another nonce",
                  {{"attempt", absl::StrCat(attempt)},
                   {"max_attempts", absl::StrCat(options_.max_document_attempts)}});
    if (attempt >= options_.max_document_attempts) {
      return absl::UnavailableError(absl::StrCat(
          "azure: imds: attested document carries another nonce (a cached document) after ",
          attempt, " attempts"));
    }
  }
  ENLIST_ASSIGN_OR_RETURN(std::string token,
                          imds_->AccessToken(options_.resource, options_.client_id, deadline));
  std::string intermediates;
  if (options_.fetch_intermediates && fetcher_ != nullptr) {
    absl::StatusOr<std::vector<crypto::X509Ptr>> certs = fetcher_->Walk(*signed_data.signer, deadline);
    if (!certs.ok()) {
      return Prefixed("getting intermediate CA for attested data: ", certs.status());
    }
    for (const crypto::X509Ptr& c : *certs) {
      ENLIST_ASSIGN_OR_RETURN(std::string der, crypto::CertificateDer(*c));
      intermediates += der;
    }
  }
  AzureSolution solution;
  solution.set_attested_data(std::move(document));
  solution.set_access_token(std::move(token));
  solution.set_intermediates(std::move(intermediates));
  google::protobuf::Any out;
  out.PackFrom(solution);
  return out;
}

}  // namespace enlist::azure
