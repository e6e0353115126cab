// A TokenStore that refuses token reads for joins while a condition does
// not hold — e.g. while the cluster CA in storage is not the one this
// server issues from (ca::SharedCaMonitor). The join session reads the
// token before anything else, so a refused read refuses the join.
#ifndef ENLIST_AUTH_STORAGE_GATED_TOKEN_STORE_H_
#define ENLIST_AUTH_STORAGE_GATED_TOKEN_STORE_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/token/token_store.h"

namespace enlist::storage {

// GetToken first calls `gate`; when it fails, GetToken fails with the
// gate's status unchanged. Everything else (writes, deletes, listing: the
// admin's operations) goes straight to `inner`. Thread-safe if `inner` and
// `gate` are.
class GatedTokenStore final : public token::TokenStore {
 public:
  // `inner` is not owned and outlives the store.
  GatedTokenStore(token::TokenStore* inner, std::function<absl::Status()> gate)
      : inner_(inner), gate_(std::move(gate)) {}

  absl::StatusOr<token::StoredToken> GetToken(absl::string_view name) const override {
    absl::Status open = gate_();
    if (!open.ok()) return open;
    return inner_->GetToken(name);
  }
  absl::Status PutToken(const token::TokenResource& token, bool overwrite) override {
    return inner_->PutToken(token, overwrite);
  }
  absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) override {
    return inner_->DeleteTokenIfRevision(name, revision);
  }
  absl::Status DeleteToken(absl::string_view name) override { return inner_->DeleteToken(name); }
  absl::StatusOr<std::vector<token::StoredToken>> ListTokens() const override {
    return inner_->ListTokens();
  }

 private:
  token::TokenStore* const inner_;
  const std::function<absl::Status()> gate_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_GATED_TOKEN_STORE_H_
