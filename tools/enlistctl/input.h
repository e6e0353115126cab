// Reading enlistctl's input files, where "-" means standard input, with a
// size cap: the one reader behind `create -f` and `azure inspect`'s inputs.
#ifndef ENLIST_TOOLS_ENLISTCTL_INPUT_H_
#define ENLIST_TOOLS_ENLISTCTL_INPUT_H_

#include <istream>
#include <string>

#include "absl/status/statusor.h"

namespace enlist::ctl {

// How `path` is named in messages: "<stdin>" for "-", else the path.
std::string InputName(const std::string& path);

// Reads `path` whole, or `stdin_stream` when `path` is "-", stopping as soon
// as more than `max_bytes` arrive. kInvalidArgument "read <name>: larger
// than <max_bytes> bytes" past the cap; a file's other errors as
// ReadFileCapped (kNotFound, kUnavailable); kUnavailable when the stream
// fails. Does not close or rewind the stream.
absl::StatusOr<std::string> ReadInput(const std::string& path, size_t max_bytes,
                                      std::istream& stdin_stream);

}  // namespace enlist::ctl

#endif  // ENLIST_TOOLS_ENLISTCTL_INPUT_H_
