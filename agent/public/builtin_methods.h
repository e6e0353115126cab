// PUBLIC API (stable): the join methods Enlist ships, agent halves.
//
// Re-exports RegisterBuiltinAgentMethods (agent/methods.h): registers the
// agent halves of every built-in method ("token", "azure") into a
// join::AgentRegistry; kAlreadyExists when a name is taken. An embedding
// daemon may register only the methods it wants, plus its own.
#ifndef ENLIST_AGENT_PUBLIC_BUILTIN_METHODS_H_
#define ENLIST_AGENT_PUBLIC_BUILTIN_METHODS_H_

#include "agent/methods.h"

#endif  // ENLIST_AGENT_PUBLIC_BUILTIN_METHODS_H_
