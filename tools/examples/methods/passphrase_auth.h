// The auth half of the example `passphrase` join method. It lives in the
// embedding program's own folder and is registered by that program: Enlist's
// code does not know it. TEST-ONLY: the passphrase is kept in the token in
// plain text.
//
// Token section:
//   spec:
//     join_method: passphrase
//     passphrase:
//       word: "open sesame"
#ifndef ENLIST_TOOLS_EXAMPLES_METHODS_PASSPHRASE_AUTH_H_
#define ENLIST_TOOLS_EXAMPLES_METHODS_PASSPHRASE_AUTH_H_

#include "absl/status/status.h"
#include "core/join/registry.h"

namespace enlist::examples {

// The method's name in tokens and agent parameters.
inline constexpr char kPassphraseMethod[] = "passphrase";

// Adds the auth half to `registry`; kAlreadyExists if the name is taken.
absl::Status RegisterPassphraseAuth(join::AuthRegistry& registry);

}  // namespace enlist::examples

#endif  // ENLIST_TOOLS_EXAMPLES_METHODS_PASSPHRASE_AUTH_H_
