// Reading bounded files and writing files atomically. Identities and keys
// are written with WriteFileAtomic: a reader (or a crash) sees the old file
// or the new one, never a mix.
#ifndef ENLIST_CORE_UTIL_FILE_H_
#define ENLIST_CORE_UTIL_FILE_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist {

// Reads `path` whole. kNotFound if it does not exist, kInvalidArgument if it
// is larger than `max_bytes`, kUnavailable for other I/O errors.
absl::StatusOr<std::string> ReadFileCapped(const std::string& path, size_t max_bytes);

// Writes `data` to `path` through a temporary file in the same directory:
// write, fsync, chmod `mode`, rename over `path`, fsync the directory.
// On failure the previous content of `path` is untouched and the temporary
// file removed. kNotFound when the directory does not exist, kUnavailable for
// other errors; the message names the failing step and the errno text.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, int mode = 0600);

// fsyncs the directory `dir`, so that entries created or renamed in it
// survive a crash. kNotFound when it does not exist, kUnavailable for other
// errors ("open <dir>: ..." / "fsync <dir>: ...").
absl::Status SyncDirectory(const std::string& dir);

// Owns a file descriptor (closed on destruction unless released).
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  // Gives up ownership.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Creates `dir` and missing parents with `mode`; OK if it exists.
absl::Status MakeDirs(const std::string& dir, int mode = 0700);

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_FILE_H_
