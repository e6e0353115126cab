// A fake HttpClient for tests: canned responses (or errors) per exact URL,
// and a record of every request. testonly.
#ifndef ENLIST_CORE_HTTP_FAKE_HTTP_CLIENT_H_
#define ENLIST_CORE_HTTP_FAKE_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/http/http_client.h"

namespace enlist::http {

// FakeHttpClient answers each request from a table keyed by the exact URL.
// A URL with no entry fails with kUnavailable
// `Get "<url>": dial tcp: connection refused (fake: no canned response)`.
// The body cap of the request is applied to canned bodies as the real client
// does (kResourceExhausted). Thread-safe.
class FakeHttpClient final : public HttpClient {
 public:
  // One recorded request.
  struct Call {
    std::string method;  // "GET" or "POST"
    HttpRequest request;
  };

  FakeHttpClient() = default;

  // Answers `url` with `response` (replacing any previous entry).
  void SetResponse(const std::string& url, HttpResponse response);
  // Shorthand for SetResponse with a status and body.
  void SetResponse(const std::string& url, int status, std::string body);
  // Answers `url` with the error `status` (use the Go-style message the real
  // client would produce, e.g. from UnavailableError(url)).
  void SetError(const std::string& url, absl::Status status);
  // Forgets the entry for `url` (it then fails as unknown).
  void Clear(const std::string& url);

  // Every request so far, in order.
  std::vector<Call> calls() const;
  // How many requests were made to `url`.
  int CallCount(const std::string& url) const;

  // Returns kUnavailable `Get "<url>": <cause>`: a convenient error to SetError.
  static absl::Status UnavailableError(const std::string& url,
                                       const std::string& cause = "connection refused");

  absl::StatusOr<HttpResponse> Get(const HttpRequest& request) override;
  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;

 private:
  absl::StatusOr<HttpResponse> Do(const std::string& method, const HttpRequest& request);

  mutable absl::Mutex mu_;
  std::map<std::string, absl::StatusOr<HttpResponse>> table_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::http

#endif  // ENLIST_CORE_HTTP_FAKE_HTTP_CLIENT_H_
