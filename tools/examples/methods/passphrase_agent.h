// The agent half of the example `passphrase` join method (test-only),
// registered by the embedding daemon itself.
//
// Parameters (JoinParams::method_params):
//   word: "open sesame"
#ifndef ENLIST_TOOLS_EXAMPLES_METHODS_PASSPHRASE_AGENT_H_
#define ENLIST_TOOLS_EXAMPLES_METHODS_PASSPHRASE_AGENT_H_

#include "absl/status/status.h"
#include "core/join/registry.h"

namespace enlist::examples {

// Adds the agent half to `registry`; kAlreadyExists if the name is taken.
absl::Status RegisterPassphraseAgent(join::AgentRegistry& registry);

}  // namespace enlist::examples

#endif  // ENLIST_TOOLS_EXAMPLES_METHODS_PASSPHRASE_AGENT_H_
