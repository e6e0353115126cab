#include "core/token/gated_token_store.h"

#include <utility>

namespace enlist::token {

GatedTokenStore::GatedTokenStore(TokenStore* inner, std::function<absl::Status()> gate)
    : inner_(inner), gate_(std::move(gate)) {}

absl::StatusOr<StoredToken> GatedTokenStore::GetToken(absl::string_view name) const {
  absl::Status open = gate_();
  if (!open.ok()) return open;
  return inner_->GetToken(name);
}

absl::Status GatedTokenStore::PutToken(const TokenResource& token, bool overwrite) {
  return inner_->PutToken(token, overwrite);
}

absl::Status GatedTokenStore::DeleteTokenIfRevision(absl::string_view name, int64_t revision) {
  return inner_->DeleteTokenIfRevision(name, revision);
}

absl::Status GatedTokenStore::DeleteToken(absl::string_view name) {
  return inner_->DeleteToken(name);
}

absl::StatusOr<std::vector<StoredToken>> GatedTokenStore::ListTokens() const {
  return inner_->ListTokens();
}

}  // namespace enlist::token
