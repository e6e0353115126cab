// An in-process Backend: a sorted map under a mutex. Same semantics as the
// persistent backends (revisions, expiry, caps, errors), nothing survives the
// object. For embedding the auth server without persistence and for tests.
#ifndef ENLIST_AUTH_STORAGE_MEMORY_BACKEND_H_
#define ENLIST_AUTH_STORAGE_MEMORY_BACKEND_H_

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <string>

#include "absl/synchronization/mutex.h"
#include "auth/storage/backend.h"
#include "core/util/clock.h"

namespace enlist::storage {

// A Backend held in memory. Thread-safe: one mutex serialises every call.
// Expired items are purged during writes and by PurgeExpired().
class MemoryBackend final : public Backend {
 public:
  // `clock` decides expiry; it is not owned and must outlive the backend.
  // Null means the real clock.
  explicit MemoryBackend(const Clock* clock = nullptr);

  absl::string_view name() const override { return "memory"; }
  absl::StatusOr<Item> Get(absl::string_view key) const override;
  absl::StatusOr<int64_t> Put(const Item& item) override;
  absl::StatusOr<int64_t> Create(const Item& item) override;
  absl::StatusOr<int64_t> CompareAndSwap(int64_t expected_revision, const Item& item) override;
  absl::StatusOr<int64_t> Delete(absl::string_view key) override;
  absl::StatusOr<int64_t> CompareAndDelete(absl::string_view key,
                                           int64_t expected_revision) override;
  absl::StatusOr<int64_t> DeleteRange(const KeyRange& range) override;
  absl::StatusOr<RangeResult> Range(const KeyRange& range,
                                    const RangeOptions& options) const override;
  absl::StatusOr<int64_t> Count(const KeyRange& range) const override;
  absl::StatusOr<int64_t> CurrentRevision() const override;
  absl::StatusOr<int64_t> PurgeExpired() override;

 private:
  using Map = std::map<std::string, Item, std::less<>>;

  // The visible item at `key`, or end().
  Map::const_iterator FindLive(absl::string_view key, absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Removes expired items; returns how many.
  int64_t PurgeLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `item` at a new revision (the caller checked the preconditions
  // and purged expired items).
  int64_t WriteLocked(const Item& item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Erases `it`, keeping the expiry index in step.
  void EraseLocked(Map::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  mutable absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  Map items_ ABSL_GUARDED_BY(mu_);
  // (expiry, key) of every item that has one, so purging costs only the
  // expired items.
  std::set<std::pair<absl::Time, std::string>> expiry_index_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_MEMORY_BACKEND_H_
