#include "agent/methods.h"

#include "core/util/status_macros.h"
#include "methods/token/agent/token_solver.h"

namespace enlist::agent {

absl::Status RegisterBuiltinAgentMethods(join::AgentRegistry& registry) {
  ENLIST_RETURN_IF_ERROR(token_method::RegisterTokenAgent(registry));
  // ADD AGENT METHODS HERE, one line each (and the dep in agent/BUILD.bazel
  // :methods), e.g. once methods/azure/agent lands:
  //   ENLIST_RETURN_IF_ERROR(azure::RegisterAzureAgent(registry));
  return absl::OkStatus();
}

}  // namespace enlist::agent
