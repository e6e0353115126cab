// The HTTP client `enlistctl azure inspect` gives the checker's own code:
// no network at all. It answers OIDC discovery and JWKS requests from one
// key set the operator supplied (--jwks) and refuses everything else (AIA
// intermediates, ARM) with an error naming the URL, so a verdict says what
// the auth server would have fetched.
#ifndef ENLIST_METHODS_AZURE_INSPECT_OFFLINE_HTTP_CLIENT_H_
#define ENLIST_METHODS_AZURE_INSPECT_OFFLINE_HTTP_CLIENT_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/http/http_client.h"

namespace enlist::azure::inspect {

// Suffix of the key-set URL this client names in the discovery documents it
// serves (under the requested issuer, so an https issuer gets https keys).
inline constexpr char kOfflineJwksSuffix[] = "/enlist-inspect/keys";

// Thread-safe.
class OfflineHttpClient final : public http::HttpClient {
 public:
  // `jwks` is the key set served for every issuer; empty: no keys, every
  // discovery request fails like an unreachable Entra ID.
  explicit OfflineHttpClient(std::string jwks) : jwks_(std::move(jwks)) {}

  // Serves "<issuer>/.well-known/openid-configuration" (a discovery document
  // whose jwks_uri is "<issuer>" + kOfflineJwksSuffix) and that key set when
  // a JWKS was given. Anything else fails with kUnavailable
  // `Get "<url>": offline: enlistctl azure inspect makes no network requests`.
  absl::StatusOr<http::HttpResponse> Get(const http::HttpRequest& request) override;
  // Always kUnavailable, as Get for an unknown URL.
  absl::StatusOr<http::HttpResponse> Post(const http::HttpRequest& request) override;

  // The URLs refused so far, in order (what the auth server would fetch).
  std::vector<std::string> refused() const;

 private:
  absl::Status Refuse(absl::string_view verb, const std::string& url);

  const std::string jwks_;
  mutable absl::Mutex mu_;
  std::vector<std::string> refused_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::azure::inspect

#endif  // ENLIST_METHODS_AZURE_INSPECT_OFFLINE_HTTP_CLIENT_H_
