#include "methods/azure/auth/signer_chain.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/crypto/cert_name.h"

namespace enlist::azure {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

}  // namespace

SignerChainVerifier::SignerChainVerifier(std::shared_ptr<const crypto::TrustStore> roots,
                                         std::vector<std::string> metadata_domains,
                                         IntermediateFetcher* fetcher,
                                         crypto::ChainOptions chain_options,
                                         crypto::ChainCache::Options cache_options)
    : roots_(std::move(roots)),
      domains_(std::move(metadata_domains)),
      fetcher_(fetcher),
      chain_options_(chain_options),
      cache_(cache_options) {}

absl::StatusOr<crypto::VerifiedChain> SignerChainVerifier::Verify(
    const X509& signer, absl::string_view intermediates_der, absl::Time now) {
  absl::Status name = crypto::CheckCertificateName(signer, domains_);
  if (!name.ok()) return Prefixed("signer certificate: ", name);
  absl::StatusOr<crypto::Sha256Digest> fp = crypto::CertificateFingerprint(signer);
  if (!fp.ok()) return Prefixed("signer certificate: ", fp.status());
  if (std::optional<crypto::VerifiedChain> hit = cache_.Lookup(*fp, *roots_, now)) {
    return *std::move(hit);
  }
  if (intermediates_der.size() > kMaxIntermediatesSize) {
    return absl::InvalidArgumentError(absl::StrCat("intermediates: ", intermediates_der.size(),
                                                   " bytes, over the limit of ",
                                                   kMaxIntermediatesSize));
  }
  absl::StatusOr<std::vector<crypto::X509Ptr>> intermediates =
      crypto::ParseCertificatesDer(intermediates_der, kMaxIntermediates);
  if (!intermediates.ok()) return Prefixed("intermediates: ", intermediates.status());
  absl::StatusOr<crypto::VerifiedChain> chain =
      crypto::VerifyChain(signer, *intermediates, *roots_, now, chain_options_);
  if (!chain.ok() && fetcher_ != nullptr && absl::IsUnauthenticated(chain.status())) {
    // Old agents send no intermediates: follow the signer's AIA ourselves.
    absl::StatusOr<std::vector<crypto::X509Ptr>> fetched = fetcher_->Walk(signer);
    if (!fetched.ok()) {
      // Without intermediates from the agent the fetch was the only way to
      // a chain: its failure is a dependency problem. Otherwise the agent's
      // intermediates did not chain, which is the failed proof.
      absl::StatusCode code = intermediates->empty() ? absl::StatusCode::kUnavailable
                                                     : absl::StatusCode::kUnauthenticated;
      return absl::Status(code, absl::StrCat("signer certificate: ", chain.status().message(),
                                             "; getting intermediate CA: ",
                                             fetched.status().message()));
    }
    if (!fetched->empty()) {
      for (crypto::X509Ptr& c : *fetched) intermediates->push_back(std::move(c));
      chain = crypto::VerifyChain(signer, *intermediates, *roots_, now, chain_options_);
    }
  }
  if (!chain.ok()) return Prefixed("signer certificate: ", chain.status());
  cache_.Insert(*fp, *roots_, now, *chain);
  return chain;
}

}  // namespace enlist::azure
