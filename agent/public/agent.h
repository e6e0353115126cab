// PUBLIC API (stable): the agent with retries and a data directory, and
// the host-side types every public agent header uses.
//
// Re-exported from their headers, where each is documented symbol by
// symbol:
//   agent/agent.h      Agent (Create, LoadIdentity, Join with backoff,
//                      EnsureJoined), AgentOptions, AgentDeps,
//                      LogJoinFailure, kClientVersion
//   agent/identity.h   Identity (the issued certificates and their
//                      validity), MakeIdentity, IdentityStore
//   agent/keys.h       HostKeys, TlsKeyType, LoadOrCreateHostKeys,
//                      LoadHostKeys, ParseTlsKeyType
//   agent/sleeper.h    Sleeper, StopSource (interruptible waits: stopping
//                      it ends retries and the renewal loop)
//   agent/backoff.h    BackoffPolicy, IsRetryable
//   core/config/agent_config.h  AgentConfig, ParseAgentConfig (the seed's
//                      agent config file format)
// Other declarations in those headers (e.g. "exposed for tests") are not
// part of the stable API.
#ifndef ENLIST_AGENT_PUBLIC_AGENT_H_
#define ENLIST_AGENT_PUBLIC_AGENT_H_

#include "agent/agent.h"
#include "agent/backoff.h"
#include "agent/identity.h"
#include "agent/keys.h"
#include "agent/sleeper.h"
#include "core/config/agent_config.h"

#endif  // ENLIST_AGENT_PUBLIC_AGENT_H_
