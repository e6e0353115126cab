// Step 4 of the Azure check: the attested document's signer certificate
// must be named in the cloud's metadata domain and chain, through the
// intermediates the agent sent (or, for agents that sent none, those found
// through the signer's AIA URLs, fetched and cached server-side), to a
// trusted Azure root. Verified chains are cached by leaf fingerprint.
#ifndef ENLIST_METHODS_AZURE_AUTH_SIGNER_CHAIN_H_
#define ENLIST_METHODS_AZURE_AUTH_SIGNER_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/chain.h"
#include "core/crypto/chain_cache.h"
#include "core/crypto/trust_store.h"
#include "methods/azure/common/intermediate_fetcher.h"

namespace enlist::azure {

// Most intermediates accepted from an agent.
inline constexpr size_t kMaxIntermediates = 8;
// Largest accepted concatenation of intermediates.
inline constexpr size_t kMaxIntermediatesSize = 64 * 1024;

// Thread-safe. Does not own the fetcher (may be null: no server-side fetch).
class SignerChainVerifier {
 public:
  SignerChainVerifier(std::shared_ptr<const crypto::TrustStore> roots,
                      std::vector<std::string> metadata_domains,
                      IntermediateFetcher* fetcher, crypto::ChainOptions chain_options = {},
                      crypto::ChainCache::Options cache_options = {});

  // Checks `signer` at `now` with `intermediates_der` (concatenated DER).
  // kInvalidArgument "intermediates: ..." for malformed or too many
  // intermediates; kUnauthenticated "signer certificate: ..." for a name
  // outside the metadata domains or no valid chain; kUnavailable when the agent sent no
  // intermediates and the server-side fetch they needed failed.
  absl::StatusOr<crypto::VerifiedChain> Verify(const X509& signer,
                                               absl::string_view intermediates_der,
                                               absl::Time now);

  const crypto::TrustStore& roots() const { return *roots_; }
  const crypto::ChainCache& cache() const { return cache_; }

 private:
  const std::shared_ptr<const crypto::TrustStore> roots_;
  const std::vector<std::string> domains_;
  IntermediateFetcher* const fetcher_;
  const crypto::ChainOptions chain_options_;
  crypto::ChainCache cache_;
};

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_SIGNER_CHAIN_H_
