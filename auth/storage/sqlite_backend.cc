#include "auth/storage/sqlite_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

constexpr absl::string_view kName = "sqlite";

// Every key is shorter than this, so it stands for "no upper bound" and one
// prepared statement serves bounded and unbounded ranges.
const std::string& Infinity() {
  static const std::string* const kInfinity = new std::string(kMaxKeySize + 2, '\xff');
  return *kInfinity;
}

// One migration step: the SQL that takes schema version `to - 1` to `to`.
struct Migration {
  int to;
  const char* sql;
};

// Append a step here (never edit a shipped one) and bump kSchemaVersion.
constexpr Migration kMigrations[] = {
    {1,
     "CREATE TABLE meta ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  revision INTEGER NOT NULL);"
     "INSERT INTO meta (id, revision) VALUES (1, 0);"
     "CREATE TABLE kv ("
     "  key BLOB PRIMARY KEY NOT NULL,"
     "  value BLOB NOT NULL,"
     "  create_revision INTEGER NOT NULL,"
     "  mod_revision INTEGER NOT NULL,"
     "  expires_us INTEGER) WITHOUT ROWID;"
     "CREATE INDEX kv_expires ON kv (expires_us) WHERE expires_us IS NOT NULL;"},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == SqliteBackend::kSchemaVersion,
              "one migration step per schema version");

// Maps a SQLite result code to the house status codes.
absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_ERROR:
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_SCHEMA:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_INTERNAL:
      return absl::StatusCode::kInternal;
    default:  // BUSY, LOCKED, IOERR, FULL, CANTOPEN, NOMEM, PROTOCOL, ...
      return absl::StatusCode::kUnavailable;
  }
}

// A status for SQLite result `rc`, with `context` ("storage: sqlite: get /x: ")
// and SQLite's own message for `db` (or the generic one for `rc`).
absl::Status SqliteError(absl::string_view context, sqlite3* db, int rc) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc), absl::StrCat(context, msg));
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// One use of a prepared statement: binds, steps, and resets it when it goes
// out of scope so the statement holds no lock afterwards.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt, std::string context)
      : db_(db), stmt_(stmt), context_(std::move(context)) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  absl::Status Blob(int i, absl::string_view bytes) {
    // A null pointer would bind SQL NULL; an empty blob needs zeroblob.
    int rc = bytes.empty() ? sqlite3_bind_zeroblob(stmt_, i, 0)
                           : sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(),
                                                 SQLITE_STATIC);
    return Check(rc);
  }
  absl::Status Int(int i, int64_t v) { return Check(sqlite3_bind_int64(stmt_, i, v)); }
  absl::Status OptionalTime(int i, const std::optional<absl::Time>& t) {
    return Check(t.has_value() ? sqlite3_bind_int64(stmt_, i, absl::ToUnixMicros(*t))
                               : sqlite3_bind_null(stmt_, i));
  }

  // True when a row is available, false when done.
  absl::StatusOr<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(context_, db_, rc);
  }
  // Runs a statement that returns no rows.
  absl::Status Run() {
    ENLIST_ASSIGN_OR_RETURN(bool row, Step());
    (void)row;
    return absl::OkStatus();
  }

  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool ColumnNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string ColumnBlob(int i) const {
    const void* p = sqlite3_column_blob(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  std::optional<absl::Time> ColumnTime(int i) const {
    if (ColumnNull(i)) return std::nullopt;
    return absl::FromUnixMicros(ColumnInt(i));
  }

 private:
  absl::Status Check(int rc) {
    return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(context_, db_, rc);
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string context_;
};

// Runs `sql` (one or more statements, no results) on `db`.
absl::Status Exec(sqlite3* db, absl::string_view context, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(context, db, rc);
}

// Runs a query returning one integer.
absl::StatusOr<int64_t> QueryInt(sqlite3* db, absl::string_view context, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(context, db, rc);
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return SqliteError(context, db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
  return sqlite3_column_int64(stmt.get(), 0);
}

// Item columns as selected by the get and range statements.
constexpr char kItemColumns[] = "key, value, create_revision, mod_revision, expires_us";

Item ReadItem(const Query& q) {
  Item item;
  item.key = q.ColumnBlob(0);
  item.value = q.ColumnBlob(1);
  item.create_revision = q.ColumnInt(2);
  item.revision = q.ColumnInt(3);
  item.expires = q.ColumnTime(4);
  return item;
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

// Checks that `db` is empty or an Enlist database of a schema we can read,
// and returns its schema version. Reads only.
absl::StatusOr<int64_t> CheckIdentity(sqlite3* db, absl::string_view context) {
  ENLIST_ASSIGN_OR_RETURN(int64_t app_id, QueryInt(db, context, "PRAGMA application_id"));
  ENLIST_ASSIGN_OR_RETURN(int64_t version, QueryInt(db, context, "PRAGMA user_version"));
  ENLIST_ASSIGN_OR_RETURN(int64_t objects,
                          QueryInt(db, context, "SELECT count(*) FROM sqlite_master"));
  if (app_id != SqliteBackend::kApplicationId) {
    if (app_id != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%snot an enlist database (application id 0x%08x)", context,
          static_cast<uint32_t>(app_id)));
    }
    if (objects != 0 || version != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          context, "not an enlist database (a sqlite database of another application)"));
    }
  }
  if (version > SqliteBackend::kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, "schema version ", version,
                     " is newer than this program supports (", SqliteBackend::kSchemaVersion,
                     "); upgrade enlist"));
  }
  return version;
}

// Creates `path` 0600 if it does not exist, so that SQLite never creates it
// with the process umask.
absl::Status CreateFile(const std::string& path, absl::string_view context) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return absl::OkStatus();
  }
  const int err = errno;
  if (err == EEXIST) return absl::OkStatus();
  std::string msg = absl::StrCat(context, "create: ", strerror(err));
  if (err == EACCES || err == EPERM || err == EROFS) return absl::FailedPreconditionError(msg);
  return absl::UnavailableError(msg);
}

}  // namespace

struct SqliteBackend::Statements {
  StmtPtr begin_immediate, begin_read, commit, rollback;
  StmtPtr savepoint, release_savepoint, rollback_to_savepoint;
  StmtPtr get_revision, set_revision;
  StmtPtr get, upsert, remove, purge;
  StmtPtr range_asc, range_desc, count, delete_range;
};

SqliteBackend::SqliteBackend(std::string path, const Clock* clock, absl::Duration commit_delay,
                             sqlite3* db, std::unique_ptr<Statements> statements, int wal_fd)
    : path_(std::move(path)),
      clock_(clock),
      commit_delay_(commit_delay),
      db_(db),
      stmts_(std::move(statements)),
      wal_fd_(wal_fd),
      syncer_([this] { SyncLoop(); }) {}

SqliteBackend::~SqliteBackend() {
  {
    absl::MutexLock l(&sync_mu_);
    stopping_ = true;
  }
  syncer_.join();  // after committing and running every callback still waiting
  ::close(wal_fd_);
  absl::MutexLock l(&mu_);
  // The sync thread committed what was open when it stopped; this only
  // matters for a write that raced the destructor (which callers must not).
  CommitOpenLocked();
  // Statements first: a connection with live statements does not close.
  *stmts_ = Statements();
  sqlite3_close_v2(db_);
}

void SqliteBackend::Sync(std::function<void(absl::Status)> done) {
  Enqueue(std::move(done), /*report_losses=*/true);
}

void SqliteBackend::Enqueue(std::function<void(absl::Status)> done, bool report_losses) {
  const int64_t last = txn_seq_.load();
  {
    absl::MutexLock l(&sync_mu_);
    if (!stopping_) {
      int64_t first = 0;
      if (report_losses) {
        auto it = unsynced_.find(std::this_thread::get_id());
        if (it != unsynced_.end()) {
          first = it->second;
          unsynced_.erase(it);
        }
      }
      sync_waiting_.push_back(SyncWaiter{std::move(done), first, last});
      return;
    }
  }
  done(absl::FailedPreconditionError("storage: sqlite: sync: the database is closing"));
}

int64_t SqliteBackend::syncs() const {
  absl::MutexLock l(&sync_mu_);
  return syncs_;
}

void SqliteBackend::SyncLoop() {
  while (true) {
    std::vector<SyncWaiter> batch;
    bool stop = false;
    {
      absl::MutexLock l(&sync_mu_);
      sync_mu_.Await(absl::Condition(
          +[](SqliteBackend* b) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return b->stopping_ || !b->sync_waiting_.empty() || b->uncommitted_;
          },
          this));
      if (sync_waiting_.empty() && !stopping_) {
        // Deferred writes left a transaction open: it is committed when a
        // Sync asks, or after commit_delay_ if none does.
        sync_mu_.AwaitWithTimeout(absl::Condition(
                                      +[](SqliteBackend* b) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                        return b->stopping_ || !b->sync_waiting_.empty();
                                      },
                                      this),
                                  commit_delay_);
      }
      batch.swap(sync_waiting_);
      uncommitted_ = false;
      stop = stopping_ && batch.empty();
    }
    // Every deferred write these callers saw return is in the open
    // transaction or committed already: commit, then one flush that starts
    // now covers them all.
    std::vector<absl::Status> lost(batch.size());
    {
      absl::MutexLock l(&mu_);
      CommitOpenLocked();
      for (size_t i = 0; i < batch.size(); ++i) {
        lost[i] = LossBetweenLocked(batch[i].first_txn, batch[i].last_txn);
      }
    }
    if (stop) return;  // stopping, nobody waits
    if (batch.empty()) continue;
    int rc;
    do {
      rc = ::fdatasync(wal_fd_);
    } while (rc != 0 && errno == EINTR);
    const int err = errno;
    absl::Status synced;
    {
      absl::MutexLock l(&sync_mu_);
      ++syncs_;
      // Fail-stop: after a failed fdatasync the kernel may have dropped the
      // dirty pages and report success next time, so no later flush can
      // vouch for anything written before it. Every Sync fails from then on.
      if (sync_error_.ok() && rc != 0) {
        sync_error_ = absl::UnavailableError(
            absl::StrCat("storage: sqlite: sync ", path_, "-wal: ", strerror(err),
                         " (the database is not written durably until the server restarts)"));
      }
      synced = sync_error_;
    }
    // A lost transaction says more than the flush failure it may cause.
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(lost[i].ok() ? synced : lost[i]);
  }
}

void SqliteBackend::LoseOpenLocked(absl::string_view cause) {
  txn_open_ = false;
  lost_.emplace(txn_seq_.load(), absl::UnavailableError(absl::StrCat(
                                     "storage: sqlite: deferred writes were rolled back (",
                                     absl::StripPrefix(cause, "storage: sqlite: "), ")")));
  // Losses are rare; the newest are kept, and a Sync that could have asked
  // about a forgotten one is failed (LossBetweenLocked).
  while (lost_.size() > kMaxLostKept) {
    forgotten_through_ = lost_.begin()->first;
    forgotten_ = lost_.begin()->second;
    lost_.erase(lost_.begin());
  }
}

absl::Status SqliteBackend::LossBetweenLocked(int64_t first, int64_t last) const {
  if (first == 0) return absl::OkStatus();  // no deferred writes of this caller
  if (first <= forgotten_through_) return forgotten_;
  auto it = lost_.lower_bound(first);
  if (it == lost_.end() || it->first > last) return absl::OkStatus();
  return it->second;
}

bool SqliteBackend::TxnOpenLocked() {
  if (txn_open_ && sqlite3_get_autocommit(db_) != 0) {
    // SQLite ended the transaction itself (e.g. a read inside it failed
    // with an I/O error): its writes are gone.
    LoseOpenLocked("SQLite ended the open transaction after an error");
  }
  return txn_open_;
}

void SqliteBackend::CommitOpenLocked() {
  if (!TxnOpenLocked()) return;
  txn_open_ = false;
  Query commit(db_, stmts_->commit.get(), "");
  absl::Status s = commit.Run();
  if (s.ok()) {
    ++commits_;
    return;
  }
  Query rollback(db_, stmts_->rollback.get(), "");
  (void)rollback.Run();
  LoseOpenLocked(absl::StrCat("commit: ", s.message()));
}

absl::Status SqliteBackend::WaitDurable() {
  absl::Notification synced;
  absl::Status result;
  // A write that is not deferred committed itself (or got the error): the
  // losses of this thread's earlier deferred writes are for its Sync.
  Enqueue(
      [&](absl::Status s) {
        result = std::move(s);
        synced.Notify();
      },
      /*report_losses=*/false);
  synced.WaitForNotification();
  return result;
}

absl::StatusOr<std::unique_ptr<SqliteBackend>> SqliteBackend::Open(const SqliteOptions& options) {
  const std::string path = absl::StrCat(options.data_dir, "/", options.file_name);
  const std::string context = absl::StrCat("storage: sqlite: open ", path, ": ");
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("storage: sqlite: open: no data directory configured");
  }
  if (options.deferred_commit_delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, "deferred_commit_delay must be positive"));
  }
  if (options.file_name.empty() || options.file_name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, "file name must be a plain, non-empty name"));
  }
  struct stat st;
  if (::stat(options.data_dir.c_str(), &st) != 0) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat(context, "data directory: ", strerror(err)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, "data directory: not a directory"));
  }
  ENLIST_RETURN_IF_ERROR(CreateFile(path, context));

  sqlite3* raw = nullptr;
  // No SQLite mutex: the backend's own mutex serialises the connection.
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(context, db.get(), rc);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return absl::FailedPreconditionError(absl::StrCat(context, "database file is read-only"));
  }

  // Identify the file before changing anything in it.
  ENLIST_RETURN_IF_ERROR(CheckIdentity(db.get(), context).status());

  {
    sqlite3_stmt* s = nullptr;
    rc = sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode=WAL", -1, &s, nullptr);
    StmtPtr stmt(s);
    if (rc != SQLITE_OK) return SqliteError(context, db.get(), rc);
    rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW) return SqliteError(context, db.get(), rc);
    const unsigned char* mode = sqlite3_column_text(stmt.get(), 0);
    if (mode == nullptr || absl::string_view(reinterpret_cast<const char*>(mode)) != "wal") {
      return absl::UnavailableError(absl::StrCat(context, "cannot use a WAL journal"));
    }
  }
  ENLIST_RETURN_IF_ERROR(Exec(db.get(), context, "PRAGMA synchronous=FULL"));

  // Migrate inside one write transaction, re-reading the version under the
  // lock in case another process migrated first.
  ENLIST_RETURN_IF_ERROR(Exec(db.get(), context, "BEGIN IMMEDIATE"));
  absl::Status migrated = [&]() -> absl::Status {
    ENLIST_ASSIGN_OR_RETURN(int64_t version, CheckIdentity(db.get(), context));
    for (const Migration& m : kMigrations) {
      if (m.to <= version) continue;
      ENLIST_RETURN_IF_ERROR(Exec(db.get(), absl::StrCat(context, "migrate to schema ", m.to, ": "),
                                  m.sql));
    }
    if (version < kSchemaVersion) {
      ENLIST_RETURN_IF_ERROR(Exec(
          db.get(), context,
          absl::StrCat("PRAGMA application_id=", kApplicationId, ";PRAGMA user_version=",
                       kSchemaVersion)
              .c_str()));
    }
    return Exec(db.get(), context, "COMMIT");
  }();
  if (!migrated.ok()) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return migrated;
  }
  // From here on a COMMIT only appends to the WAL; the sync thread makes
  // the WAL durable (one fdatasync for every write committed before it
  // started). fdatasync(2) flushes the file, whichever descriptor names it,
  // so SQLite's frames are covered by ours.
  ENLIST_RETURN_IF_ERROR(Exec(db.get(), context, "PRAGMA synchronous=NORMAL"));
  const std::string wal_path = absl::StrCat(path, "-wal");
  UniqueFd wal_fd(::open(wal_path.c_str(), O_RDWR | O_CLOEXEC));
  if (wal_fd.get() < 0) {
    return absl::UnavailableError(absl::StrCat(context, "open ", wal_path, ": ", strerror(errno)));
  }
  // The WAL's directory entry must survive a crash too.
  if (absl::Status s = SyncDirectory(options.data_dir); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(context, s.message()));
  }

  auto stmts = std::make_unique<Statements>();
  const std::string cols = kItemColumns;
  const std::pair<StmtPtr*, std::string> sqls[] = {
      {&stmts->begin_immediate, "BEGIN IMMEDIATE"},
      {&stmts->begin_read, "BEGIN"},
      {&stmts->commit, "COMMIT"},
      {&stmts->rollback, "ROLLBACK"},
      {&stmts->savepoint, "SAVEPOINT write"},
      {&stmts->release_savepoint, "RELEASE write"},
      {&stmts->rollback_to_savepoint, "ROLLBACK TO write"},
      {&stmts->get_revision, "SELECT revision FROM meta WHERE id = 1"},
      {&stmts->set_revision, "UPDATE meta SET revision = ?1 WHERE id = 1"},
      {&stmts->get, "SELECT " + cols +
                        " FROM kv WHERE key = ?1 AND (expires_us IS NULL OR expires_us > ?2)"},
      {&stmts->upsert,
       "INSERT INTO kv (key, value, create_revision, mod_revision, expires_us) "
       "VALUES (?1, ?2, ?3, ?3, ?4) ON CONFLICT (key) DO UPDATE SET "
       "value = excluded.value, mod_revision = excluded.mod_revision, "
       "expires_us = excluded.expires_us"},
      {&stmts->remove, "DELETE FROM kv WHERE key = ?1"},
      {&stmts->purge, "DELETE FROM kv WHERE expires_us IS NOT NULL AND expires_us <= ?1"},
      {&stmts->range_asc,
       "SELECT key, CASE WHEN ?4 THEN x'' ELSE value END, create_revision, mod_revision, "
       "expires_us FROM kv WHERE key >= ?1 AND key < ?2 AND "
       "(expires_us IS NULL OR expires_us > ?3) ORDER BY key ASC LIMIT ?5"},
      {&stmts->range_desc,
       "SELECT key, CASE WHEN ?4 THEN x'' ELSE value END, create_revision, mod_revision, "
       "expires_us FROM kv WHERE key >= ?1 AND key < ?2 AND "
       "(expires_us IS NULL OR expires_us > ?3) ORDER BY key DESC LIMIT ?5"},
      {&stmts->count,
       "SELECT count(*) FROM kv WHERE key >= ?1 AND key < ?2 AND "
       "(expires_us IS NULL OR expires_us > ?3)"},
      {&stmts->delete_range,
       "DELETE FROM kv WHERE key >= ?1 AND key < ?2 AND "
       "(expires_us IS NULL OR expires_us > ?3)"},
  };
  for (const auto& [slot, sql] : sqls) {
    sqlite3_stmt* s = nullptr;
    rc = sqlite3_prepare_v3(db.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return SqliteError(absl::StrCat(context, "prepare: "), db.get(), rc);
    }
    slot->reset(s);
  }
  const Clock* clock = options.clock != nullptr ? options.clock : &RealClock::Get();
  return std::unique_ptr<SqliteBackend>(
      new SqliteBackend(path, clock, options.deferred_commit_delay, db.release(), std::move(stmts),
                        wal_fd.release()));
}

struct SqliteBackend::PendingWrite {
  absl::string_view op;
  absl::string_view key;
  const WriteBody* body;
  int64_t* purged;
  absl::Time now;
  // Called in a DeferredDurability scope: the transaction may stay open.
  bool deferred;
  // The transaction it ran in (SqliteBackend::txn_seq_).
  int64_t txn = 0;
  absl::StatusOr<int64_t> result = absl::UnknownError("not run");
  bool done = false;
};

absl::StatusOr<int64_t> SqliteBackend::Write(absl::string_view op, absl::string_view key,
                                             const WriteBody& body, int64_t* purged) {
  const bool deferred = DeferredDurability::Active();
  PendingWrite w{op, key, &body, purged, clock_->Now(), deferred};
  {
    absl::MutexLock q(&queue_mu_);
    queue_.push_back(&w);
    ++in_flight_;
    while (!w.done) {
      if (leader_active_) {
        // Another thread is committing; it or the next leader runs this write.
        queue_mu_.Await(absl::Condition(+[](bool* active) { return !*active; }, &leader_active_));
        continue;
      }
      // Lead: take what is queued (this write among it, unless an earlier
      // batch filled up first) and commit it in one transaction.
      leader_active_ = true;
      std::vector<PendingWrite*> batch;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      queue_mu_.Unlock();
      bool left_open;
      {
        absl::MutexLock l(&mu_);
        RunBatch(batch);
        left_open = txn_open_;
      }
      if (left_open) {
        absl::MutexLock l(&sync_mu_);
        uncommitted_ = true;
      }
      queue_mu_.Lock();
      for (PendingWrite* b : batch) b->done = true;
      leader_active_ = false;
      ++write_transactions_;
      in_flight_ -= batch.size();
    }
  }
  if (w.result.ok() && deferred) {
    // The oldest transaction holding this thread's deferred writes since
    // its last Sync.
    absl::MutexLock l(&sync_mu_);
    unsynced_.emplace(std::this_thread::get_id(), w.txn);
  }
  if (w.result.ok() && !deferred) {
    absl::Status durable = WaitDurable();
    if (!durable.ok()) {
      return absl::UnavailableError(
          absl::StrCat(internal::Context(kName, op, key), "written but not known to be durable: ",
                       absl::StripPrefix(durable.message(), "storage: sqlite: ")));
    }
  }
  return std::move(w.result);
}

int64_t SqliteBackend::write_transactions() const {
  absl::MutexLock q(&queue_mu_);
  return write_transactions_;
}

int64_t SqliteBackend::commits() const {
  absl::MutexLock l(&mu_);
  return commits_;
}

size_t SqliteBackend::in_flight_writes() const {
  absl::MutexLock q(&queue_mu_);
  return in_flight_;
}

namespace {

// `status` with its message prefixed by `context`.
absl::Status WithContext(const std::string& context, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(context, status.message()));
}

}  // namespace

void SqliteBackend::RunBatch(const std::vector<PendingWrite*>& batch) {
  // Deferred writes of earlier batches wait uncommitted in the open
  // transaction; whatever undoes it undoes them too, and their Sync must say so.
  const bool continuing = TxnOpenLocked();
  auto lose_open = [&](absl::string_view why) {
    if (continuing) {
      LoseOpenLocked(why);
    } else {
      txn_open_ = false;
    }
  };
  // Transaction-level failures are reported to every write with its own
  // context ("storage: sqlite: put /x: disk I/O error").
  auto fail_all = [&](const absl::Status& s) {
    for (PendingWrite* w : batch) {
      w->result = WithContext(internal::Context(kName, w->op, w->key), s);
    }
  };
  if (!continuing) {
    Query begin(db_, stmts_->begin_immediate.get(), "");
    absl::Status s = begin.Run();
    if (!s.ok()) return fail_all(s);
    txn_seq_.fetch_add(1);
  }
  for (PendingWrite* w : batch) w->txn = txn_seq_.load();
  int64_t revision = 0;
  {
    Query q(db_, stmts_->get_revision.get(), "");
    absl::StatusOr<bool> row = q.Step();
    if (!row.ok() || !*row) {
      const absl::Status s =
          row.ok() ? absl::DataLossError("revision counter missing") : row.status();
      fail_all(s);
      Query rollback(db_, stmts_->rollback.get(), "");
      (void)rollback.Run();
      lose_open(s.message());
      return;
    }
    // Never below a revision handed out before, also one of a transaction
    // that was rolled back after its writes returned.
    revision = std::max(q.ColumnInt(0), last_revision_);
  }
  const int64_t start_revision = revision;
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingWrite* w = batch[i];
    w->result = RunOne(*w, revision);
    if (sqlite3_get_autocommit(db_) != 0) {
      // SQLite rolled the whole transaction back (e.g. a full disk): the
      // writes before this one are gone and the rest never ran.
      const std::string why =
          w->result.ok() ? "unknown error" : std::string(w->result.status().message());
      const absl::Status lost = absl::UnavailableError(
          absl::StrCat("transaction rolled back by a failed write in the same batch: ", why));
      for (size_t j = 0; j < batch.size(); ++j) {
        if (j == i && !w->result.ok()) continue;
        batch[j]->result =
            WithContext(internal::Context(kName, batch[j]->op, batch[j]->key), lost);
      }
      lose_open(why);
      return;
    }
  }
  absl::Status committed = absl::OkStatus();
  bool commit_ran = false;
  if (revision != start_revision) {
    Query q(db_, stmts_->set_revision.get(), "");
    committed = q.Int(1, revision);
    if (committed.ok()) committed = q.Run();
  }
  if (committed.ok()) {
    last_revision_ = revision;
    const bool all_deferred =
        std::all_of(batch.begin(), batch.end(), [](const PendingWrite* w) { return w->deferred; });
    if (all_deferred && (continuing || revision != start_revision)) {
      // Committed by the sync thread, together with later deferred writes.
      txn_open_ = true;
      return;
    }
    txn_open_ = false;
    Query commit(db_, stmts_->commit.get(), "");
    committed = commit.Run();
    commit_ran = true;
  }
  if (committed.ok()) {
    ++commits_;
    return;
  }
  for (PendingWrite* w : batch) {
    if (w->result.ok()) w->result = WithContext(internal::Context(kName, w->op, w->key), committed);
  }
  // A failed rollback leaves SQLite to undo the transaction itself (it does
  // when the connection closes or the next transaction begins).
  Query rollback(db_, stmts_->rollback.get(), "");
  (void)rollback.Run();
  // Worded like CommitOpenLocked's: the same loss reads the same.
  lose_open(absl::StrCat(commit_ran ? "commit: " : "", committed.message()));
}

absl::StatusOr<int64_t> SqliteBackend::RunOne(const PendingWrite& w, int64_t& revision) {
  const std::string context = internal::Context(kName, w.op, w.key);
  {
    Query savepoint(db_, stmts_->savepoint.get(), context);
    ENLIST_RETURN_IF_ERROR(savepoint.Run());
  }
  const int64_t next = revision + 1;
  absl::StatusOr<bool> changed = [&]() -> absl::StatusOr<bool> {
    Query q(db_, stmts_->purge.get(), context);
    ENLIST_RETURN_IF_ERROR(q.Int(1, absl::ToUnixMicros(w.now)));
    ENLIST_RETURN_IF_ERROR(q.Run());
    const int64_t n = sqlite3_changes(db_);
    if (w.purged != nullptr) *w.purged = n;
    ENLIST_ASSIGN_OR_RETURN(Wrote wrote, (*w.body)(w.now, next));
    return n > 0 || wrote == Wrote::kSomething;
  }();
  if (!changed.ok()) {
    // Undo only this write; the batch's others stand.
    Query undo(db_, stmts_->rollback_to_savepoint.get(), context);
    (void)undo.Run();
    Query release(db_, stmts_->release_savepoint.get(), context);
    (void)release.Run();
    return changed.status();
  }
  absl::Status released;
  {
    Query release(db_, stmts_->release_savepoint.get(), context);
    released = release.Run();
  }
  if (!released.ok()) {
    Query undo(db_, stmts_->rollback_to_savepoint.get(), context);
    (void)undo.Run();
    return released;
  }
  if (*changed) revision = next;
  return revision;
}

absl::StatusOr<Item> SqliteBackend::Get(absl::string_view key) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "get", key));
  const std::string context = internal::Context(kName, "get", key);
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  Query q(db_, stmts_->get.get(), context);
  ENLIST_RETURN_IF_ERROR(q.Blob(1, key));
  ENLIST_RETURN_IF_ERROR(q.Int(2, absl::ToUnixMicros(now)));
  ENLIST_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return absl::NotFoundError(absl::StrCat(context, "not found"));
  return ReadItem(q);
}

namespace {

// Reads the visible item at `key` inside a transaction; nullopt if absent.
absl::StatusOr<std::optional<Item>> Lookup(sqlite3* db, sqlite3_stmt* get,
                                           const std::string& context, absl::string_view key,
                                           absl::Time now) {
  Query q(db, get, context);
  ENLIST_RETURN_IF_ERROR(q.Blob(1, key));
  ENLIST_RETURN_IF_ERROR(q.Int(2, absl::ToUnixMicros(now)));
  ENLIST_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<Item>();
  return std::optional<Item>(ReadItem(q));
}

absl::Status Upsert(sqlite3* db, sqlite3_stmt* upsert, const std::string& context,
                    const Item& item, int64_t revision) {
  Query q(db, upsert, context);
  ENLIST_RETURN_IF_ERROR(q.Blob(1, item.key));
  ENLIST_RETURN_IF_ERROR(q.Blob(2, item.value));
  ENLIST_RETURN_IF_ERROR(q.Int(3, revision));
  ENLIST_RETURN_IF_ERROR(q.OptionalTime(4, item.expires));
  return q.Run();
}

absl::Status Remove(sqlite3* db, sqlite3_stmt* remove, const std::string& context,
                    absl::string_view key) {
  Query q(db, remove, context);
  ENLIST_RETURN_IF_ERROR(q.Blob(1, key));
  return q.Run();
}

absl::Status Mismatch(const std::string& context, int64_t expected, int64_t actual) {
  return absl::AbortedError(
      absl::StrCat(context, "revision mismatch: expected ", expected, ", found ", actual));
}

}  // namespace

absl::StatusOr<int64_t> SqliteBackend::Put(const Item& item) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "put", item, clock_->Now()));
  const std::string context = internal::Context(kName, "put", item.key);
  return Write("put", item.key, [&](absl::Time, int64_t revision) -> absl::StatusOr<Wrote> {
    ENLIST_RETURN_IF_ERROR(Upsert(db_, stmts_->upsert.get(), context, item, revision));
    return Wrote::kSomething;
  });
}

absl::StatusOr<int64_t> SqliteBackend::Create(const Item& item) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "create", item, clock_->Now()));
  const std::string context = internal::Context(kName, "create", item.key);
  return Write("create", item.key, [&](absl::Time now, int64_t revision) -> absl::StatusOr<Wrote> {
    ENLIST_ASSIGN_OR_RETURN(auto existing,
                            Lookup(db_, stmts_->get.get(), context, item.key, now));
    if (existing.has_value()) return absl::AlreadyExistsError(context + "already exists");
    ENLIST_RETURN_IF_ERROR(Upsert(db_, stmts_->upsert.get(), context, item, revision));
    return Wrote::kSomething;
  });
}

absl::StatusOr<int64_t> SqliteBackend::CompareAndSwap(int64_t expected_revision,
                                                      const Item& item) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "compare-and-swap", item, clock_->Now()));
  ENLIST_RETURN_IF_ERROR(internal::ValidateExpectedRevision(kName, "compare-and-swap", item.key,
                                                            expected_revision));
  const std::string context = internal::Context(kName, "compare-and-swap", item.key);
  return Write("compare-and-swap", item.key,
               [&](absl::Time now, int64_t revision) -> absl::StatusOr<Wrote> {
                 ENLIST_ASSIGN_OR_RETURN(
                     auto existing, Lookup(db_, stmts_->get.get(), context, item.key, now));
                 if (!existing.has_value()) return absl::NotFoundError(context + "not found");
                 if (existing->revision != expected_revision) {
                   return Mismatch(context, expected_revision, existing->revision);
                 }
                 ENLIST_RETURN_IF_ERROR(
                     Upsert(db_, stmts_->upsert.get(), context, item, revision));
                 return Wrote::kSomething;
               });
}

absl::StatusOr<int64_t> SqliteBackend::Delete(absl::string_view key) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "delete", key));
  const std::string context = internal::Context(kName, "delete", key);
  return Write("delete", key, [&](absl::Time now, int64_t) -> absl::StatusOr<Wrote> {
    ENLIST_ASSIGN_OR_RETURN(auto existing, Lookup(db_, stmts_->get.get(), context, key, now));
    if (!existing.has_value()) return absl::NotFoundError(context + "not found");
    ENLIST_RETURN_IF_ERROR(Remove(db_, stmts_->remove.get(), context, key));
    return Wrote::kSomething;
  });
}

absl::StatusOr<int64_t> SqliteBackend::CompareAndDelete(absl::string_view key,
                                                        int64_t expected_revision) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "compare-and-delete", key));
  ENLIST_RETURN_IF_ERROR(
      internal::ValidateExpectedRevision(kName, "compare-and-delete", key, expected_revision));
  const std::string context = internal::Context(kName, "compare-and-delete", key);
  return Write("compare-and-delete", key, [&](absl::Time now, int64_t) -> absl::StatusOr<Wrote> {
    ENLIST_ASSIGN_OR_RETURN(auto existing, Lookup(db_, stmts_->get.get(), context, key, now));
    if (!existing.has_value()) return absl::NotFoundError(context + "not found");
    if (existing->revision != expected_revision) {
      return Mismatch(context, expected_revision, existing->revision);
    }
    ENLIST_RETURN_IF_ERROR(Remove(db_, stmts_->remove.get(), context, key));
    return Wrote::kSomething;
  });
}

absl::StatusOr<int64_t> SqliteBackend::DeleteRange(const KeyRange& range) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "delete range", range));
  const std::string context = internal::Context(kName, "delete range", range.start);
  int64_t deleted = 0;
  ENLIST_RETURN_IF_ERROR(
      Write("delete range", range.start,
            [&](absl::Time now, int64_t) -> absl::StatusOr<Wrote> {
              Query q(db_, stmts_->delete_range.get(), context);
              ENLIST_RETURN_IF_ERROR(q.Blob(1, range.start));
              ENLIST_RETURN_IF_ERROR(q.Blob(2, range.end.empty() ? Infinity() : range.end));
              ENLIST_RETURN_IF_ERROR(q.Int(3, absl::ToUnixMicros(now)));
              ENLIST_RETURN_IF_ERROR(q.Run());
              deleted = sqlite3_changes(db_);
              return deleted > 0 ? Wrote::kSomething : Wrote::kNothing;
            })
          .status());
  return deleted;
}

absl::StatusOr<RangeResult> SqliteBackend::Range(const KeyRange& range,
                                                 const RangeOptions& options) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "range", range));
  const std::string context = internal::Context(kName, "range", range.start);
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  // One read transaction, so the page and its revision are one snapshot:
  // the open write transaction when deferred writes left one (it holds the
  // write lock, and this connection reads its own writes).
  // (One SQLite ended after an error is noticed by the next write.)
  const bool own_transaction = !txn_open_ || sqlite3_get_autocommit(db_) != 0;
  if (own_transaction) {
    Query begin(db_, stmts_->begin_read.get(), context);
    ENLIST_RETURN_IF_ERROR(begin.Run());
  }
  absl::StatusOr<RangeResult> result = [&]() -> absl::StatusOr<RangeResult> {
    RangeResult out;
    {
      Query q(db_, stmts_->get_revision.get(), context);
      ENLIST_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return absl::DataLossError(absl::StrCat(context, "revision counter missing"));
      // Never behind a revision this connection handed out (see RunBatch).
      out.revision = std::max(q.ColumnInt(0), last_revision_);
    }
    Query q(db_, options.descending ? stmts_->range_desc.get() : stmts_->range_asc.get(),
            context);
    ENLIST_RETURN_IF_ERROR(q.Blob(1, range.start));
    ENLIST_RETURN_IF_ERROR(q.Blob(2, range.end.empty() ? Infinity() : range.end));
    ENLIST_RETURN_IF_ERROR(q.Int(3, absl::ToUnixMicros(now)));
    ENLIST_RETURN_IF_ERROR(q.Int(4, options.keys_only ? 1 : 0));
    // One row more than asked tells whether there is a next page.
    ENLIST_RETURN_IF_ERROR(
        q.Int(5, options.limit == 0 ? -1 : static_cast<int64_t>(options.limit) + 1));
    while (true) {
      ENLIST_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (options.limit != 0 && out.items.size() == options.limit) {
        out.more = true;
        break;
      }
      out.items.push_back(ReadItem(q));
    }
    return out;
  }();
  if (!own_transaction) return result;
  Query commit(db_, stmts_->commit.get(), context);
  absl::Status s = commit.Run();
  if (!s.ok()) {
    Query rollback(db_, stmts_->rollback.get(), context);
    (void)rollback.Run();
    if (result.ok()) return s;
  }
  return result;
}

absl::StatusOr<int64_t> SqliteBackend::Count(const KeyRange& range) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "count", range));
  const std::string context = internal::Context(kName, "count", range.start);
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  Query q(db_, stmts_->count.get(), context);
  ENLIST_RETURN_IF_ERROR(q.Blob(1, range.start));
  ENLIST_RETURN_IF_ERROR(q.Blob(2, range.end.empty() ? Infinity() : range.end));
  ENLIST_RETURN_IF_ERROR(q.Int(3, absl::ToUnixMicros(now)));
  ENLIST_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return absl::InternalError(absl::StrCat(context, "count returned no row"));
  return q.ColumnInt(0);
}

absl::StatusOr<int64_t> SqliteBackend::CurrentRevision() const {
  const std::string context = "storage: sqlite: revision: ";
  absl::MutexLock l(&mu_);
  Query q(db_, stmts_->get_revision.get(), context);
  ENLIST_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return absl::DataLossError(absl::StrCat(context, "revision counter missing"));
  return std::max(q.ColumnInt(0), last_revision_);
}

absl::StatusOr<int64_t> SqliteBackend::PurgeExpired() {
  // Write() purges before every body; an empty body is a pure purge.
  int64_t purged = 0;
  ENLIST_RETURN_IF_ERROR(
      Write("purge", "",
            [&](absl::Time, int64_t) -> absl::StatusOr<Wrote> { return Wrote::kNothing; },
            &purged)
          .status());
  return purged;
}

}  // namespace enlist::storage
