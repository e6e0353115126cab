#include "auth/storage/token_cache.h"

#include <utility>

#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "core/util/status_macros.h"

namespace enlist::storage {

CachedTokenStore::CachedTokenStore(BackendTokenStore* inner) : inner_(inner) {}

CachedTokenStore::~CachedTokenStore() {
  // No callback may run into a half-destroyed cache.
  watch_.reset();
}

absl::Status CachedTokenStore::Start(const WatchFactory& watches) {
  ENLIST_ASSIGN_OR_RETURN(watch_, watches(kTokensPrefix, [this](const WatchEvent& e) { OnEvent(e); }));
  return absl::OkStatus();
}

bool CachedTokenStore::WaitUntilWatching(absl::Duration timeout) const {
  return watch_ != nullptr && watch_->WaitUntilWatching(timeout);
}

bool CachedTokenStore::watching() const { return watch_ != nullptr && watch_->watching(); }

bool CachedTokenStore::Cached(absl::string_view name) const {
  absl::MutexLock l(&mu_);
  return tokens_.find(name) != tokens_.end();
}

TokenCacheStats CachedTokenStore::stats() const {
  TokenCacheStats s;
  s.hits = hits_.load();
  s.misses = misses_.load();
  s.fallbacks = fallbacks_.load();
  s.resets = resets_.load();
  return s;
}

void CachedTokenStore::OnEvent(const WatchEvent& e) {
  if (e.type == WatchEvent::Type::kReset) {
    absl::MutexLock l(&mu_);
    tokens_.clear();
    ++resets_;
    return;
  }
  absl::string_view name = e.item.key;
  if (!absl::ConsumePrefix(&name, kTokensPrefix)) return;
  if (e.type == WatchEvent::Type::kDelete) {
    absl::MutexLock l(&mu_);
    auto it = tokens_.find(name);
    if (it != tokens_.end()) tokens_.erase(it);
    return;
  }
  // Parsed outside the lock: readers are not held up by YAML.
  absl::StatusOr<token::StoredToken> decoded = inner_->DecodeItem(e.item);
  absl::MutexLock l(&mu_);
  tokens_.insert_or_assign(std::string(name), std::move(decoded));
}

absl::StatusOr<token::StoredToken> CachedTokenStore::GetToken(absl::string_view name) const {
  if (!watching()) {
    ++fallbacks_;
    return inner_->GetToken(name);
  }
  {
    absl::MutexLock l(&mu_);
    auto it = tokens_.find(name);
    if (it != tokens_.end()) {
      ++hits_;
      return it->second;
    }
  }
  ++misses_;
  return inner_->GetToken(name);
}

absl::Status CachedTokenStore::PutToken(const token::TokenResource& token, bool overwrite) {
  return inner_->PutToken(token, overwrite);
}

absl::Status CachedTokenStore::DeleteTokenIfRevision(absl::string_view name, int64_t revision) {
  return inner_->DeleteTokenIfRevision(name, revision);
}

absl::Status CachedTokenStore::DeleteToken(absl::string_view name) {
  return inner_->DeleteToken(name);
}

absl::StatusOr<std::vector<token::StoredToken>> CachedTokenStore::ListTokens() const {
  return inner_->ListTokens();
}

}  // namespace enlist::storage
