#include "tools/enlistctl/input.h"

#include "absl/strings/str_cat.h"
#include "core/util/file.h"

namespace enlist::ctl {

std::string InputName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

absl::StatusOr<std::string> ReadInput(const std::string& path, size_t max_bytes,
                                      std::istream& stdin_stream) {
  if (path != "-") return ReadFileCapped(path, max_bytes);
  std::string text;
  char buf[16384];
  while (stdin_stream.read(buf, sizeof buf) || stdin_stream.gcount() > 0) {
    const size_t n = static_cast<size_t>(stdin_stream.gcount());
    // Checked before appending: a writer with gigabytes costs one buffer more.
    if (text.size() + n > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("read <stdin>: larger than ", max_bytes, " bytes"));
    }
    text.append(buf, n);
  }
  if (stdin_stream.bad()) return absl::UnavailableError("read <stdin>: input/output error");
  return text;
}

}  // namespace enlist::ctl
