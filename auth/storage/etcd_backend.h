// The storage Backend on an etcd v3 cluster, for several auth servers that
// share one state. Speaks etcd's gRPC API (proto/etcd) through EtcdClient.
//
// Mapping onto etcd:
//   - Every key is stored under `prefix` (default "/enlist"): Backend key
//     "/tokens/a" is etcd key "/enlist/tokens/a". Ranges never leave
//     "<prefix>/".
//   - Revisions are etcd's: an item's `revision` is its mod_revision, a
//     write returns the response header's revision, CurrentRevision() is a
//     Range header's revision. etcd starts at revision 1 without any write;
//     that revision is reported as 0 so a fresh cluster reads "never
//     written", as the Backend contract says.
//   - Create is a Txn with `create_revision(key) == 0`; CompareAndSwap and
//     CompareAndDelete are Txns with `mod_revision(key) == expected`, whose
//     failure branch reads the key to tell kNotFound from kAborted. Delete
//     reads the key's mod_revision and deletes with that guard. Guarded
//     writes are safe to repeat on another member after an ambiguous failure
//     (a deadline while the member's leader died): a repeat of an applied
//     attempt fails its guard instead of applying twice.
//   - Expiry uses leases bucketed by the second: every item expiring in the
//     same second (rounded up) shares one lease whose ID encodes that second
//     (kLeaseTag | unix seconds), granted with the remaining TTL measured by
//     the backend clock. Reads turn the lease ID back into `expires`. etcd
//     revokes a lease on its own clock (its leader's), within about half a
//     second of the TTL and never earlier than etcd's minimum TTL (a few
//     seconds); PurgeExpired() therefore has nothing to do and returns 0.
//   - Count is a count_only Range; Range pages use etcd's limit and `more`.
//
// Failures: kUnavailable when no member answers in time (after failover
// and bounded retries), or when a write's outcome is unknown: an attempt
// reached etcd without an answer and the repeat on the next member found the
// guard failed (that attempt may have applied, or another writer did) — the
// message says "outcome unknown", and the caller must re-read before
// retrying. Messages: "storage: etcd: <op> <key>: <endpoint>: <cause>".
#ifndef ENLIST_AUTH_STORAGE_ETCD_BACKEND_H_
#define ENLIST_AUTH_STORAGE_ETCD_BACKEND_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/storage/backend.h"
#include "auth/storage/etcd_client.h"
#include "auth/storage/etcd_watcher.h"
#include "core/util/clock.h"

namespace enlist::storage {

// High bits of the lease IDs this backend grants ("EN"), so its leases are
// recognisable among others on a shared etcd.
inline constexpr int64_t kLeaseTag = int64_t{0x454E} << 48;

struct EtcdOptions {
  EtcdClientOptions client;
  // Key prefix: empty, or starts with '/' and does not end with '/'.
  std::string prefix = "/enlist";
  // Clock for expiry checks and lease TTLs; null: the real clock. Not owned.
  const Clock* clock = nullptr;
  // Open() reads the current revision once, so a server that cannot reach
  // etcd fails at start rather than at its first join.
  bool check_on_open = true;
};

class EtcdBackend final : public Backend {
 public:
  // Connects (see EtcdOptions::check_on_open). kInvalidArgument for bad
  // options; kUnavailable when etcd cannot be reached.
  static absl::StatusOr<std::unique_ptr<EtcdBackend>> Open(EtcdOptions options);

  absl::string_view name() const override { return "etcd"; }
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
  // etcd revokes leases itself; always 0.
  absl::StatusOr<int64_t> PurgeExpired() override;

  // Calls `on_event` for every change to keys starting with `key_prefix`
  // (a Backend key such as "/tokens/") after `after_revision` (0: from
  // now; kWatchSnapshot: a snapshot first and after every reconnection, see
  // etcd_watcher.h), on the watcher's own thread, until the returned
  // watcher is destroyed. Keys in events are Backend keys.
  // kInvalidArgument for a bad prefix or revision.
  absl::StatusOr<std::unique_ptr<EtcdWatcher>> Watch(absl::string_view key_prefix,
                                                     int64_t after_revision,
                                                     EtcdWatcher::Callback on_event);

  // Snapshot watches (kWatchSnapshot) on this backend, for caches
  // (CachedTokenStore, ca::SharedCaMonitor). The backend outlives them.
  WatchFactory SnapshotWatchFactory();

  // "etcd:<endpoint>,...<prefix>" for status pages.
  std::string Describe() const;

 private:
  EtcdBackend(EtcdOptions options, std::unique_ptr<EtcdClient> client);

  std::string EtcdKey(absl::string_view key) const { return prefix_ + std::string(key); }
  // Backend item from an etcd KeyValue.
  Item FromKv(const mvccpb::KeyValue& kv) const;
  // etcd [key, range_end) for a Backend range.
  void EtcdRange(const KeyRange& range, std::string* key, std::string* end) const;
  // The lease for `expires` (granting it when needed); 0 without expiry.
  absl::StatusOr<int64_t> LeaseFor(absl::string_view op, const Item& item);
  // A Put request for `item` under `lease`.
  etcdserverpb::PutRequest PutRequestFor(const Item& item, int64_t lease) const;
  // Runs a write that may need a lease, re-granting once if etcd says the
  // lease vanished between grant and write.
  absl::StatusOr<int64_t> WriteWithLease(
      absl::string_view op, const Item& item,
      const std::function<absl::StatusOr<int64_t>(int64_t lease)>& write);
  absl::Status Failed(absl::string_view op, absl::string_view key, const absl::Status& s) const;
  // Deletes `key` if its mod_revision is `expected_revision` (a guarded Txn,
  // repeated on the next member after an ambiguous failure). kNotFound,
  // kAborted (revision moved on), kUnavailable ("outcome unknown" included).
  absl::StatusOr<int64_t> GuardedDelete(absl::string_view op, absl::string_view key,
                                        int64_t expected_revision);

  const EtcdOptions options_;
  const std::string prefix_;
  const Clock* clock_;
  std::unique_ptr<EtcdClient> client_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_BACKEND_H_
