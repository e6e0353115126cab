// OIDC discovery key provider: fetches an issuer's
// `<issuer-base>/.well-known/openid-configuration`, follows its `jwks_uri`,
// and caches the parsed key set per issuer.
//
// Cache policy (per issuer):
//  - keys are fresh for `cache_ttl` after a successful fetch;
//  - a fetch is attempted at most once per `min_refresh_interval`, whether it
//    is triggered by expiry, by an unknown kid (key rotation) or by a
//    previous failure: a flood of tokens with random kids costs one fetch
//    per interval, not one per token;
//  - with no keys at all (a fresh server while the IdP is down), fetches are
//    retried every `cold_retry_interval` instead, so joins recover within
//    seconds of the IdP coming back;
//  - when a refresh fails, the previous keys keep being served (stale);
//  - concurrent callers share one fetch (single flight per issuer); lookups
//    that hit fresh keys never wait for a fetch.
//
// The discovery document's "issuer" member is not compared with the base
// URL: Entra's multi-tenant documents carry a "{tenantid}" template there.
// Checking a token's "iss" against the expected tenant is the caller's job.
// An https issuer's jwks_uri must be https too.
#ifndef ENLIST_CORE_JWT_OIDC_H_
#define ENLIST_CORE_JWT_OIDC_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/http/http_client.h"
#include "core/jwt/jwks.h"
#include "core/util/clock.h"

namespace enlist::jwt {

// Tuning for OidcKeyProvider.
struct OidcOptions {
  // How long fetched keys count as fresh.
  absl::Duration cache_ttl = absl::Hours(6);
  // Minimum time between two fetch attempts for one issuer.
  absl::Duration min_refresh_interval = absl::Minutes(5);
  // Minimum time between fetch attempts while no keys were ever fetched
  // (capped by min_refresh_interval).
  absl::Duration cold_retry_interval = absl::Seconds(5);
  // Per-request deadline for the discovery document and the key set.
  absl::Duration request_timeout = absl::Seconds(10);
  // Response size cap for each of the two documents.
  size_t max_document_size = 256 * 1024;
  // Key set parsing. Unlike Jwks::Parse's default, keys of types we do not
  // implement are skipped, so an IdP adding e.g. an Ed25519 key does not
  // break verification with its RSA keys.
  JwksParseOptions jwks_options = [] {
    JwksParseOptions o;
    o.skip_unsupported_keys = true;
    return o;
  }();
};

// Counters since construction.
struct OidcStats {
  int64_t hits = 0;              // kid found in fresh keys
  int64_t misses = 0;            // kid not found (after any allowed refresh)
  int64_t refreshes = 0;         // fetch attempts
  int64_t refresh_failures = 0;  // fetch attempts that failed
  int64_t stale_served = 0;      // lookups answered from expired keys
};

// Thread-safe. Does not own `http` or `clock`; both must outlive it.
class OidcKeyProvider {
 public:
  OidcKeyProvider(http::HttpClient* http, const Clock* clock, OidcOptions options = {});
  OidcKeyProvider(const OidcKeyProvider&) = delete;
  OidcKeyProvider& operator=(const OidcKeyProvider&) = delete;

  // Returns the key `kid` of the issuer whose discovery document is at
  // `issuer_base` + "/.well-known/openid-configuration" (a trailing '/' on
  // `issuer_base` is ignored), e.g.
  // "https://login.microsoftonline.com/<tenant>/v2.0".
  //
  // Errors: kUnauthenticated `jwt: unknown kid "<kid>"` when the (possibly
  // just refreshed, possibly stale) keys lack it; kUnavailable
  // `oidc: "<issuer_base>": <cause>` when no keys were ever fetched, or when
  // the kid is unknown and the refresh that might have found it failed.
  absl::StatusOr<std::shared_ptr<const Jwk>> FindKey(absl::string_view issuer_base,
                                                     absl::string_view kid);

  // Returns a KeyResolver bound to one issuer, for jwt::Verify. It refers to
  // this provider, which must outlive it.
  std::unique_ptr<KeyResolver> ResolverFor(std::string issuer_base);

  // A snapshot of the counters.
  OidcStats stats() const;

 private:
  struct Entry {
    absl::Mutex mu;
    std::shared_ptr<const Jwks> keys ABSL_GUARDED_BY(mu);
    absl::Time fetched_at ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    absl::Time last_attempt ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    int64_t attempts ABSL_GUARDED_BY(mu) = 0;
    bool fetching ABSL_GUARDED_BY(mu) = false;
    absl::Status last_error ABSL_GUARDED_BY(mu);
    // Held for the whole of a fetch: one fetch per issuer at a time.
    absl::Mutex refresh_mu;
  };

  Entry* GetEntry(const std::string& issuer);
  // The minimum time between fetch attempts for `e` (shorter while cold).
  absl::Duration RetryInterval(const Entry& e) const ABSL_SHARED_LOCKS_REQUIRED(e.mu) {
    return e.keys == nullptr ? std::min(options_.cold_retry_interval, options_.min_refresh_interval)
                             : options_.min_refresh_interval;
  }
  // Fetches discovery + JWKS (no locks held by the caller except refresh_mu).
  absl::StatusOr<std::shared_ptr<const Jwks>> Fetch(const std::string& issuer);
  absl::StatusOr<std::string> FetchDocument(const std::string& issuer, const std::string& what,
                                            const std::string& url);

  http::HttpClient* const http_;
  const Clock* const clock_;
  const OidcOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  OidcStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::jwt

#endif  // ENLIST_CORE_JWT_OIDC_H_
