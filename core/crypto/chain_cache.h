// A bounded, thread-safe cache of verified certificate chains, keyed by the
// leaf's SHA-256 fingerprint and the trust store's identity. Azure signer
// leaves rotate rarely, so most joins skip path building (and the AIA fetch
// an old agent would otherwise need).
//
// An entry is used for a verification time `at` only when `at` lies inside
// the chain's own validity window [valid_from, valid_until] and within
// `max_age` of the time it was verified at; otherwise it is a miss (and a
// stale entry is dropped). Failures are never cached. Eviction is LRU.
#ifndef ENLIST_CORE_CRYPTO_CHAIN_CACHE_H_
#define ENLIST_CORE_CRYPTO_CHAIN_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/crypto/chain.h"
#include "core/crypto/digest.h"
#include "core/crypto/ptr.h"
#include "core/crypto/trust_store.h"

namespace enlist::crypto {

class ChainCache {
 public:
  struct Options {
    // Most entries kept; the least recently used is evicted beyond it.
    size_t capacity = 1024;
    // Longest distance between the time a chain was verified at and a time
    // it may be reused for (bounds how long a revoked intermediate is
    // trusted from cache).
    absl::Duration max_age = absl::Hours(24);
  };

  ChainCache() : ChainCache(Options()) {}
  explicit ChainCache(const Options& options) : options_(options) {}
  ChainCache(const ChainCache&) = delete;
  ChainCache& operator=(const ChainCache&) = delete;

  // Returns the cached chain for the leaf with fingerprint `leaf_sha256`
  // under `trust`, usable at `at`, or nullopt. Counts a hit or a miss.
  std::optional<VerifiedChain> Lookup(const Sha256Digest& leaf_sha256, const TrustStore& trust,
                                      absl::Time at);

  // Stores `chain`, verified at `verified_at`, for the leaf and trust store.
  void Insert(const Sha256Digest& leaf_sha256, const TrustStore& trust, absl::Time verified_at,
              VerifiedChain chain);

  // Lookup, and on a miss VerifyChain + Insert. Same results and errors as
  // VerifyChain (chain.h).
  absl::StatusOr<VerifiedChain> Verify(const X509& leaf, const std::vector<X509Ptr>& intermediates,
                                       const TrustStore& trust, absl::Time at,
                                       const ChainOptions& options = ChainOptions());

  uint64_t hits() const;
  uint64_t misses() const;
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    absl::Time verified_at;
    VerifiedChain chain;
  };
  using List = std::list<Entry>;

  static std::string Key(const Sha256Digest& leaf_sha256, const TrustStore& trust);

  const Options options_;
  mutable absl::Mutex mu_;
  List lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  absl::flat_hash_map<std::string, List::iterator> index_ ABSL_GUARDED_BY(mu_);
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_CHAIN_CACHE_H_
