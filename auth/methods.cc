#include "auth/methods.h"

#include "core/util/status_macros.h"
#include "methods/azure/auth/register_azure_auth.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::auth {

absl::Status RegisterBuiltinAuthMethods(join::AuthRegistry& registry) {
  // ADD AUTH METHODS HERE, one line each (and the dep in auth/BUILD.bazel
  // :methods). Auth halves only: the auth server never links a solver.
  ENLIST_RETURN_IF_ERROR(token_method::RegisterTokenAuth(registry));
  ENLIST_RETURN_IF_ERROR(azure::RegisterAzureAuth(registry));
  return absl::OkStatus();
}

}  // namespace enlist::auth
