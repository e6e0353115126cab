// Walks a certificate's AIA caIssuers URLs to collect its intermediate CA
// certificates: the agent does it for the attested document's signer before
// answering a challenge, the server does it (cached) for agents that sent
// none. Both apply the same URL rules (ca_issuer_url.h).
//
// The walk: from `leaf`, take the first allowed caIssuers URL whose fetch
// succeeds, parse the certificate (DER, or PEM), keep it when it really
// issued the current certificate, and continue from it. It stops without
// error at a self-signed certificate (not returned: roots come from the
// verifier's trust store), at a certificate without an allowed URL (logged),
// at a cycle (a certificate seen before), or after `max_hops`.
#ifndef ENLIST_METHODS_AZURE_COMMON_INTERMEDIATE_FETCHER_H_
#define ENLIST_METHODS_AZURE_COMMON_INTERMEDIATE_FETCHER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"
#include "core/http/http_client.h"
#include "core/log/logger.h"
#include "core/util/clock.h"

namespace enlist::azure {

// Tuning for IntermediateFetcher.
struct IntermediateFetchOptions {
  // When non-empty, replaces the Microsoft URL shapes (tests, emulator).
  std::vector<std::string> allowed_prefixes;
  // Most certificates fetched per walk.
  int max_hops = 10;
  // Per-request deadline.
  absl::Duration request_timeout = absl::Seconds(10);
  // Largest certificate accepted.
  size_t max_certificate_size = 64 * 1024;
  // When positive, fetched certificates are kept per URL for this long
  // (server side); zero disables the cache (agent side).
  absl::Duration cache_ttl = absl::ZeroDuration();
  // Most cached URLs.
  size_t cache_capacity = 256;
};

// Thread-safe. Does not own `http`, `clock` or `logger`; they outlive it.
class IntermediateFetcher {
 public:
  IntermediateFetcher(http::HttpClient* http, IntermediateFetchOptions options,
                      const Clock* clock = &RealClock::Get(),
                      log::Logger* logger = &log::Logger::Discard());

  // Returns the intermediates above `leaf`, nearest first (possibly none).
  // Fails only when an allowed URL was tried and every allowed URL of that
  // certificate failed: the code of the HTTP error (kUnavailable,
  // kResourceExhausted) or kUnavailable for an HTTP status, kInvalidArgument
  // for an unparsable certificate, kDeadlineExceeded when `deadline` passed,
  // with the message
  //   fetching intermediate certificate: Get "<url>": <cause>
  // Each request's timeout is capped by the time left before `deadline`.
  absl::StatusOr<std::vector<crypto::X509Ptr>> Walk(
      const X509& leaf, absl::Time deadline = absl::InfiniteFuture());

  // Fetches and parses one certificate (cache consulted). Same errors.
  absl::StatusOr<crypto::X509Ptr> Fetch(const std::string& url,
                                        absl::Time deadline = absl::InfiniteFuture());

  // Number of HTTP requests made so far.
  int fetches() const;

 private:
  struct CacheEntry {
    std::string der;
    absl::Time fetched_at;
  };

  http::HttpClient* const http_;
  const IntermediateFetchOptions options_;
  const Clock* const clock_;
  log::Logger* const logger_;
  mutable absl::Mutex mu_;
  std::map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_COMMON_INTERMEDIATE_FETCHER_H_
