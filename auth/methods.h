// The join methods enlist-auth ships with: the single place a new method's
// auth half is registered.
#ifndef ENLIST_AUTH_METHODS_H_
#define ENLIST_AUTH_METHODS_H_

#include "absl/status/status.h"
#include "core/join/registry.h"

namespace enlist::auth {

// Registers every built-in method's auth half.
absl::Status RegisterBuiltinAuthMethods(join::AuthRegistry& registry);

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_METHODS_H_
