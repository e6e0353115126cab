// A TokenStore that refuses token reads while a condition does not hold —
// e.g. while the cluster CA in storage is not the one this server issues
// from (ca::SharedCaMonitor). The join session reads the token before
// anything else, so a refused read refuses the join; tests use it to make
// token reads fail with a chosen status.
#ifndef ENLIST_CORE_TOKEN_GATED_TOKEN_STORE_H_
#define ENLIST_CORE_TOKEN_GATED_TOKEN_STORE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/token/token_store.h"

namespace enlist::token {

// GetToken first calls `gate`; when the gate fails, GetToken fails with the
// gate's status unchanged and `inner` is not consulted. Everything else
// (writes, deletes, listing: the admin's operations) goes straight to
// `inner` without calling the gate. Thread-safe if `inner` and `gate` are.
class GatedTokenStore final : public TokenStore {
 public:
  // `inner` is not owned and outlives the store. `gate` returns OK while
  // reads are allowed.
  GatedTokenStore(TokenStore* inner, std::function<absl::Status()> gate);

  absl::StatusOr<StoredToken> GetToken(absl::string_view name) const override;
  absl::Status PutToken(const TokenResource& token, bool overwrite) override;
  absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) override;
  absl::Status DeleteToken(absl::string_view name) override;
  absl::StatusOr<std::vector<StoredToken>> ListTokens() const override;

 private:
  TokenStore* const inner_;
  const std::function<absl::Status()> gate_;
};

}  // namespace enlist::token

#endif  // ENLIST_CORE_TOKEN_GATED_TOKEN_STORE_H_
