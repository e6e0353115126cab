#include "agent/methods.h"

#include "core/util/status_macros.h"
#include "methods/azure/agent/register_azure_agent.h"
#include "methods/token/agent/token_solver.h"

namespace enlist::agent {

absl::Status RegisterBuiltinAgentMethods(join::AgentRegistry& registry, log::Logger* logger) {
  // ADD AGENT METHODS HERE, one line each (and the dep in agent/BUILD.bazel
  // :methods). Agent halves only: the agent never links a checker.
  ENLIST_RETURN_IF_ERROR(token_method::RegisterTokenAgent(registry));
  ENLIST_RETURN_IF_ERROR(azure::RegisterAzureAgent(registry, logger));
  return absl::OkStatus();
}

}  // namespace enlist::agent
