// The token resources of `enlistctl create -f FILE|-`, read and checked
// before any connection is made.
#ifndef ENLIST_TOOLS_ENLISTCTL_TOKEN_INPUT_H_
#define ENLIST_TOOLS_ENLISTCTL_TOKEN_INPUT_H_

#include <istream>
#include <string>

#include "absl/status/statusor.h"

namespace enlist::ctl {

// A token file as read: sent to the auth server as it is.
struct TokenInput {
  // "<stdin>" or the path: how messages (ours and the server's) name it.
  std::string source;
  std::string yaml;
};

// Reads `path` ("-": `stdin_stream`) and checks it against the limits of the
// project's YAML edge (config::YamlLimits: size, nesting depth, number of
// documents) and its syntax: the checks the auth server applies before it
// reads any token, with the same code, so such a file fails here, naming
// it, instead of at the transport or the server. The tokens themselves
// (kind, fields, join method) are the server's to check.
// kInvalidArgument "read <source>: larger than 1048576 bytes",
// "<source>:<line>[:<column>]: yaml: nesting deeper than 32" or
// "<source>:<line>:<column>: yaml: <syntax error>"; other file errors as
// ReadInput.
absl::StatusOr<TokenInput> ReadTokenInput(const std::string& path, std::istream& stdin_stream);

}  // namespace enlist::ctl

#endif  // ENLIST_TOOLS_ENLISTCTL_TOKEN_INPUT_H_
