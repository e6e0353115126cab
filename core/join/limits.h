// Caps on everything a join peer controls.
#ifndef ENLIST_CORE_JOIN_LIMITS_H_
#define ENLIST_CORE_JOIN_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace enlist::join {

// Per-field size caps and per-stream bounds, enforced by both join sessions
// before any content is interpreted.
struct JoinLimits {
  absl::Duration stream_deadline = absl::Seconds(60);
  int max_rounds = 4;                     // challenge/solution rounds
  size_t max_token_name = 253;
  size_t max_method_name = 64;
  size_t max_role = 64;
  size_t max_host_name = 253;
  size_t max_tls_public_key = 2048;       // PKIX DER; P-256/Ed25519/RSA-4096 fit
  size_t max_ssh_public_key = 2048;
  size_t max_names = 64;                  // principals, DNS names
  size_t max_name = 253;
  size_t max_client_version = 128;
  size_t max_remote_addr = 128;
  size_t max_payload = 64 * 1024;         // one challenge or solution
  size_t max_result = 256 * 1024;         // the server's Result
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_LIMITS_H_
