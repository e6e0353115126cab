// Registers the `azure` agent method with the real network: IMDS through a
// libcurl client that never uses a proxy, Microsoft's PKI through one that
// honours the proxy environment. Links OpenSSL through libcurl.
#ifndef ENLIST_METHODS_AZURE_AGENT_REGISTER_AZURE_AGENT_H_
#define ENLIST_METHODS_AZURE_AGENT_REGISTER_AZURE_AGENT_H_

#include "absl/status/status.h"
#include "core/join/registry.h"
#include "core/log/logger.h"

namespace enlist::azure {

// Adds the `azure` method to `registry`; warnings (cached IMDS documents,
// refused AIA URLs) go to `logger` (not owned; null: discarded).
// kAlreadyExists if a method of that name is registered.
absl::Status RegisterAzureAgent(join::AgentRegistry& registry, log::Logger* logger = nullptr);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AGENT_REGISTER_AZURE_AGENT_H_
