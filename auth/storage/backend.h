// The auth server's key-value storage contract. Typed stores (tokens, hosts,
// audit events) are written only against this interface so that one server
// can keep its state in a local SQLite file and a cluster of servers in etcd
// v3 without either store knowing which.
//
// The model is etcd's:
//   - Keys are byte strings, by convention '/'-separated paths
//     (`/tokens/<name>`, `/hosts/<id>`, `/events/<time-ordered id>`,
//     `/ca/tls`). Values are opaque bytes.
//   - One revision counter for the whole backend. Every successful write
//     transaction (Put, Create, CompareAndSwap, Delete, CompareAndDelete, a
//     DeleteRange or PurgeExpired that removed something) advances it by one
//     and stamps the items it wrote with it. Revisions strictly increase and
//     are never reused, also across restarts of a persistent backend. An
//     item's `revision` is etcd's mod_revision, `create_revision` is etcd's
//     create_revision.
//   - Optional per-item expiry (etcd: a lease). An item whose expiry is at or
//     before the backend clock's Now() is invisible to every read and is
//     treated as absent by every write; implementations purge such items
//     lazily during writes and on PurgeExpired().
//   - Ranges are sorted bytewise by key (memcmp order) with a limit and a
//     `more` flag for paging, ascending or descending.
//
// A watch (etcd Watch from a revision) is not part of this interface yet; the
// revision model above is what one will be built on.
#ifndef ENLIST_AUTH_STORAGE_BACKEND_H_
#define ENLIST_AUTH_STORAGE_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::storage {

// Longest key a backend accepts, in bytes.
inline constexpr size_t kMaxKeySize = 1024;
// Longest value a backend accepts, in bytes (etcd's default request limit is
// 1.5 MiB, so 1 MiB values fit with room for the envelope).
inline constexpr size_t kMaxValueSize = 1024 * 1024;

// One stored key-value pair.
struct Item {
  // Non-empty, starts with '/', at most kMaxKeySize bytes, no NUL byte.
  std::string key;
  // Opaque bytes, at most kMaxValueSize.
  std::string value;
  // Set by the backend on reads (the revision of the last write to this key);
  // ignored on writes.
  int64_t revision = 0;
  // Set by the backend on reads (the revision at which the key was created,
  // reset when it is deleted or expires and is created again); ignored on
  // writes.
  int64_t create_revision = 0;
  // When set, the item disappears at this time (backend clock). On writes it
  // must be after the backend clock's Now().
  std::optional<absl::Time> expires;
};

// A set of keys: [start, end) in bytewise order. An empty `end` means "no
// upper bound". Build one with Prefix() or Between().
struct KeyRange {
  std::string start;
  std::string end;

  // Every key that starts with `prefix` (e.g. "/tokens/"). Note that a prefix
  // without a trailing '/' also matches siblings ("/tokens" matches
  // "/tokensx"); typed stores always pass the trailing '/'.
  static KeyRange Prefix(absl::string_view prefix);
  // Keys k with start <= k < end.
  static KeyRange Between(absl::string_view start, absl::string_view end);
  // True when `key` lies in the range.
  bool Contains(absl::string_view key) const;
};

// How Range reads.
struct RangeOptions {
  // Most items returned; 0 means no limit.
  size_t limit = 0;
  // Newest key first (descending bytewise order) instead of ascending.
  bool descending = false;
  // Return keys and revisions only; `value` is left empty.
  bool keys_only = false;
};

// One page of a Range.
struct RangeResult {
  // Visible items in the requested order.
  std::vector<Item> items;
  // True when the range holds further visible items beyond `limit`. To read
  // the next page ascending, use start = NextKey(items.back().key); descending,
  // use end = items.back().key.
  bool more = false;
  // The backend revision the page was read at.
  int64_t revision = 0;
};

// The smallest key greater than every key that starts with `prefix` (etcd's
// range end for a prefix): the prefix with its last byte below 0xff
// incremented and what follows dropped. Empty (meaning "no upper bound") when
// `prefix` is empty or all 0xff.
std::string PrefixEnd(absl::string_view prefix);

// The smallest key greater than `key` (`key` followed by a NUL byte), for
// paging ascending ranges.
std::string NextKey(absl::string_view key);

// A key-value store with a global revision counter. All implementations are
// thread-safe: any method may be called from any thread at any time, and
// every write method is atomic (all of it happens at one revision or none of
// it happens).
//
// Error codes, for every method:
//   kInvalidArgument    a key, range, value or expiry breaks the rules above
//                       ("key is 1025 bytes (limit 1024)", "key must start
//                       with '/'", "expiry ... is not in the future", ...).
//   kNotFound           Get / Delete / CompareAndSwap / CompareAndDelete of a
//                       key that is absent or expired.
//   kAlreadyExists      Create of a key that is present.
//   kAborted            CompareAndSwap / CompareAndDelete found the key at a
//                       different revision; the message names both revisions.
//   kUnavailable        the storage failed (I/O error, lock timeout, lost
//                       connection); nothing was written — except when the
//                       message says "written but not known to be durable":
//                       the write is committed and visible, its flush failed.
//   kFailedPrecondition the storage cannot be written as configured (e.g. a
//                       read-only file); nothing was written.
//   kDataLoss           the stored data is corrupt.
// Messages start with "storage: <backend name>: <operation> <key>: ".
//
// Durability: a write that returns OK is durable (survives a crash of the
// machine) when it returns, except on a thread inside a DeferredDurability
// scope, where a backend may return once the write is visible to every
// reader of this Backend object but before it is on stable storage (SQLite:
// before it is even committed, so other processes see it, and a crash of
// this process keeps it, only once it is); Sync then says when it is
// durable, or that it was lost.
class Backend {
 public:
  virtual ~Backend() = default;

  // Short name used in messages: "memory", "sqlite", "etcd".
  virtual absl::string_view name() const = 0;

  // Returns the visible item at `key`; kNotFound if absent or expired.
  virtual absl::StatusOr<Item> Get(absl::string_view key) const = 0;

  // Writes `item` whether or not the key exists (keeping its create_revision
  // if it does). Returns the new revision.
  virtual absl::StatusOr<int64_t> Put(const Item& item) = 0;

  // Writes `item` only if the key is absent (or expired); kAlreadyExists
  // otherwise. Returns the new revision.
  virtual absl::StatusOr<int64_t> Create(const Item& item) = 0;

  // Replaces the item at `item.key` only if its revision is
  // `expected_revision`: kNotFound if absent or expired, kAborted if at
  // another revision, kInvalidArgument if `expected_revision` <= 0. Returns
  // the new revision.
  virtual absl::StatusOr<int64_t> CompareAndSwap(int64_t expected_revision,
                                                 const Item& item) = 0;

  // Deletes `key`; kNotFound if absent or expired. Returns the new revision.
  virtual absl::StatusOr<int64_t> Delete(absl::string_view key) = 0;

  // Deletes `key` only if its revision is `expected_revision`; kNotFound if
  // absent or expired, kAborted if at another revision, kInvalidArgument if
  // `expected_revision` <= 0. Returns the new revision.
  virtual absl::StatusOr<int64_t> CompareAndDelete(absl::string_view key,
                                                   int64_t expected_revision) = 0;

  // Deletes every visible key in `range` at one revision. Returns how many
  // were deleted (0 is success and does not advance the revision).
  virtual absl::StatusOr<int64_t> DeleteRange(const KeyRange& range) = 0;

  // Reads visible items in `range`, sorted by key, at most `options.limit`.
  virtual absl::StatusOr<RangeResult> Range(const KeyRange& range,
                                            const RangeOptions& options) const = 0;

  // Counts the visible items in `range`.
  virtual absl::StatusOr<int64_t> Count(const KeyRange& range) const = 0;

  // The current revision (0 for a backend never written).
  virtual absl::StatusOr<int64_t> CurrentRevision() const = 0;

  // Removes every expired item now (at one revision). Returns how many. Safe
  // to call periodically from a maintenance thread; never needed for
  // correctness.
  virtual absl::StatusOr<int64_t> PurgeExpired() = 0;

  // Calls `done` once every write that returned before this call is
  // durable: OK, or kUnavailable when the storage could not make it so (the
  // writes stay visible but may not survive a crash of the machine). Deferred
  // writes that were lost instead are reported at least to the next Sync of
  // each thread that made them, so call Sync on the thread that wrote (a
  // Sync may report a loss without its caller's writes being in it). `done`
  // may run on this thread before Sync returns or later on a thread of the
  // backend's. It must not wait for a flush of this backend (a write outside
  // a DeferredDurability scope, a blocking wait on another Sync) nor destroy
  // it, and it should be short (other callbacks wait behind it). The default, for backends
  // whose writes are durable when they return (etcd: a write returns once a
  // quorum has it) or that are not persistent (memory), calls `done` at once.
  virtual void Sync(std::function<void(absl::Status)> done) { done(absl::OkStatus()); }
};

// While an instance lives, writes made by this thread may return before
// they are durable (see Backend): for a caller that batches the wait, e.g.
// the join service, which sends a join's Result only from Backend::Sync's
// callback. Scopes nest; the previous setting is restored on destruction.
class DeferredDurability {
 public:
  DeferredDurability();
  ~DeferredDurability();
  DeferredDurability(const DeferredDurability&) = delete;
  DeferredDurability& operator=(const DeferredDurability&) = delete;

  // True on a thread inside a scope.
  static bool Active();

 private:
  bool previous_;
};

namespace internal {

// Checks `key` against the key rules; `op` and `backend` give the message
// context ("storage: sqlite: put /x: ...").
absl::Status ValidateKey(absl::string_view backend, absl::string_view op, absl::string_view key);
// Checks a whole item (key, value size, expiry against `now`).
absl::Status ValidateItem(absl::string_view backend, absl::string_view op, const Item& item,
                          absl::Time now);
// Checks a range (start must be a valid key-ish string, end empty or > start).
absl::Status ValidateRange(absl::string_view backend, absl::string_view op,
                           const KeyRange& range);
// Checks that a CAS revision is positive.
absl::Status ValidateExpectedRevision(absl::string_view backend, absl::string_view op,
                                      absl::string_view key, int64_t expected_revision);
// A key as it may appear in a message: escaped and at most 128 bytes.
std::string KeyForMessage(absl::string_view key);
// "storage: <backend>: <op> <key>: <what>".
std::string Context(absl::string_view backend, absl::string_view op, absl::string_view key);

}  // namespace internal

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_BACKEND_H_
