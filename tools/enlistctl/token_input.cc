#include "tools/enlistctl/token_input.h"

#include <utility>

#include "core/config/yaml.h"
#include "core/util/status_macros.h"
#include "tools/enlistctl/input.h"

namespace enlist::ctl {

absl::StatusOr<TokenInput> ReadTokenInput(const std::string& path, std::istream& stdin_stream) {
  // The server parses CreateTokens with these same default limits.
  const config::YamlLimits limits;
  TokenInput in;
  in.source = InputName(path);
  ENLIST_ASSIGN_OR_RETURN(in.yaml, ReadInput(path, limits.max_bytes, stdin_stream));
  ENLIST_RETURN_IF_ERROR(config::YamlNode::ParseAll(in.yaml, in.source, limits).status());
  return in;
}

}  // namespace enlist::ctl
