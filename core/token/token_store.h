// Where the auth server finds tokens. The server reads a token with its
// revision when a join starts and deletes single-use tokens by
// compare-and-swap on that revision, so a token cannot be used twice.
#ifndef ENLIST_CORE_TOKEN_TOKEN_STORE_H_
#define ENLIST_CORE_TOKEN_TOKEN_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "core/token/token_resource.h"

namespace enlist::token {

// A token and the revision it was read at.
struct StoredToken {
  TokenResource token;
  int64_t revision = 0;
};

// Token storage. Implementations are thread-safe.
class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // kNotFound if there is no token called `name`.
  virtual absl::StatusOr<StoredToken> GetToken(absl::string_view name) const = 0;
  // Stores `token`. Without `overwrite`, kAlreadyExists if the name is taken.
  virtual absl::Status PutToken(const TokenResource& token, bool overwrite) = 0;
  // Deletes `name` only if it is still at `revision`; kAborted otherwise
  // (someone used or changed it first), kNotFound if it is gone.
  virtual absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) = 0;
  // Deletes `name`; kNotFound if absent.
  virtual absl::Status DeleteToken(absl::string_view name) = 0;
  // All tokens, sorted by name.
  virtual absl::StatusOr<std::vector<StoredToken>> ListTokens() const = 0;
};

// An in-process TokenStore, for embedding without persistence and for tests.
class MemoryTokenStore final : public TokenStore {
 public:
  absl::StatusOr<StoredToken> GetToken(absl::string_view name) const override;
  absl::Status PutToken(const TokenResource& token, bool overwrite) override;
  absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) override;
  absl::Status DeleteToken(absl::string_view name) override;
  absl::StatusOr<std::vector<StoredToken>> ListTokens() const override;

 private:
  mutable absl::Mutex mu_;
  int64_t next_revision_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, StoredToken, std::less<>> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::token

#endif  // ENLIST_CORE_TOKEN_TOKEN_STORE_H_
