#include "core/util/file.h"

#include <sys/stat.h>

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

}  // namespace
}  // namespace enlist
