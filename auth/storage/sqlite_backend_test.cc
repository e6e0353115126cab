#include "auth/storage/sqlite_backend.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "auth/storage/backend_conformance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::storage {
namespace {

using ::testing::HasSubstr;

#define EXPECT_STATUS ENLIST_EXPECT_STATUS

absl::StatusOr<std::unique_ptr<Backend>> OpenAt(const std::string& dir, const Clock* clock) {
  SqliteOptions options;
  options.data_dir = dir;
  options.clock = clock;
  auto backend = SqliteBackend::Open(options);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<Backend>(std::move(*backend));
}

BackendFactory SqliteFactory() {
  BackendFactory f;
  f.name = "Sqlite";
  f.open = OpenAt;
  f.persistent = true;
  return f;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, BackendConformanceTest, ::testing::Values(SqliteFactory()),
                         BackendFactoryName);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Runs `sql` on `path` with a plain SQLite connection (another "program").
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

int64_t RawPragma(const std::string& path, const std::string& pragma) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("PRAGMA " + pragma).c_str(), -1, &stmt, nullptr), SQLITE_OK);
  int64_t v = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

class SqliteBackendTest : public ::testing::Test {
 protected:
  SqliteBackendTest() : dir_(MakeTestDir("sqlite")), path_(dir_ + "/enlist.db") {}

  absl::StatusOr<std::unique_ptr<SqliteBackend>> Open(
      absl::Duration deferred_commit_delay = absl::Milliseconds(10)) {
    SqliteOptions options;
    options.data_dir = dir_;
    options.clock = &clock_;
    options.deferred_commit_delay = deferred_commit_delay;
    return SqliteBackend::Open(options);
  }

  // Creates an Enlist database holding /k = v.
  void Seed() {
    auto backend = Open();
    ASSERT_TRUE(backend.ok()) << backend.status();
    Item item;
    item.key = "/k";
    item.value = "v";
    ASSERT_TRUE((*backend)->Put(item).ok());
  }

  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
  std::string dir_;
  std::string path_;
};

TEST_F(SqliteBackendTest, CreatesPrivateWalFileWithIdentity) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->path(), path_);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  backend->reset();
  EXPECT_EQ(RawPragma(path_, "application_id"), SqliteBackend::kApplicationId);
  EXPECT_EQ(RawPragma(path_, "user_version"), SqliteBackend::kSchemaVersion);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteBackendTest, OpenRejections) {
  const std::string file_as_dir = dir_ + "/plain-file";
  WriteFile(file_as_dir, "x");
  struct Case {
    const char* name;
    std::string data_dir;
    std::string file_name;
    absl::StatusCode code;
    std::string substr;
  };
  const Case cases[] = {
      {"no data dir", "", "enlist.db", absl::StatusCode::kInvalidArgument,
       "storage: sqlite: open: no data directory configured"},
      {"missing data dir", dir_ + "/missing", "enlist.db", absl::StatusCode::kFailedPrecondition,
       absl::StrCat("storage: sqlite: open ", dir_,
                    "/missing/enlist.db: data directory: No such file or directory")},
      {"data dir is a file", file_as_dir, "enlist.db", absl::StatusCode::kFailedPrecondition,
       "data directory: not a directory"},
      {"file name with slash", dir_, "a/b.db", absl::StatusCode::kInvalidArgument,
       "file name must be a plain, non-empty name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SqliteOptions options;
    options.data_dir = c.data_dir;
    options.file_name = c.file_name;
    EXPECT_STATUS(SqliteBackend::Open(options).status(), c.code, c.substr);
  }
  SqliteOptions options;
  options.data_dir = dir_;
  options.deferred_commit_delay = absl::ZeroDuration();
  EXPECT_STATUS(SqliteBackend::Open(options).status(), absl::StatusCode::kInvalidArgument,
                "deferred_commit_delay must be positive");
  EXPECT_FALSE(Exists(path_));
}

// Files that are not Enlist databases are refused and left byte-for-byte as
// they were.
TEST_F(SqliteBackendTest, ForeignAndCorruptFilesAreRefusedUntouched) {
  struct Case {
    const char* name;
    std::function<void(const std::string&)> make;
    absl::StatusCode code;
    std::string substr;
  };
  const Case cases[] = {
      {"text file",
       [](const std::string& p) { WriteFile(p, std::string(4096, 'x')); },
       absl::StatusCode::kDataLoss, "enlist.db: file is not a database"},
      {"other application's database",
       [](const std::string& p) { RawExec(p, "CREATE TABLE songs (title TEXT);"); },
       absl::StatusCode::kFailedPrecondition,
       "not an enlist database (a sqlite database of another application)"},
      {"other application id",
       [](const std::string& p) { RawExec(p, "PRAGMA application_id=305419896;"); },
       absl::StatusCode::kFailedPrecondition, "not an enlist database (application id 0x12345678)"},
      {"newer schema",
       [this](const std::string& p) {
         Seed();
         RawExec(p, "PRAGMA user_version=7;");
       },
       absl::StatusCode::kFailedPrecondition,
       "schema version 7 is newer than this program supports (1); upgrade enlist"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ::unlink(path_.c_str());
    ::unlink((path_ + "-wal").c_str());
    ::unlink((path_ + "-shm").c_str());
    c.make(path_);
    const std::string before = ReadFile(path_);
    EXPECT_STATUS(Open().status(), c.code, absl::StrCat("storage: sqlite: open ", path_, ": "));
    EXPECT_STATUS(Open().status(), c.code, c.substr);
    EXPECT_EQ(ReadFile(path_), before);
  }
}

TEST_F(SqliteBackendTest, CorruptPagesReadAsDataLoss) {
  {
    auto backend = Open();
    ASSERT_TRUE(backend.ok()) << backend.status();
    for (int i = 0; i < 50; ++i) {
      Item item;
      item.key = absl::StrCat("/hosts/", i);
      item.value = std::string(2000, 'h');
      ASSERT_TRUE((*backend)->Put(item).ok());
    }
  }
  // Closing checkpointed the WAL into the file; scribble over the kv pages.
  std::string bytes = ReadFile(path_);
  ASSERT_GT(bytes.size(), 5u * 4096);
  for (size_t i = 2 * 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  WriteFile(path_, bytes);
  auto backend = Open();
  if (!backend.ok()) {
    EXPECT_EQ(backend.status().code(), absl::StatusCode::kDataLoss) << backend.status();
    return;
  }
  auto r = (*backend)->Range(KeyRange::Prefix("/hosts/"), {});
  EXPECT_STATUS(r.status(), absl::StatusCode::kDataLoss, "storage: sqlite: range /hosts/: ");
}

// A thread-local drop of the capabilities that let root ignore file modes,
// so permission tests mean the same for root (CI containers) and users.
class ScopedNoDacOverride {
 public:
  ScopedNoDacOverride() {
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    header_.pid = 0;
    if (syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2];
    memcpy(reduced, saved_, sizeof(reduced));
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) |
                              (1u << CAP_FOWNER));
    active_ = syscall(SYS_capset, &header_, reduced) == 0;
  }
  ~ScopedNoDacOverride() {
    if (active_) syscall(SYS_capset, &header_, saved_);
  }

 private:
  __user_cap_header_struct header_;
  __user_cap_data_struct saved_[2] = {};
  bool active_ = false;
};

// True when the calling thread cannot create files in `dir`.
bool Unwritable(const std::string& dir) {
  const std::string probe = dir + "/probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return true;
  ::close(fd);
  ::unlink(probe.c_str());
  return false;
}

TEST_F(SqliteBackendTest, ReadOnlyDataDirWithoutDatabaseFailsAndCreatesNothing) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  {
    ScopedNoDacOverride no_override;
    if (!Unwritable(dir_)) {
      ::chmod(dir_.c_str(), 0700);
      GTEST_SKIP() << "cannot make a directory unwritable for this process";
    }
    EXPECT_STATUS(Open().status(), absl::StatusCode::kFailedPrecondition,
                  absl::StrCat("storage: sqlite: open ", path_, ": create: Permission denied"));
  }
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_FALSE(Exists(path_));
}

TEST_F(SqliteBackendTest, ReadOnlyDatabaseFailsWithoutStateChange) {
  Seed();
  const std::string before = ReadFile(path_);
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  {
    ScopedNoDacOverride no_override;
    if (!Unwritable(dir_)) {
      ::chmod(dir_.c_str(), 0700);
      GTEST_SKIP() << "cannot make a directory unwritable for this process";
    }
    EXPECT_STATUS(Open().status(), absl::StatusCode::kFailedPrecondition,
                  absl::StrCat("storage: sqlite: open ", path_, ": database file is read-only"));
  }
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  EXPECT_EQ(ReadFile(path_), before);
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  auto item = (*backend)->Get("/k");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "v");
}

TEST_F(SqliteBackendTest, WritableFileInReadOnlyDirFailsWithoutStateChange) {
  Seed();
  const std::string before = ReadFile(path_);
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  {
    ScopedNoDacOverride no_override;
    if (!Unwritable(dir_)) {
      ::chmod(dir_.c_str(), 0700);
      GTEST_SKIP() << "cannot make a directory unwritable for this process";
    }
    // SQLite cannot create the WAL index beside the file.
    EXPECT_STATUS(Open().status(), absl::StatusCode::kFailedPrecondition,
                  absl::StrCat("storage: sqlite: open ", path_,
                               ": attempt to write a readonly database"));
  }
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_EQ(ReadFile(path_), before);
}

TEST_F(SqliteBackendTest, LockHeldByAnotherConnectionTimesOutAsUnavailable) {
  Seed();
  SqliteOptions options;
  options.data_dir = dir_;
  options.busy_timeout = absl::Milliseconds(1);
  auto backend = SqliteBackend::Open(options);
  ASSERT_TRUE(backend.ok()) << backend.status();

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Item item;
  item.key = "/k";
  item.value = "blocked";
  EXPECT_STATUS((*backend)->Put(item).status(), absl::StatusCode::kUnavailable,
                "storage: sqlite: put /k: database is locked");
  // Reads are not blocked by a writer (WAL).
  auto read = (*backend)->Get("/k");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->value, "v");
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE((*backend)->Put(item).ok());
}

// Two processes increment one counter by compare-and-swap; none is lost.
TEST_F(SqliteBackendTest, TwoProcessesShareOneFile) {
  constexpr int kIncrements = 30;
  {
    auto backend = Open();
    ASSERT_TRUE(backend.ok()) << backend.status();
    Item item;
    item.key = "/counter";
    item.value = "0";
    ASSERT_TRUE((*backend)->Put(item).ok());
  }
  auto increment_all = [&](Backend& backend) -> bool {
    for (int i = 0; i < kIncrements; ++i) {
      while (true) {
        auto item = backend.Get("/counter");
        int n = 0;
        if (!item.ok() || !absl::SimpleAtoi(item->value, &n)) return false;
        Item next;
        next.key = "/counter";
        next.value = absl::StrCat(n + 1);
        auto r = backend.CompareAndSwap(item->revision, next);
        if (r.ok()) break;
        if (r.status().code() != absl::StatusCode::kAborted) return false;
      }
    }
    return true;
  };
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SqliteOptions options;
    options.data_dir = dir_;
    auto backend = SqliteBackend::Open(options);
    bool ok = backend.ok() && increment_all(**backend);
    backend = absl::UnknownError("closed");
    _exit(ok ? 0 : 1);
  }
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_TRUE(increment_all(**backend));
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  auto item = (*backend)->Get("/counter");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, absl::StrCat(2 * kIncrements));
}

Item ItemOf(absl::string_view key, absl::string_view value) {
  Item item;
  item.key = std::string(key);
  item.value = std::string(value);
  return item;
}

TEST_F(SqliteBackendTest, AWriteReturnsAfterTheWalIsFlushed) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  const int64_t before = b.syncs();
  ASSERT_TRUE(b.Put(ItemOf("/k", "v")).ok());
  EXPECT_GE(b.syncs(), before + 1);
  ASSERT_TRUE(b.Create(ItemOf("/k2", "v")).ok());
  EXPECT_GE(b.syncs(), before + 2);
  // A failed write wrote nothing and waits for no flush.
  const int64_t after_writes = b.syncs();
  EXPECT_EQ(b.Create(ItemOf("/k2", "again")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(b.syncs(), after_writes);
}

TEST_F(SqliteBackendTest, DeferredWritesShareTheFlushSyncAsksFor) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  const int64_t before = b.syncs();
  {
    DeferredDurability defer;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(b.Put(ItemOf(absl::StrCat("/events/", i), "e")).ok());
    }
  }
  // Nothing flushed yet: nobody asked.
  EXPECT_EQ(b.syncs(), before);
  absl::Notification synced;
  absl::Status result = absl::UnknownError("not called");
  b.Sync([&](absl::Status s) {
    result = std::move(s);
    synced.Notify();
  });
  ASSERT_TRUE(synced.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(b.syncs(), before + 1);  // one flush for the ten writes
}

TEST_F(SqliteBackendTest, SyncsAskedForDuringAFlushShareTheNextOne) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  // Hold the sync thread inside the first flush's callbacks.
  absl::Notification in_first, release;
  b.Sync([&](absl::Status) {
    in_first.Notify();
    release.WaitForNotification();
  });
  in_first.WaitForNotification();
  const int64_t after_first = b.syncs();
  absl::BlockingCounter pending(10);
  for (int i = 0; i < 10; ++i) {
    {
      DeferredDurability defer;
      ASSERT_TRUE(b.Put(ItemOf(absl::StrCat("/events/", i), "e")).ok());
    }
    b.Sync([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      pending.DecrementCount();
    });
  }
  release.Notify();
  pending.Wait();
  EXPECT_EQ(b.syncs(), after_first + 1);
}

// The device and inode of `path`, or of what `fd` names.
std::pair<dev_t, ino_t> FileId(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}
std::pair<dev_t, ino_t> FileId(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

// How many items under `prefix` another connection (another process)
// sees: only committed ones.
int64_t CommittedCount(const std::string& path, const std::string& prefix) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM kv WHERE substr(key, 1, ?1) = ?2", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_int(stmt, 1, static_cast<int>(prefix.size()));
  sqlite3_bind_blob(stmt, 2, prefix.data(), static_cast<int>(prefix.size()), SQLITE_TRANSIENT);
  int64_t n = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

absl::Status SyncNow(Backend& b) {
  absl::Notification synced;
  absl::Status result = absl::UnknownError("not called");
  b.Sync([&](absl::Status s) {
    result = std::move(s);
    synced.Notify();
  });
  synced.WaitForNotification();
  return result;
}

TEST_F(SqliteBackendTest, DeferredWritesShareOneTransactionThatSyncCommits) {
  auto backend = Open(absl::Hours(1));  // only Sync commits
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  const int64_t commits = b.commits();
  const int64_t revision = *b.CurrentRevision();
  {
    DeferredDurability defer;
    for (int i = 0; i < 10; ++i) {
      auto r = b.Put(ItemOf(absl::StrCat("/events/", i), "e"));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(*r, revision + 1 + i);
    }
  }
  // In the open transaction: this backend's readers see everything, another
  // process nothing yet.
  EXPECT_EQ(b.commits(), commits);
  EXPECT_EQ(*b.CurrentRevision(), revision + 10);
  EXPECT_EQ(*b.Count(KeyRange::Prefix("/events/")), 10);
  auto page = b.Range(KeyRange::Prefix("/events/"), RangeOptions{4, false, false});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->items.size(), 4u);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->revision, revision + 10);
  EXPECT_EQ(b.Get("/events/9")->value, "e");
  EXPECT_EQ(CommittedCount(path_, "/events/"), 0);

  ASSERT_TRUE(SyncNow(b).ok());
  EXPECT_EQ(b.commits(), commits + 1);  // one transaction for the ten
  EXPECT_EQ(CommittedCount(path_, "/events/"), 10);
  backend->reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->CurrentRevision(), revision + 10);
  EXPECT_EQ(*(*reopened)->Count(KeyRange::Prefix("/events/")), 10);
}

TEST_F(SqliteBackendTest, ADeferredTransactionIsCommittedWithoutSyncAfterTheDelay) {
  auto backend = Open(absl::Milliseconds(1));
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  const int64_t syncs = b.syncs();
  {
    DeferredDurability defer;
    ASSERT_TRUE(b.Put(ItemOf("/events/1", "e")).ok());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (CommittedCount(path_, "/events/") != 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(CommittedCount(path_, "/events/"), 1);
  EXPECT_EQ(b.syncs(), syncs);  // committed, not flushed: nobody asked
}

TEST_F(SqliteBackendTest, AWriteThatIsNotDeferredCommitsTheOpenTransaction) {
  auto backend = Open(absl::Hours(1));
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  // Hold the sync thread, so only the write itself can commit.
  absl::Notification in_sync, release;
  b.Sync([&](absl::Status) {
    in_sync.Notify();
    release.WaitForNotification();
  });
  in_sync.WaitForNotification();
  const int64_t commits = b.commits();
  {
    DeferredDurability defer;
    ASSERT_TRUE(b.Put(ItemOf("/w/deferred", "d")).ok());
  }
  // It returns after the flush, which waits for the held sync thread.
  std::thread durable([&] { EXPECT_TRUE(b.Put(ItemOf("/w/durable", "n")).ok()); });
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (CommittedCount(path_, "/w/") != 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(CommittedCount(path_, "/w/"), 2);
  EXPECT_EQ(b.commits(), commits + 1);
  release.Notify();
  durable.join();
  // A failed deferred write alone leaves no transaction open.
  {
    DeferredDurability defer;
    EXPECT_EQ(b.Create(ItemOf("/w/durable", "again")).status().code(),
              absl::StatusCode::kAlreadyExists);
  }
  RawExec(path_, "BEGIN IMMEDIATE; COMMIT;");  // would time out behind an open one
}

// Points every descriptor open on `wal` at a pipe, where writes and
// fdatasync fail; Restore() puts the originals back.
class BrokenWal {
 public:
  explicit BrokenWal(const std::pair<dev_t, ino_t>& wal) {
    EXPECT_EQ(::pipe(pipe_fds_), 0);
    std::vector<int> wal_fds;  // found first: the copies are WAL descriptors too
    for (int fd = 0; fd < 4096; ++fd) {
      if (FileId(fd) == wal) wal_fds.push_back(fd);
    }
    for (int fd : wal_fds) {
      saved_.emplace_back(fd, ::dup(fd));
      EXPECT_GE(::dup2(pipe_fds_[1], fd), 0);
    }
  }
  ~BrokenWal() { Restore(); }
  size_t descriptors() const { return saved_.size(); }
  void Restore() {
    for (auto [fd, copy] : saved_) {
      ::dup2(copy, fd);
      ::close(copy);
    }
    saved_.clear();
    if (pipe_fds_[0] >= 0) {
      ::close(pipe_fds_[0]);
      ::close(pipe_fds_[1]);
      pipe_fds_[0] = pipe_fds_[1] = -1;
    }
  }

 private:
  int pipe_fds_[2] = {-1, -1};
  std::vector<std::pair<int, int>> saved_;  // (fd, copy of the original)
};

TEST_F(SqliteBackendTest, ARolledBackTransactionFailsTheSyncAndItsRevisionsStayUnused) {
  auto backend = Open(absl::Hours(1));
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  int64_t lost_revision = 0;
  {
    DeferredDurability defer;
    auto r = b.Put(ItemOf("/events/lost", "e"));
    ASSERT_TRUE(r.ok()) << r.status();
    lost_revision = *r;
  }
  const std::pair<dev_t, ino_t> wal = FileId(path_ + "-wal");
  ASSERT_NE(wal.second, 0u);
  BrokenWal broken(wal);  // the COMMIT's WAL writes fail (and the flush)
  ASSERT_GE(broken.descriptors(), 1u);
  const absl::Status synced = SyncNow(b);
  broken.Restore();
  EXPECT_EQ(synced.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(synced.message()),
              ::testing::StartsWith("storage: sqlite: deferred writes were rolled back (commit: "));
  // Gone; its revision is not handed out again, nor reported as current.
  EXPECT_EQ(b.Get("/events/lost").status().code(), absl::StatusCode::kNotFound);
  EXPECT_GE(*b.CurrentRevision(), lost_revision);
  auto next = b.Put(ItemOf("/events/next", "e"));  // the failed flush makes it not durable
  EXPECT_EQ(next.status().code(), absl::StatusCode::kUnavailable);
  auto got = b.Get("/events/next");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_GT(got->revision, lost_revision);
}

// The loss of a transaction nobody waited for (the timed commit failed)
// reaches the Sync of the thread whose writes it held, even after another
// thread's Sync ran; and the writes after it commit as usual.
TEST_F(SqliteBackendTest, ALostTransactionFailsTheSyncOfTheThreadsThatWroteInItOnly) {
  auto backend = Open(absl::Milliseconds(1));
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  ASSERT_TRUE(b.Put(ItemOf("/k", "v")).ok());  // the WAL exists
  const std::pair<dev_t, ino_t> wal = FileId(path_ + "-wal");
  ASSERT_NE(wal.second, 0u);
  {
    BrokenWal broken(wal);
    {
      DeferredDurability defer;
      ASSERT_TRUE(b.Put(ItemOf("/events/1", "e")).ok());
    }
    // The sync thread's timed commit fails and rolls the write back (reads
    // fail too while the WAL is broken). No flush ran: nobody asked.
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (b.Get("/events/1").ok() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(b.Get("/events/1").status().code(), absl::StatusCode::kNotFound);
  // Another thread, with no deferred writes of its own, is not told.
  absl::Status other;
  std::thread([&] { other = SyncNow(b); }).join();
  EXPECT_TRUE(other.ok()) << other;
  // A write of the writer's that is not deferred commits and flushes
  // itself: it neither reports the loss nor uses it up.
  auto durable = b.Put(ItemOf("/w/1", "x"));
  EXPECT_TRUE(durable.ok()) << durable.status();
  // The writer is.
  const absl::Status synced = SyncNow(b);
  EXPECT_EQ(synced.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(synced.message()),
              ::testing::StartsWith("storage: sqlite: deferred writes were rolled back (commit: "));
  // Once: its next deferred write commits and syncs as usual.
  {
    DeferredDurability defer;
    ASSERT_TRUE(b.Put(ItemOf("/events/2", "e")).ok());
  }
  const absl::Status again = SyncNow(b);
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(CommittedCount(path_, "/events/"), 1);
}

// Loses the open transaction of deferred writes: a write that is not
// deferred commits it, and that COMMIT's WAL writes fail (no flush runs, so
// later Syncs are not failed by a failed fdatasync).
void LoseOpenTransaction(SqliteBackend& b, const std::pair<dev_t, ino_t>& wal) {
  BrokenWal broken(wal);
  EXPECT_STATUS(b.Put(ItemOf("/commit", "c")).status(), absl::StatusCode::kUnavailable,
                "storage: sqlite: put /commit: disk I/O error");
}

// Has another connection (as another process would) commit 200 items under
// /m/, a tree of a dozen leaves between "/a" and "/z". A connection drops
// its page cache when it begins a transaction after another one committed,
// so in a backend's next transaction those pages are in the WAL only, and a
// write of "/a" (leftmost leaf) leaves the page "/z" needs (rightmost leaf)
// unread: a BrokenWal then fails exactly the read or write of "/z".
void FillFromAnotherConnection(const std::string& dir) {
  SqliteOptions options;
  options.data_dir = dir;
  options.deferred_commit_delay = absl::Hours(1);  // one commit: a small WAL, no checkpoint
  auto other = SqliteBackend::Open(options);
  ASSERT_TRUE(other.ok()) << other.status();
  {
    DeferredDurability defer;
    for (int i = 0; i < 200; ++i) {
      Item item = ItemOf(absl::StrCat("/m/", absl::Dec(i, absl::kZeroPad3)), std::string(200, 'm'));
      ASSERT_TRUE((*other)->Put(item).ok());
    }
  }
  ASSERT_TRUE(SyncNow(**other).ok());
}

// FillFromAnotherConnection, then a deferred write of "/a" that `b` leaves
// in its open transaction: the write a loss takes along.
void FillThenWriteA(SqliteBackend& b, const std::string& dir) {
  ASSERT_NO_FATAL_FAILURE(FillFromAnotherConnection(dir));
  DeferredDurability defer;
  ASSERT_TRUE(b.Put(ItemOf("/a", "lost")).ok());
}

// A write that fails in a way that makes SQLite roll back the whole open
// transaction (here an I/O error reading a page it needs; a full disk
// spilling the page cache does the same) takes the deferred writes already
// in it along: their writer's Sync says so, and later writes succeed.
TEST_F(SqliteBackendTest, AnAutoRollbackMidBatchFailsTheSyncOfItsWriters) {
  auto backend = Open(absl::Hours(1));  // only Sync commits
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  ASSERT_NO_FATAL_FAILURE(FillThenWriteA(b, dir_));
  absl::Status failed;
  {
    BrokenWal broken(FileId(path_ + "-wal"));
    DeferredDurability defer;
    failed = b.Put(ItemOf("/z", "x")).status();
  }
  EXPECT_STATUS(failed, absl::StatusCode::kUnavailable, "storage: sqlite: put /z: disk I/O error");
  EXPECT_EQ(b.Get("/a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_STATUS(SyncNow(b), absl::StatusCode::kUnavailable,
                "storage: sqlite: deferred writes were rolled back (put /z: disk I/O error)");
  // The next deferred write opens a transaction of its own, and it commits.
  {
    DeferredDurability defer;
    ASSERT_TRUE(b.Put(ItemOf("/z", "y")).ok());
  }
  const absl::Status again = SyncNow(b);
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(CommittedCount(path_, "/z"), 1);
  EXPECT_EQ(CommittedCount(path_, "/a"), 0);
}

// A read that fails inside the open transaction makes SQLite end it; the
// next write notices, and the deferred writes that were in it are reported
// lost to their writer's Sync.
TEST_F(SqliteBackendTest, ATransactionSqliteEndedAfterAFailedReadFailsTheSyncOfItsWriters) {
  auto backend = Open(absl::Hours(1));  // only Sync commits
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  ASSERT_NO_FATAL_FAILURE(FillThenWriteA(b, dir_));
  absl::Status failed;
  {
    BrokenWal broken(FileId(path_ + "-wal"));
    failed = b.Get("/z").status();
  }
  EXPECT_STATUS(failed, absl::StatusCode::kUnavailable, "storage: sqlite: get /z: disk I/O error");
  // A later deferred write of the same thread starts a new transaction.
  {
    DeferredDurability defer;
    ASSERT_TRUE(b.Put(ItemOf("/b", "kept")).ok());
  }
  EXPECT_EQ(b.Get("/a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_STATUS(SyncNow(b), absl::StatusCode::kUnavailable,
                "storage: sqlite: deferred writes were rolled back (SQLite ended the open "
                "transaction after an error)");
  EXPECT_EQ(CommittedCount(path_, "/b"), 1);  // committed by that Sync all the same
  EXPECT_EQ(CommittedCount(path_, "/a"), 0);
  {
    DeferredDurability defer;
    ASSERT_TRUE(b.Put(ItemOf("/c", "kept")).ok());
  }
  const absl::Status again = SyncNow(b);
  EXPECT_TRUE(again.ok()) << again;
}

// A thread of its own that makes one deferred write, then calls Sync when
// asked to.
class DeferredWriterThread {
 public:
  DeferredWriterThread(Backend& b, std::string key)
      : thread_([this, &b, key = std::move(key)] {
          {
            DeferredDurability defer;
            wrote_ = b.Put(ItemOf(key, "e")).status();
          }
          written_.Notify();
          sync_.WaitForNotification();
          synced_ = SyncNow(b);
        }) {}
  ~DeferredWriterThread() { (void)Sync(); }

  // The write's result, once it returned.
  absl::Status Wrote() {
    written_.WaitForNotification();
    return wrote_;
  }
  // Syncs on the writer's thread, and returns the result.
  absl::Status Sync() {
    if (!sync_.HasBeenNotified()) sync_.Notify();
    if (thread_.joinable()) thread_.join();
    return synced_;
  }

 private:
  absl::Status wrote_ = absl::UnknownError("not written");
  absl::Status synced_ = absl::UnknownError("not synced");
  absl::Notification written_, sync_;
  std::thread thread_;  // last: starts once everything above is set
};

// Waits until `n` writes are in flight (queued or running).
void AwaitInFlightWrites(const SqliteBackend& b, size_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (b.in_flight_writes() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(b.in_flight_writes(), n);
}

// A write carried in a batch another thread led is lost with it like the
// leader's: the Sync of every thread that wrote in the lost transaction
// fails, and a thread whose writes came after it syncs as usual.
TEST_F(SqliteBackendTest, ALostBatchFailsTheSyncOfTheThreadsItCarriedToo) {
  SqliteOptions options;
  options.data_dir = dir_;
  options.clock = &clock_;
  options.busy_timeout = absl::Seconds(60);
  options.deferred_commit_delay = absl::Hours(1);  // only Sync commits
  auto backend = SqliteBackend::Open(options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  ASSERT_TRUE(b.Put(ItemOf("/k", "v")).ok());
  const int64_t transactions = b.write_transactions();
  const int64_t commits = b.commits();

  // Another connection holds the write lock: the first writer's batch waits
  // in BEGIN, and the next two queue behind it, to run as one batch that one
  // of their threads leads and that carries the other's write.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  DeferredWriterThread first(b, "/w/first");
  ASSERT_NO_FATAL_FAILURE(AwaitInFlightWrites(b, 1));
  DeferredWriterThread second(b, "/w/second"), third(b, "/w/third");
  ASSERT_NO_FATAL_FAILURE(AwaitInFlightWrites(b, 3));
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  for (DeferredWriterThread* w : {&first, &second, &third}) {
    const absl::Status wrote = w->Wrote();
    ASSERT_TRUE(wrote.ok()) << wrote;
  }
  EXPECT_EQ(b.write_transactions(), transactions + 2);  // [first], [second, third]
  EXPECT_EQ(b.commits(), commits);                      // one open transaction holds all three

  LoseOpenTransaction(b, FileId(path_ + "-wal"));
  absl::Status unrelated = absl::UnknownError("not synced");
  std::thread([&] {
    {
      DeferredDurability defer;
      ASSERT_TRUE(b.Put(ItemOf("/u", "e")).ok());
    }
    unrelated = SyncNow(b);
  }).join();
  EXPECT_TRUE(unrelated.ok()) << unrelated;
  for (DeferredWriterThread* w : {&first, &second, &third}) {
    EXPECT_STATUS(w->Sync(), absl::StatusCode::kUnavailable,
                  "storage: sqlite: deferred writes were rolled back (commit: disk I/O error)");
  }
  EXPECT_EQ(CommittedCount(path_, "/w/"), 0);
  EXPECT_EQ(CommittedCount(path_, "/u"), 1);
}

// Only the newest 64 losses are kept. A Sync asked before the loss it
// needs was pruned (the sync thread was busy meanwhile) still fails, though
// every loss still kept lies after its window; one whose window starts
// after the pruned losses and holds none succeeds.
TEST_F(SqliteBackendTest, ASyncThatMayNeedAPrunedLossFailsAndOneAfterThemDoesNot) {
  auto backend = Open(absl::Hours(1));  // only Sync commits
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  ASSERT_TRUE(b.Put(ItemOf("/k", "v")).ok());
  const std::pair<dev_t, ino_t> wal = FileId(path_ + "-wal");
  ASSERT_NE(wal.second, 0u);
  // Hold the sync thread in a callback: the Syncs below wait behind it.
  absl::Notification in_sync, release;
  b.Sync([&](absl::Status) {
    in_sync.Notify();
    release.WaitForNotification();
  });
  in_sync.WaitForNotification();

  absl::Status early = absl::UnknownError("not called"), late = absl::UnknownError("not called");
  absl::Notification early_done, late_done;
  std::thread([&] {
    {
      DeferredDurability defer;
      ASSERT_TRUE(b.Put(ItemOf("/events/early", "e")).ok());
    }
    LoseOpenTransaction(b, wal);
    b.Sync([&](absl::Status s) {
      early = std::move(s);
      early_done.Notify();
    });
  }).join();
  // 64 more losses, all after the early Sync's window; its own is pruned.
  for (int i = 0; i < 64; ++i) {
    {
      DeferredDurability defer;
      ASSERT_TRUE(b.Put(ItemOf(absl::StrCat("/events/", i), "e")).ok());
    }
    LoseOpenTransaction(b, wal);
  }
  std::thread([&] {
    {
      DeferredDurability defer;
      ASSERT_TRUE(b.Put(ItemOf("/late", "e")).ok());
    }
    b.Sync([&](absl::Status s) {
      late = std::move(s);
      late_done.Notify();
    });
  }).join();
  release.Notify();
  early_done.WaitForNotification();
  late_done.WaitForNotification();
  EXPECT_STATUS(early, absl::StatusCode::kUnavailable,
                "storage: sqlite: deferred writes were rolled back (commit: disk I/O error)");
  EXPECT_TRUE(late.ok()) << late;
  EXPECT_EQ(CommittedCount(path_, "/events/"), 0);
  EXPECT_EQ(CommittedCount(path_, "/late"), 1);
}

TEST_F(SqliteBackendTest, AFailedFlushFailsEveryLaterSyncAndWrite) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  // Every descriptor open on the WAL (SQLite's and the sync thread's) is
  // pointed at a pipe, where fdatasync fails (EINVAL); the originals are kept.
  const std::pair<dev_t, ino_t> wal = FileId(path_ + "-wal");
  ASSERT_NE(wal.second, 0u);
  BrokenWal broken(wal);
  ASSERT_GE(broken.descriptors(), 2u) << "the sync thread keeps its own descriptor on the WAL";
  const absl::Status failed = SyncNow(b);
  // The disk is fine again, but nothing written before can be vouched for.
  broken.Restore();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), ::testing::HasSubstr("storage: sqlite: sync "));
  EXPECT_THAT(failed.message(), ::testing::HasSubstr("enlist.db-wal: "));
  const absl::Status later = SyncNow(b);
  EXPECT_EQ(later.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(later.message(), failed.message());
  auto written = b.Put(ItemOf("/k", "v"));
  EXPECT_EQ(written.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(written.status().message()),
              ::testing::StartsWith("storage: sqlite: put /k: written but not known to be "
                                    "durable: sync "));
  EXPECT_TRUE(b.Get("/k").ok());  // committed and visible all the same
}

TEST_F(SqliteBackendTest, ClosingRunsTheSyncCallbacksStillWaiting) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  {
    DeferredDurability defer;
    ASSERT_TRUE((*backend)->Put(ItemOf("/k", "v")).ok());
  }
  std::atomic<int> called{0};
  for (int i = 0; i < 5; ++i) {
    (*backend)->Sync([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      called.fetch_add(1);
    });
  }
  backend->reset();
  EXPECT_EQ(called.load(), 5);
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->Get("/k").ok());
}

TEST_F(SqliteBackendTest, ConcurrentSyncsAllComplete) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  constexpr int kThreads = 8, kWrites = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        {
          DeferredDurability defer;
          ASSERT_TRUE(b.Put(ItemOf(absl::StrCat("/events/", t, "/", i), "e")).ok());
        }
        absl::Notification synced;
        b.Sync([&](absl::Status s) {
          EXPECT_TRUE(s.ok()) << s;
          synced.Notify();
        });
        synced.WaitForNotification();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto count = b.Count(KeyRange::Prefix("/events/"));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, kThreads * kWrites);
}

// Writes that queue behind a busy connection commit together: one
// transaction (one fsync) for many, each at its own revision, and one that
// fails (Create of an existing key) changes nothing and fails alone.
TEST_F(SqliteBackendTest, GroupCommitSharesTransactionsAndIsolatesFailures) {
  Seed();
  SqliteOptions options;
  options.data_dir = dir_;
  options.clock = &clock_;
  options.busy_timeout = absl::Seconds(60);
  auto backend = SqliteBackend::Open(options);
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  const int64_t start_revision = *b.CurrentRevision();
  const int64_t start_transactions = b.write_transactions();

  // Another connection holds the write lock, so the first write waits in
  // BEGIN and the others queue behind it.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  constexpr int kWrites = 8;  // write 3 fails, the others succeed
  std::vector<absl::StatusOr<int64_t>> results(kWrites, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kWrites; ++i) {
    threads.emplace_back([&, i] {
      Item item;
      item.key = i == 3 ? "/k" : absl::StrCat("/w/", i);
      item.value = absl::StrCat("value ", i);
      results[i] = b.Create(item);
    });
  }
  // Nothing can finish while the lock is held: wait until all have called.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (b.in_flight_writes() < kWrites && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(b.in_flight_writes(), static_cast<size_t>(kWrites));
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  for (auto& t : threads) t.join();

  // The first write's batch, then everything queued behind it.
  EXPECT_LE(b.write_transactions() - start_transactions, 2);
  EXPECT_EQ(b.in_flight_writes(), 0u);
  EXPECT_STATUS(results[3].status(), absl::StatusCode::kAlreadyExists,
                "storage: sqlite: create /k: already exists");
  std::set<int64_t> revisions;
  for (int i = 0; i < kWrites; ++i) {
    if (i == 3) continue;
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    revisions.insert(*results[i]);
  }
  // Seven successes at seven consecutive revisions; the failure took none.
  ASSERT_EQ(revisions.size(), static_cast<size_t>(kWrites - 1));
  EXPECT_EQ(*revisions.begin(), start_revision + 1);
  EXPECT_EQ(*revisions.rbegin(), start_revision + kWrites - 1);
  EXPECT_EQ(*b.CurrentRevision(), start_revision + kWrites - 1);

  // Durable and as written, also after reopening.
  backend->reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->Get("/k")->value, "v");
  for (int i = 0; i < kWrites; ++i) {
    if (i == 3) continue;
    auto item = (*reopened)->Get(absl::StrCat("/w/", i));
    ASSERT_TRUE(item.ok()) << item.status();
    EXPECT_EQ(item->value, absl::StrCat("value ", i));
    EXPECT_EQ(item->revision, *results[i]);
  }
}

// Many threads writing at once: every write lands exactly once, each at its
// own revision, with no revision skipped.
TEST_F(SqliteBackendTest, ConcurrentWritersLandOnceAtDistinctRevisions) {
  auto backend = Open();
  ASSERT_TRUE(backend.ok()) << backend.status();
  SqliteBackend& b = **backend;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::vector<int64_t>> revisions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Item item;
        item.key = absl::StrCat("/c/", t, "/", i);
        item.value = item.key;
        auto r = b.Put(item);
        revisions[t].push_back(r.ok() ? *r : -1);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& v : revisions) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread);
  EXPECT_EQ(*b.Count(KeyRange::Prefix("/c/")), kThreads * kPerThread);
}

}  // namespace
}  // namespace enlist::storage
