#include "core/token/token_store.h"

#include "absl/strings/str_cat.h"

namespace enlist::token {

absl::StatusOr<StoredToken> MemoryTokenStore::GetToken(absl::string_view name) const {
  absl::MutexLock l(&mu_);
  auto it = tokens_.find(name);
  if (it == tokens_.end()) return absl::NotFoundError(absl::StrCat("token \"", name, "\" not found"));
  return it->second;
}

absl::Status MemoryTokenStore::PutToken(const TokenResource& token, bool overwrite) {
  absl::MutexLock l(&mu_);
  auto it = tokens_.find(token.name);
  if (it != tokens_.end() && !overwrite) {
    return absl::AlreadyExistsError(
        absl::StrCat("token \"", token.name, "\" already exists (use --force to overwrite)"));
  }
  tokens_[token.name] = StoredToken{token, next_revision_++};
  return absl::OkStatus();
}

absl::Status MemoryTokenStore::DeleteTokenIfRevision(absl::string_view name, int64_t revision) {
  absl::MutexLock l(&mu_);
  auto it = tokens_.find(name);
  if (it == tokens_.end()) return absl::NotFoundError(absl::StrCat("token \"", name, "\" not found"));
  if (it->second.revision != revision) {
    return absl::AbortedError(absl::StrCat("token \"", name, "\" changed concurrently"));
  }
  tokens_.erase(it);
  return absl::OkStatus();
}

absl::Status MemoryTokenStore::DeleteToken(absl::string_view name) {
  absl::MutexLock l(&mu_);
  auto it = tokens_.find(name);
  if (it == tokens_.end()) return absl::NotFoundError(absl::StrCat("token \"", name, "\" not found"));
  tokens_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StoredToken>> MemoryTokenStore::ListTokens() const {
  absl::MutexLock l(&mu_);
  std::vector<StoredToken> out;
  for (const auto& kv : tokens_) out.push_back(kv.second);
  return out;
}

}  // namespace enlist::token
