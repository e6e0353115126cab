// A client of the Azure Instance Metadata Service (IMDS) for the join: the
// attested document and the managed identity's access token. Requests go to
// a configurable base URL (default http://169.254.169.254) with
// "Metadata: true" and a pinned api-version, each with a short timeout,
// retried with backoff on 429 / 5xx / connection errors (Retry-After
// honoured), bodies capped. Give it an HttpClient that bypasses proxies.
#ifndef ENLIST_METHODS_AZURE_AGENT_IMDS_CLIENT_H_
#define ENLIST_METHODS_AZURE_AGENT_IMDS_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/http/http_client.h"
#include "core/util/clock.h"
#include "methods/azure/common/retry.h"

namespace enlist::azure {

// The link-local IMDS address.
inline constexpr char kDefaultImdsUrl[] = "http://169.254.169.254";

// Tuning for ImdsClient.
struct ImdsOptions {
  std::string base_url = kDefaultImdsUrl;  // no trailing '/'
  // api-version of /metadata/attested/document.
  std::string api_version = "2021-02-01";
  // api-version of /metadata/identity/oauth2/token.
  std::string identity_api_version = "2018-02-01";
  absl::Duration request_timeout = absl::Seconds(5);
  RetryPolicy retry;
  size_t max_document_size = 32 * 1024;
  size_t max_token_response_size = 64 * 1024;
};

// Thread-safe. Does not own `http`, `clock` or `sleeper`.
class ImdsClient {
 public:
  // `random_unit` returns jitter in [0, 1) (injected for deterministic tests).
  ImdsClient(http::HttpClient* http, ImdsOptions options, const Clock* clock, Sleeper* sleeper,
             std::function<double()> random_unit);

  // GET /metadata/attested/document?api-version=V&nonce=<nonce>: the
  // response body unchanged. Errors as Get below.
  absl::StatusOr<std::string> AttestedDocument(absl::string_view nonce, absl::Time deadline);

  // GET /metadata/identity/oauth2/token?api-version=V&resource=<resource>
  // [&client_id=<id>]: the "access_token" of the response.
  absl::StatusOr<std::string> AccessToken(absl::string_view resource, absl::string_view client_id,
                                          absl::Time deadline);

  // Performs one IMDS GET of `path_and_query` with retries. Errors:
  // kUnavailable when IMDS cannot be reached (message ends with the hint
  // "is this running on an Azure VM?") or keeps answering 429/5xx;
  // kFailedPrecondition for another non-200 status, with IMDS's
  // error_description (e.g. no managed identity assigned);
  // kResourceExhausted for an oversized body; kDeadlineExceeded when
  // `deadline` passed before an answer.
  absl::StatusOr<std::string> Get(const std::string& path_and_query, size_t max_size,
                                  absl::Time deadline);

  // The options the client was built with.
  const ImdsOptions& options() const { return options_; }

 private:
  http::HttpClient* const http_;
  const ImdsOptions options_;
  const Clock* const clock_;
  Sleeper* const sleeper_;
  const std::function<double()> random_unit_;
};

// Percent-encodes `s` for a URL query value (RFC 3986 unreserved kept).
std::string QueryEscape(absl::string_view s);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AGENT_IMDS_CLIENT_H_
