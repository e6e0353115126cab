#include "core/util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist {
namespace {

using ::testing::HasSubstr;

std::string TmpDir() { return std::getenv("TEST_TMPDIR"); }

TEST(FileTest, AtomicWriteReplacesWithMode0600) {
  std::string p = TmpDir() + "/id.pem";
  ASSERT_TRUE(WriteFileAtomic(p, "old").ok());
  ASSERT_TRUE(WriteFileAtomic(p, "new").ok());
  EXPECT_EQ(*ReadFileCapped(p, 100), "new");
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileTest, FailedWriteLeavesOldContent) {
  std::string p = TmpDir() + "/missing-dir/x";
  absl::Status s = WriteFileAtomic(p, "data");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("create " + p + ".tmp-"));
}

TEST(FileTest, ReadCapAndMissing) {
  std::string p = TmpDir() + "/big";
  ASSERT_TRUE(WriteFileAtomic(p, std::string(100, 'x')).ok());
  auto r = ReadFileCapped(p, 99);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("larger than 99 bytes"));
  EXPECT_EQ(ReadFileCapped(TmpDir() + "/nope", 10).status().code(), absl::StatusCode::kNotFound);
}

TEST(FileTest, MakeDirsCreatesParents) {
  std::string d = TmpDir() + "/a/b/c";
  ASSERT_TRUE(MakeDirs(d).ok());
  ASSERT_TRUE(MakeDirs(d).ok());
  struct stat st;
  ASSERT_EQ(::stat(d.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(FileTest, SyncDirectory) {
  EXPECT_TRUE(SyncDirectory(TmpDir()).ok());
  const std::string missing = TmpDir() + "/no-such-dir";
  absl::Status s = SyncDirectory(missing);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "open " + missing + ": No such file or directory");
  const std::string file = TmpDir() + "/plain-file";
  ASSERT_TRUE(WriteFileAtomic(file, "x").ok());
  s = SyncDirectory(file);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "open " + file + ": Not a directory");
}

TEST(FileTest, UniqueFdClosesUnlessReleased) {
  const std::string p = TmpDir() + "/fd-file";
  ASSERT_TRUE(WriteFileAtomic(p, "x").ok());
  int raw = -1;
  {
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    ASSERT_GE(raw, 0);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed
  int kept = -1;
  {
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    kept = fd.release();
    EXPECT_EQ(fd.get(), -1);
  }
  EXPECT_NE(::fcntl(kept, F_GETFD), -1);  // still open
  ::close(kept);
}

}  // namespace
}  // namespace enlist
