#include "auth/methods.h"

#include "core/util/status_macros.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::auth {

absl::Status RegisterBuiltinAuthMethods(join::AuthRegistry& registry) {
  ENLIST_RETURN_IF_ERROR(token_method::RegisterTokenAuth(registry));
  return absl::OkStatus();
}

}  // namespace enlist::auth
