// The join methods built into `enlist-agent`: the single place where agent
// halves are registered. Adding a method is one line in methods.cc plus its
// dependency in BUILD.bazel. Never register a checker (auth half) here.
#ifndef ENLIST_AGENT_METHODS_H_
#define ENLIST_AGENT_METHODS_H_

#include "absl/status/status.h"
#include "core/join/registry.h"

namespace enlist::agent {

// Registers every built-in agent method ("token"; "azure" once its agent
// half lands) into `registry`. Fails if a name is already registered.
absl::Status RegisterBuiltinAgentMethods(join::AgentRegistry& registry);

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_METHODS_H_
