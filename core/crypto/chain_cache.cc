#include "core/crypto/chain_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace enlist::crypto {

std::string ChainCache::Key(const Sha256Digest& leaf_sha256, const TrustStore& trust) {
  return absl::StrCat(
      trust.id(), ":",
      absl::string_view(reinterpret_cast<const char*>(leaf_sha256.data()), leaf_sha256.size()));
}

std::optional<VerifiedChain> ChainCache::Lookup(const Sha256Digest& leaf_sha256,
                                                const TrustStore& trust, absl::Time at) {
  const std::string key = Key(leaf_sha256, trust);
  absl::MutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  const Entry& e = *it->second;
  if (at < e.chain.valid_from || at > e.chain.valid_until ||
      absl::AbsDuration(at - e.verified_at) > options_.max_age) {
    // Outside the window the verification says nothing; drop the entry.
    lru_.erase(it->second);
    index_.erase(it);
    ++misses_;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++hits_;
  return it->second->chain;
}

void ChainCache::Insert(const Sha256Digest& leaf_sha256, const TrustStore& trust,
                        absl::Time verified_at, VerifiedChain chain) {
  if (options_.capacity == 0) return;
  std::string key = Key(leaf_sha256, trust);
  absl::MutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->verified_at = verified_at;
    it->second->chain = std::move(chain);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Entry{key, verified_at, std::move(chain)});
  index_.emplace(std::move(key), lru_.begin());
  while (lru_.size() > options_.capacity) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

absl::StatusOr<VerifiedChain> ChainCache::Verify(const X509& leaf,
                                                 const std::vector<X509Ptr>& intermediates,
                                                 const TrustStore& trust, absl::Time at,
                                                 const ChainOptions& options) {
  absl::StatusOr<Sha256Digest> fp = CertificateFingerprint(leaf);
  if (!fp.ok()) return fp.status();
  if (std::optional<VerifiedChain> hit = Lookup(*fp, trust, at)) return *std::move(hit);
  absl::StatusOr<VerifiedChain> chain = VerifyChain(leaf, intermediates, trust, at, options);
  if (!chain.ok()) return chain.status();
  Insert(*fp, trust, at, *chain);
  return chain;
}

uint64_t ChainCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

uint64_t ChainCache::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

size_t ChainCache::size() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

}  // namespace enlist::crypto
