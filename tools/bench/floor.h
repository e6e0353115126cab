// The crypto floor of one Azure join on the auth side: the operations no
// implementation can skip, each timed in its own loop with OpenSSL 3.
#ifndef ENLIST_TOOLS_BENCH_FLOOR_H_
#define ENLIST_TOOLS_BENCH_FLOOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace enlist::bench {

// Microseconds per operation, in the order they happen in a join.
struct FloorResult {
  // (name, µs): rsa2048_verify_document, rsa2048_verify_jwt,
  // ecdsa_p256_sign_x509, ed25519_sign_ssh, tls_x25519_keygen_derive,
  // tls_ecdsa_p256_sign; plus, not in the sum, tls_p256_keygen_derive
  // (when a client prefers P-256 over X25519).
  std::vector<std::pair<std::string, double>> ops;
  // Sum of the six operations above.
  double floor_us = 0;
};

// Times each operation for about `seconds_per_op` seconds (at least 20
// iterations). kInternal when OpenSSL fails.
absl::StatusOr<FloorResult> MeasureFloor(double seconds_per_op);

}  // namespace enlist::bench

#endif  // ENLIST_TOOLS_BENCH_FLOOR_H_
