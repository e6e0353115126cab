// Provisioning tokens kept in a Backend under `/tokens/<name>`: the
// TokenStore the auth server uses when it runs with persistent storage.
#ifndef ENLIST_AUTH_STORAGE_TOKEN_STORE_H_
#define ENLIST_AUTH_STORAGE_TOKEN_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/storage/backend.h"
#include "core/join/registry.h"
#include "core/token/token_store.h"
#include "core/util/clock.h"

namespace enlist::storage {

// The key prefix of tokens.
inline constexpr char kTokensPrefix[] = "/tokens/";

// How a BackendTokenStore behaves.
struct TokenStoreOptions {
  // Decides whether a token being stored has already expired; not owned.
  // Null: the real clock. Use the backend's clock.
  const Clock* clock = nullptr;
  // A token with `expires` is removed by the backend this long after it
  // expires. Until then it stays readable, so the server can tell an agent
  // "token expired" (TokenResource::ExpiredAt) rather than "not found", and
  // `tokens ls` still shows it.
  absl::Duration expiry_grace = absl::Hours(1);
};

// A token::TokenStore over a Backend. Each token is stored as the canonical
// YAML document of token::TokenToYaml (secrets only hashed) and parsed back
// with token::ParseTokens through `methods` on every read; a token's revision
// is its backend item's revision, so DeleteTokenIfRevision is a backend
// compare-and-delete and a single-use token is consumed at most once, also
// across auth servers sharing one backend.
//
// Thread-safe (the backend is). Errors, besides the TokenStore contract
// (kNotFound "token \"x\" not found", kAlreadyExists, kAborted "token \"x\"
// changed concurrently"):
//   kInvalidArgument  PutToken of a token with an invalid name, an
//                     already-expired token, or one whose YAML exceeds the
//                     backend value cap.
//   kDataLoss         a stored document no longer parses (e.g. a join method
//                     is missing from `methods`) or names another token; the
//                     message names the key and the parser's reason.
//   other codes       the backend's (kUnavailable, ...), message prefixed
//                     "tokens: <op> \"<name>\": ".
// Names that cannot be token names read as kNotFound, so a client-supplied
// name can never reach outside `/tokens/`.
class BackendTokenStore final : public token::TokenStore {
 public:
  // `backend` and `methods` are not owned and must outlive the store.
  BackendTokenStore(Backend* backend, const join::AuthRegistry* methods,
                    TokenStoreOptions options = {});

  absl::StatusOr<token::StoredToken> GetToken(absl::string_view name) const override;
  absl::Status PutToken(const token::TokenResource& token, bool overwrite) override;
  absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) override;
  absl::Status DeleteToken(absl::string_view name) override;
  absl::StatusOr<std::vector<token::StoredToken>> ListTokens() const override;

  // Parses a stored `/tokens/<name>` item (e.g. one a watch delivered) as
  // GetToken would: kDataLoss when it does not parse or does not hold
  // exactly the token its key names.
  absl::StatusOr<token::StoredToken> DecodeItem(const Item& item) const { return Decode(item, ""); }

 private:
  // Parses the stored `item` back into a token named `name` (if not empty).
  absl::StatusOr<token::StoredToken> Decode(const Item& item, absl::string_view name) const;

  Backend* const backend_;
  const join::AuthRegistry* const methods_;
  const TokenStoreOptions options_;
  const Clock* const clock_;

  // GetToken's parsed tokens by key, reused while the stored item is the
  // same (same revision and bytes): every join reads its token, and parsing
  // the YAML was ~6% of the auth server's CPU per join. The backend is still
  // read on every call, so a deleted or replaced token is never served.
  struct Parsed {
    std::string value;
    token::StoredToken token;
  };
  static constexpr size_t kMaxParsed = 4096;
  mutable absl::Mutex parsed_mu_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const Parsed>> parsed_
      ABSL_GUARDED_BY(parsed_mu_);
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_TOKEN_STORE_H_
