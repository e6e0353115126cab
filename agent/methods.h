// The join methods built into `enlist-agent`: the single place where agent
// halves are registered. Adding a method is one line in methods.cc plus its
// dependency in BUILD.bazel. Never register a checker (auth half) here.
#ifndef ENLIST_AGENT_METHODS_H_
#define ENLIST_AGENT_METHODS_H_

#include "absl/status/status.h"
#include "core/join/registry.h"
#include "core/log/logger.h"

namespace enlist::agent {

// Registers every built-in agent method ("token", "azure") into `registry`.
// Methods log their own warnings (e.g. a cached IMDS document) to `logger`
// (not owned, must outlive the registry; null: discarded). Fails with
// kAlreadyExists if a name is already registered.
absl::Status RegisterBuiltinAgentMethods(join::AgentRegistry& registry,
                                         log::Logger* logger = nullptr);

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_METHODS_H_
