// A Backend in one SQLite file in the auth server's data directory: the
// storage of a single auth server (a cluster of them uses etcd).
//
// On disk: `<data_dir>/<file_name>` (default `enlist.db`), created 0600, WAL
// journal (plus the `-wal` and `-shm` files SQLite keeps beside it, with the
// database file's permissions). Every write this backend acknowledged
// survives a crash or power loss: a COMMIT appends to the WAL
// (synchronous=NORMAL) and a sync thread flushes the WAL with one fdatasync
// for all the writes committed before it started; a write returns after
// that flush.
//
// Deferred writes (a thread in a DeferredDurability scope, whose caller then
// waits for Sync): such a write returns as soon as it is in the open write
// transaction, visible to every reader of this SqliteBackend, and the
// transaction stays open for later deferred writes. The sync thread commits
// it when a Sync asks (then flushes once for all of them) or at the latest
// after `deferred_commit_delay`; a write that is not deferred commits it at
// once. So a burst of joins costs one transaction, not two per join. Until
// that commit another process does not see the writes and a crash of this
// process loses them, which is why their callers answer only after Sync. A
// transaction rolled back after its writes returned (a failed COMMIT, or a
// write failing in a way that makes SQLite roll back everything, e.g. a full
// disk) fails, with kUnavailable, the next Sync of every thread whose
// deferred writes were in it (a Sync covers the calling thread's deferred
// writes since its previous Sync, and any transaction between them and the
// call, so it may also fail for another thread's loss; callers must call
// Sync on the thread that wrote); later transactions are unaffected, so a
// full disk that gets space again recovers. This process never hands out
// the lost revisions again. Readers of this SqliteBackend may have seen such
// writes before they were rolled back. The file is marked with an
// application id ("Enls") and a schema version (`PRAGMA user_version`);
// opening a file of another application or of a newer schema fails without
// touching it. Older schemas are migrated step by step inside one transaction.
//
// Concurrency: one connection per SqliteBackend, serialised by a mutex, so
// all methods are thread-safe. Writes are group-committed: writes that arrive
// while another write is committing queue up, and the next of their threads
// to find the connection free runs them all in one transaction (each inside
// its own savepoint, at its own revision, succeeding or failing on its own)
// with one COMMIT; concurrent writers then share one fdatasync. Several
// processes may open the same file: SQLite's file locks order their writes
// and `busy_timeout` bounds how long one waits for another, after which the
// call fails with kUnavailable. Writes run in BEGIN IMMEDIATE transactions;
// the global revision counter lives in the database, so revisions are
// shared by every process and survive reopening.
#ifndef ENLIST_AUTH_STORAGE_SQLITE_BACKEND_H_
#define ENLIST_AUTH_STORAGE_SQLITE_BACKEND_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/storage/backend.h"
#include "core/util/clock.h"

struct sqlite3;

namespace enlist::storage {

// Where and how SqliteBackend::Open opens its file.
struct SqliteOptions {
  // The auth server's data directory. Must exist (it is not created);
  // kFailedPrecondition otherwise.
  std::string data_dir;
  // The database file's name inside `data_dir`.
  std::string file_name = "enlist.db";
  // Decides expiry; not owned, must outlive the backend. Null: real clock.
  const Clock* clock = nullptr;
  // How long a call waits for another process holding the file's write lock
  // before failing with kUnavailable.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Longest a transaction holding deferred writes (see the file comment)
  // stays open when no Sync asks for it to be committed. Must be positive.
  absl::Duration deferred_commit_delay = absl::Milliseconds(10);
};

// A Backend stored in a SQLite database file. Thread-safe (see the file
// comment); Backend's error contract applies, with these specifics:
//   kUnavailable        SQLite I/O errors, a full disk, a lock held by another
//                       process longer than busy_timeout.
//   kFailedPrecondition the file or directory is not writable, or (Open) the
//                       data directory is missing, the file belongs to
//                       another application, or its schema is newer.
//   kDataLoss           the file is not a SQLite database or is corrupt.
class SqliteBackend final : public Backend {
 public:
  // The schema this program writes. Version history:
  //   1: tables `meta` (the revision counter) and `kv` (items).
  static constexpr int kSchemaVersion = 1;
  // `PRAGMA application_id` of an Enlist database: "Enls".
  static constexpr int32_t kApplicationId = 0x456e6c73;

  // Opens (creating if absent) the database described by `options`,
  // migrating an older schema. Errors as in the class comment, prefixed
  // "storage: sqlite: open <path>: ". On failure nothing in an existing file
  // has been changed.
  static absl::StatusOr<std::unique_ptr<SqliteBackend>> Open(const SqliteOptions& options);

  // Closes the database; in-flight calls must have returned.
  ~SqliteBackend() override;
  SqliteBackend(const SqliteBackend&) = delete;
  SqliteBackend& operator=(const SqliteBackend&) = delete;

  // The database file's path.
  const std::string& path() const { return path_; }

  // Group-commit figures, for tests and diagnostics (not exported as
  // metrics): write batches run (each in one transaction, possibly the open
  // one of deferred writes), and writes called but not yet returned (queued
  // or in the batch being run).
  int64_t write_transactions() const;
  size_t in_flight_writes() const;
  // Write transactions committed so far (deferred writes share one).
  int64_t commits() const;
  // WAL flushes (fdatasync) done so far.
  int64_t syncs() const;

  absl::string_view name() const override { return "sqlite"; }
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
  // `done` runs on the sync thread after the next fdatasync of the WAL.
  // Once one flush has failed, every later one reports that failure
  // (kUnavailable): the process must be restarted to write durably again.
  // kUnavailable too when a transaction holding deferred writes of this
  // thread (since its previous Sync) was rolled back (see the file comment).
  // kFailedPrecondition, called at once, while the backend is being closed.
  void Sync(std::function<void(absl::Status)> done) override;

 private:
  struct Statements;
  // What a write transaction's body did.
  enum class Wrote { kNothing, kSomething };
  // The body of a write transaction: gets the current time and the revision
  // the transaction writes at.
  using WriteBody = std::function<absl::StatusOr<Wrote>(absl::Time now, int64_t revision)>;

  // One queued write (Write's arguments and, once `done`, its result).
  struct PendingWrite;

  // Most writes one batch runs together.
  static constexpr size_t kMaxBatch = 128;

  SqliteBackend(std::string path, const Clock* clock, absl::Duration commit_delay, sqlite3* db,
                std::unique_ptr<Statements> statements, int wal_fd);

  // The sync thread: flushes the WAL whenever Sync callbacks wait, then
  // runs them; drains them and exits once stopping_.
  void SyncLoop();
  // Queues `done` for the next flush; with `report_losses`, it also fails
  // when a transaction holding this thread's deferred writes since its last
  // Sync was lost.
  void Enqueue(std::function<void(absl::Status)> done, bool report_losses);
  // The flush of a write that is not deferred, waited for (losses of this
  // thread's deferred writes are left for its Sync).
  absl::Status WaitDurable();

  // Runs `batch` in one BEGIN IMMEDIATE transaction (the open one, if
  // deferred writes left one), each write in its own savepoint, and commits
  // once, unless every write in it is deferred: then the transaction stays
  // open (txn_open_) for the sync thread to commit. Fills in every write's
  // result.
  void RunBatch(const std::vector<PendingWrite*>& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits the open transaction, if any. On failure rolls it back and
  // records the loss (LoseOpenLocked).
  void CommitOpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether a transaction holding deferred writes is open; notices (and
  // records as a loss) one that SQLite ended on its own after an error.
  bool TxnOpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The open transaction is gone with its deferred writes: clears
  // txn_open_ and records the loss in lost_.
  void LoseOpenLocked(absl::string_view cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The first loss of a transaction in [first, last]; OK if none or if
  // `first` is 0.
  absl::Status LossBetweenLocked(int64_t first, int64_t last) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one write of a batch inside the open transaction; `revision` is
  // the revision before it and is advanced when it changes anything.
  absl::StatusOr<int64_t> RunOne(const PendingWrite& w, int64_t& revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Runs `body` in a BEGIN IMMEDIATE transaction (possibly shared with
  // concurrent writes, see the file comment) after purging expired items;
  // returns the new revision when anything changed (the current one
  // otherwise) once committed and flushed, or, for a deferred write, once
  // in the open transaction; undoes the body's changes on error. `op` and
  // `key` give the message context. `purged`, if not null, receives how many
  // expired items the transaction removed.
  absl::StatusOr<int64_t> Write(absl::string_view op, absl::string_view key,
                                const WriteBody& body, int64_t* purged = nullptr);

  const std::string path_;
  const Clock* const clock_;
  const absl::Duration commit_delay_;
  // Numbers write transactions (one more at each BEGIN): the open one's, or
  // the last one's. Written under mu_, read by Sync without it.
  std::atomic<int64_t> txn_seq_{0};
  mutable absl::Mutex mu_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  const std::unique_ptr<Statements> stmts_ ABSL_GUARDED_BY(mu_);
  // A write transaction is open with deferred writes that returned but are
  // not committed yet.
  bool txn_open_ ABSL_GUARDED_BY(mu_) = false;
  // Transactions holding deferred writes that were rolled back after those
  // returned (a failed commit, a failing write or read that made SQLite roll
  // back), by txn_seq_, with why; the newest kMaxLostKept.
  std::map<int64_t, absl::Status> lost_ ABSL_GUARDED_BY(mu_);
  static constexpr size_t kMaxLostKept = 64;
  // The newest loss pruned from lost_ (0: none), and its status.
  int64_t forgotten_through_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status forgotten_ ABSL_GUARDED_BY(mu_);
  // The highest revision this connection handed out: a rolled-back
  // transaction's revisions are never handed out again.
  int64_t last_revision_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;

  // Group commit: writes waiting for a transaction, and whether a thread is
  // running one. Never held together with mu_.
  mutable absl::Mutex queue_mu_;
  std::deque<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;
  int64_t write_transactions_ ABSL_GUARDED_BY(queue_mu_) = 0;
  size_t in_flight_ ABSL_GUARDED_BY(queue_mu_) = 0;

  // Durability: the WAL file (our own descriptor) and the Sync callbacks
  // waiting for its next flush. Never held together with mu_ or queue_mu_.
  const int wal_fd_;
  mutable absl::Mutex sync_mu_;
  // A Sync callback and the transactions whose loss it reports: from the
  // oldest one holding its thread's deferred writes since that thread's
  // previous Sync (0: none) to the one open (or last) when it was called.
  struct SyncWaiter {
    std::function<void(absl::Status)> done;
    int64_t first_txn;
    int64_t last_txn;
  };
  std::vector<SyncWaiter> sync_waiting_ ABSL_GUARDED_BY(sync_mu_);
  // Per thread with deferred writes since its last Sync: the transaction of
  // the oldest of them.
  std::unordered_map<std::thread::id, int64_t> unsynced_ ABSL_GUARDED_BY(sync_mu_);
  bool stopping_ ABSL_GUARDED_BY(sync_mu_) = false;
  // A batch left the transaction open: commit it within commit_delay_.
  bool uncommitted_ ABSL_GUARDED_BY(sync_mu_) = false;
  // The first failed flush; once set, every later Sync reports it.
  absl::Status sync_error_ ABSL_GUARDED_BY(sync_mu_);
  int64_t syncs_ ABSL_GUARDED_BY(sync_mu_) = 0;
  std::thread syncer_;  // last: starts once everything above is set
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_SQLITE_BACKEND_H_
