// PUBLIC API (stable): the join methods Enlist ships, auth halves.
//
// Re-exports RegisterBuiltinAuthMethods (auth/methods.h): registers the
// auth halves of every built-in method ("token", "azure") into a
// join::AuthRegistry. kAlreadyExists when a name is already registered.
// An embedding program may skip it and register only the methods it wants
// (each method folder exposes its own Register...Auth function), plus its
// own methods.
#ifndef ENLIST_AUTH_PUBLIC_BUILTIN_METHODS_H_
#define ENLIST_AUTH_PUBLIC_BUILTIN_METHODS_H_

#include "auth/methods.h"

#endif  // ENLIST_AUTH_PUBLIC_BUILTIN_METHODS_H_
