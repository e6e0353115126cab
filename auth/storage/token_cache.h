// A TokenStore that answers joins from memory: a copy of `/tokens/` kept
// current by a snapshot watch (storage::Watch, etcd's Watch stream), so
// several auth servers on one etcd read tokens locally and still see each
// other's changes as soon as the watch delivers them.
#ifndef ENLIST_AUTH_STORAGE_TOKEN_CACHE_H_
#define ENLIST_AUTH_STORAGE_TOKEN_CACHE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/storage/token_store.h"
#include "auth/storage/watch.h"
#include "core/token/token_store.h"

namespace enlist::storage {

// Reads of GetToken, by how they were answered.
struct TokenCacheStats {
  int64_t hits = 0;       // from the cache (watch established, token cached)
  int64_t misses = 0;     // watch established, name not cached: read from storage
  int64_t fallbacks = 0;  // watch not established: read from storage
  int64_t resets = 0;     // snapshots applied (one per watch (re)connection)
};

// Wraps the BackendTokenStore of a shared backend.
//
// GetToken:
//   - while the watch is established (Watch::watching()), a cached token is
//     returned from memory: it is at most the watch's lag behind storage
//     (milliseconds; a connection that dies silently is noticed by gRPC
//     keepalive within about 15 s, and etcd ends watches on a member that
//     loses its leader). A token deleted or replaced on another server is
//     therefore never served longer than that.
//   - a name not cached is read from storage, so a token created on
//     another server works at once, before the watch reports it.
//   - while the watch is not established (starting, reconnecting, etcd
//     unreachable), every read goes to storage: a possibly stale cache is
//     never served; with etcd down that read fails (kUnavailable).
// Writes, deletes and ListTokens go to storage; the cache learns of them
// through the watch like of anyone else's. Single-use tokens stay safe: the
// consuming DeleteTokenIfRevision is a compare-and-delete in storage.
// A stored token that does not parse is cached as its kDataLoss error.
//
// Thread-safe. Destroying it stops the watch first.
class CachedTokenStore final : public token::TokenStore {
 public:
  // `inner` (not owned) reads and writes the shared backend; it outlives
  // the cache.
  explicit CachedTokenStore(BackendTokenStore* inner);
  ~CachedTokenStore() override;
  CachedTokenStore(const CachedTokenStore&) = delete;
  CachedTokenStore& operator=(const CachedTokenStore&) = delete;

  // Starts following `/tokens/` with a snapshot watch from `watches`. Until
  // the first snapshot arrives reads go to storage. Call once. The
  // factory's errors (kInvalidArgument).
  absl::Status Start(const WatchFactory& watches);
  // Waits until the watch is established (the cache answers); false after
  // `timeout`.
  bool WaitUntilWatching(absl::Duration timeout) const;
  // Whether reads are answered from the cache now.
  bool watching() const;
  // Whether `name` is cached (for tests and diagnostics).
  bool Cached(absl::string_view name) const;

  TokenCacheStats stats() const;

  absl::StatusOr<token::StoredToken> GetToken(absl::string_view name) const override;
  absl::Status PutToken(const token::TokenResource& token, bool overwrite) override;
  absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) override;
  absl::Status DeleteToken(absl::string_view name) override;
  absl::StatusOr<std::vector<token::StoredToken>> ListTokens() const override;

 private:
  void OnEvent(const WatchEvent& e);

  BackendTokenStore* const inner_;
  mutable absl::Mutex mu_;
  // Token name -> decoded token (or why it does not decode).
  std::map<std::string, absl::StatusOr<token::StoredToken>, std::less<>> tokens_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Watch> watch_;
  mutable std::atomic<int64_t> hits_{0}, misses_{0}, fallbacks_{0}, resets_{0};
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_TOKEN_CACHE_H_
