// The auth server's storage failing under it, end to end: a read-only data
// directory and a full disk. Nothing half-written, precise errors, and the
// server works again once the condition is gone.
//
// Tests run as root in CI, and root ignores file modes (CAP_DAC_OVERRIDE).
// A read-only directory is therefore made real for enlist-auth by starting
// it under `setpriv` without CAP_DAC_OVERRIDE. Making the directory
// read-only *while* the server runs changes nothing for it: SQLite keeps its
// database and WAL open, and permissions are checked at open(2) only; the
// condition a running server can really meet is a full disk, tested with a
// small tmpfs mounted in a private mount namespace of this test process.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/testing/subprocess.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/hardening/azure_cluster.h"

namespace enlist::hardening {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

class StorageE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = AzureCluster::Start(
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
  }

  std::string HostId(const std::string& vm) {
    std::string out;
    if (cluster_->AgentStatus(vm, &out) != 0) return "";
    size_t at = out.find("\"host_id\":\"");
    return at == std::string::npos ? "" : out.substr(at + 11, 36);
  }

  std::unique_ptr<AzureCluster> cluster_;
};

TEST_F(StorageE2eTest, ReadOnlyDataDirIsRefusedAtStartNothingChangesThenRecovers) {
  ASSERT_TRUE(cluster_->StartAuth().ok());
  ASSERT_TRUE(cluster_->CreateTokens().ok());
  const int port = cluster_->port();
  cluster_->AgentConfig("vm-1");
  std::string out;
  ASSERT_EQ(cluster_->AgentJoin("vm-1", {"--max-attempts", "1"}, &out), 0) << out;
  const std::string host1 = HostId("vm-1");
  ASSERT_FALSE(host1.empty());
  ASSERT_TRUE(cluster_->StopAuth().ok());
  auto db_before = ReadFileCapped(cluster_->data_dir() + "/enlist.db", 64 << 20);
  ASSERT_TRUE(db_before.ok());

  // Read-only directory, and a server that cannot override file modes.
  ASSERT_EQ(::chmod(cluster_->data_dir().c_str(), 0500), 0);
  std::vector<std::string> wrapper;
  if (::geteuid() == 0) {
    wrapper = {"/usr/bin/setpriv",
               "--bounding-set",
               "-dac_override,-dac_read_search",
               "--inh-caps",
               "-dac_override,-dac_read_search",
               "--"};
  }
  auto rc = cluster_->RunAuthExpectingExit(wrapper, &out, absl::Seconds(30));
  ::chmod(cluster_->data_dir().c_str(), 0700);
  ASSERT_TRUE(rc.ok()) << rc.status() << out;
  EXPECT_EQ(*rc, 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("storage: sqlite: open ", cluster_->data_dir(),
                                          "/enlist.db: attempt to write a readonly database")));
  EXPECT_THAT(out, Not(HasSubstr("Auth service started")));
  EXPECT_EQ(*ReadFileCapped(cluster_->data_dir() + "/enlist.db", 64 << 20), *db_before);

  // Writable again: the same server (same CA pin, same hosts) serves.
  const std::string pin = cluster_->pin();
  ASSERT_TRUE(cluster_->StartAuth("", "", port).ok());
  EXPECT_EQ(cluster_->pin(), pin);
  cluster_->AgentConfig("vm-2");
  ASSERT_EQ(cluster_->AgentJoin("vm-2", {"--max-attempts", "1"}, &out), 0) << out;
  ASSERT_EQ(cluster_->Ctl({"get", "hosts", "--format", "json"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(host1));
  EXPECT_THAT(out, HasSubstr(HostId("vm-2")));
}

// Makes this process's mount namespace private and mounts a `size` tmpfs at
// `dir`. False (with *why) where the sandbox does not allow it.
bool MountSmallTmpfs(const std::string& dir, const std::string& size, std::string* why) {
  if (::unshare(CLONE_NEWNS) != 0) {
    *why = absl::StrCat("unshare(CLONE_NEWNS): ", std::strerror(errno));
    return false;
  }
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    *why = absl::StrCat("mount --make-rprivate /: ", std::strerror(errno));
    return false;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *why = absl::StrCat("mkdir ", dir, ": ", std::strerror(errno));
    return false;
  }
  const std::string opts = absl::StrCat("size=", size, ",mode=0700");
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
    *why = absl::StrCat("mount tmpfs: ", std::strerror(errno));
    return false;
  }
  return true;
}

// Writes `path` until the file system is full.
void FillUp(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string chunk(64 * 1024, 'x');
  for (;;) {
    ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
  }
  chunk.resize(1);
  while (::write(fd, chunk.data(), 1) == 1) {
  }
  ::fsync(fd);
  ::close(fd);
}

TEST_F(StorageE2eTest, DiskFullWhileRunningFailsJoinsCleanlyThenRecovers) {
  std::string why;
  if (!MountSmallTmpfs(cluster_->data_dir(), "16m", &why)) {
    GTEST_SKIP() << "cannot mount a small file system here (" << why << ")";
  }
  ASSERT_TRUE(cluster_->StartAuth().ok());
  ASSERT_TRUE(cluster_->CreateTokens().ok());
  cluster_->AgentConfig("vm-1");
  std::string out;
  ASSERT_EQ(cluster_->AgentJoin("vm-1", {"--max-attempts", "1"}, &out), 0) << out;
  const std::string host1 = HostId("vm-1");

  const std::string filler = cluster_->data_dir() + "/filler";
  FillUp(filler);
  // A join while the disk is full: refused with a precise, retryable code,
  // never an identity without a stored host. The join's writes wait in the
  // open transaction and its commit fails (or, if SQLite must spill to the
  // WAL earlier, the write itself does); the server log says why.
  auto full = cluster_->Join("vm-2");
  EXPECT_EQ(full.status().code(), absl::StatusCode::kUnavailable) << full.status();
  EXPECT_THAT(std::string(full.status().message()),
              AnyOf(HasSubstr("join: the auth server could not store the join, retry later"),
                    HasSubstr("database or disk is full")));
  EXPECT_THAT(cluster_->AuthOutput(), HasSubstr("database or disk is full"));
  cluster_->AgentConfig("vm-3");
  EXPECT_EQ(cluster_->AgentJoin("vm-3", {"--max-attempts", "1"}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("msg=\"Join failed, no attempts left.\""));
  EXPECT_FALSE(ReadFileCapped(cluster_->AgentDataDir("vm-3") + "/identity.pb", 1 << 20).ok());

  // Space again: joins work, earlier data intact, and the database opens
  // cleanly after a restart.
  ASSERT_EQ(::unlink(filler.c_str()), 0);
  EXPECT_EQ(cluster_->AgentJoin("vm-3", {"--max-attempts", "1"}, &out), 0) << out;
  const int port = cluster_->port();
  ASSERT_TRUE(cluster_->StopAuth().ok()) << cluster_->AuthOutput();
  ASSERT_TRUE(cluster_->StartAuth("", "", port).ok());
  ASSERT_EQ(cluster_->Ctl({"get", "hosts", "--format", "json"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(host1));
  EXPECT_THAT(out, HasSubstr(HostId("vm-3")));
  ASSERT_TRUE(cluster_->StopAuth().ok());
  ::umount2(cluster_->data_dir().c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace enlist::hardening
