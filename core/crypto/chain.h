// X.509 path validation: leaf + untrusted intermediates -> a TrustStore, at
// a time the caller gives (no wall clock inside: pass the current time in
// production, a document's own creation time in tests).
//
// Thread-safe: no shared mutable state; the TrustStore may be shared.
#ifndef ENLIST_CORE_CRYPTO_CHAIN_H_
#define ENLIST_CORE_CRYPTO_CHAIN_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/crypto/cert.h"
#include "core/crypto/ptr.h"
#include "core/crypto/trust_store.h"

namespace enlist::crypto {

// A validated path.
struct VerifiedChain {
  // Leaf first, trust anchor last.
  std::vector<CertificateInfo> certificates;
  // The window in which every certificate of the path is valid: the latest
  // notBefore and the earliest notAfter. A result verified at time t holds
  // for any time in this window with the same trust store.
  absl::Time valid_from;
  absl::Time valid_until;
};

struct ChainOptions {
  // Most intermediates accepted from the caller.
  size_t max_intermediates = 10;
  // Longest path (intermediates between leaf and anchor).
  int max_depth = 10;
  // When true, any certificate of the TrustStore is an anchor, even one
  // that is not self-signed (a pinned cross-signed intermediate such as
  // "Microsoft TLS RSA Root G2 by DigiCert Global Root G2";
  // X509_V_FLAG_PARTIAL_CHAIN). When false the path must end at a
  // self-signed root of the store.
  bool allow_non_self_signed_anchors = false;
};

// Builds and validates a path from `leaf` through any of `intermediates`
// (untrusted, order irrelevant) to a root of `trust`, with all validity
// periods checked at `at`. Does not check names (cert_name.h) or revocation.
//
// Returns the path on success. Fails with kUnauthenticated when no valid
// path exists, with the libcrypto reason, depth and subject, e.g.
// "x509: chain: certificate has expired (depth 1, subject CN=...)" or
// "x509: chain: unable to get local issuer certificate (depth 0, ...)";
// kInvalidArgument when more than options.max_intermediates are given.
absl::StatusOr<VerifiedChain> VerifyChain(const X509& leaf,
                                          const std::vector<X509Ptr>& intermediates,
                                          const TrustStore& trust, absl::Time at,
                                          const ChainOptions& options = ChainOptions());

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_CHAIN_H_
