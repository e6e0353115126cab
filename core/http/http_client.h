// The project's one HTTP client interface. Implementations: CurlHttpClient
// (curl_http_client.h, real network) and FakeHttpClient (fake_http_client.h,
// canned responses for tests). Depending on this header alone pulls in no
// network or TLS library.
#ifndef ENLIST_CORE_HTTP_HTTP_CLIENT_H_
#define ENLIST_CORE_HTTP_HTTP_CLIENT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::http {

// A header as (name, value). Response header names are lowercased.
using Header = std::pair<std::string, std::string>;

// Default cap on a response body: 1 MiB.
inline constexpr size_t kDefaultMaxResponseSize = 1 << 20;

// One request. Only http:// and https:// URLs are allowed.
struct HttpRequest {
  // Absolute URL, e.g. "http://169.254.169.254/metadata/instance?api-version=2021-02-01".
  std::string url;
  // Extra request headers, sent in order (e.g. {"Metadata", "true"}).
  std::vector<Header> headers;
  // Request body (Post only).
  std::string body;
  // Whole-request deadline (connect + send + headers + body).
  absl::Duration timeout = absl::Seconds(10);
  // Bodies larger than this fail with kResourceExhausted; the transfer is
  // aborted as soon as the limit is passed (or up front from Content-Length).
  size_t max_response_size = kDefaultMaxResponseSize;
  // When false (default) a 3xx is returned as the response, unfollowed.
  // When true, at most 5 redirects to http(s) URLs are followed.
  bool follow_redirects = false;
};

// A complete response. Any HTTP status (including 4xx/5xx/3xx) is a
// response, not an error: the caller decides what a status means.
struct HttpResponse {
  int status = 0;
  // All response headers of the final response, names lowercased, in order.
  std::vector<Header> headers;
  std::string body;

  // Returns the first value of header `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(absl::string_view name) const;
  // The Content-Type header, or "" when absent.
  std::string ContentType() const;
  // The Retry-After header as a delay (RFC 9110 §10.2.3, delay-seconds form
  // only; an HTTP-date or a malformed value gives nullopt).
  std::optional<absl::Duration> RetryAfter() const;
};

// Returns `url` as it may appear in an error message or log line: a
// password in the userinfo becomes "xxxxx" (as Go's url.Redacted does) and
// the values of query parameters that carry challenges or secrets (nonce,
// code, token, access_token, id_token, client_secret, sig, signature)
// become "REDACTED". Everything else is kept so errors stay useful.
std::string RedactUrl(absl::string_view url);

// Returns the Go-style error prefix `<Verb> "<redacted url>": `, e.g.
// `Get "http://x/y": `.
std::string ErrorPrefix(absl::string_view verb, absl::string_view url);

// Abstract HTTP client. Implementations are thread-safe: one instance may be
// shared by all threads.
//
// Errors (never for an HTTP status) read like Go's net/http, context first,
// with the URL passed through RedactUrl():
//   Get "<url>": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
//   Get "<url>": dial tcp 127.0.0.1:1: connect: connection refused
// with codes:
//   kUnavailable        network failure, DNS failure, timeout, TLS failure
//   kResourceExhausted  body above max_response_size
//   kInvalidArgument    malformed or non-http(s) URL
//   kInternal           the HTTP library itself failed (our bug)
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Performs a GET. See the class comment for errors.
  virtual absl::StatusOr<HttpResponse> Get(const HttpRequest& request) = 0;

  // Performs a POST of `request.body`. See the class comment for errors.
  virtual absl::StatusOr<HttpResponse> Post(const HttpRequest& request) = 0;
};

}  // namespace enlist::http

#endif  // ENLIST_CORE_HTTP_HTTP_CLIENT_H_
