// "Checker only": AzureChecker::Check in-process on one thread with warm
// caches (chain cache, JWKS), each verification on its own fresh document
// (nonce) signed beforehand by an in-process enlist-azure-emulator.
#ifndef ENLIST_TOOLS_BENCH_CHECKER_PHASE_H_
#define ENLIST_TOOLS_BENCH_CHECKER_PHASE_H_

#include <string>

#include "absl/status/statusor.h"

namespace enlist::bench {

struct CheckerResult {
  int verifications = 0;
  double seconds = 0;
  double per_second = 0;
  double us_each = 0;
  // CPU time of the timing thread per verification (µs).
  double cpu_us_each = 0;
};

// Pre-signs `verifications` documents (fresh nonces) and one token per VM
// of a `vms`-VM world, warms the checker with one check, then times
// `verifications` checks. `scratch_dir` receives the roots file. Fails with
// the first check's error (nothing is skipped).
absl::StatusOr<CheckerResult> RunCheckerPhase(int verifications, int vms,
                                              const std::string& scratch_dir);

}  // namespace enlist::bench

#endif  // ENLIST_TOOLS_BENCH_CHECKER_PHASE_H_
