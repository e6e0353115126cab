// HttpClient on libcurl (Debian's libcurl4-openssl-dev, so it links OpenSSL
// 3: keep it out of crypto-only targets; depend on //core/http:http_client
// there and inject this at the binary).
#ifndef ENLIST_CORE_HTTP_CURL_HTTP_CLIENT_H_
#define ENLIST_CORE_HTTP_CURL_HTTP_CLIENT_H_

#include <string>

#include "core/http/http_client.h"

namespace enlist::http {

// CurlHttpClient performs each request on its own libcurl easy handle, so it
// is thread-safe and holds no connection pool. Only http and https are
// allowed (also for redirects); TLS peers are verified against the system CA
// store. Error texts and codes are those documented on HttpClient; in
// particular a timeout reads
//   Get "<url>": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
// (or "... while reading body" once headers arrived), a refused connection
//   Get "<url>": dial tcp <ip>:<port>: connect: connection refused
// and an oversized body (kResourceExhausted)
//   Get "<url>": response body too large (limit N bytes)
//
// Proxies: libcurl honours the environment variables http_proxy (lowercase
// only, per libcurl), HTTPS_PROXY/https_proxy, ALL_PROXY and NO_PROXY/no_proxy.
// Set Options::use_environment_proxy = false for link-local endpoints such as
// IMDS (169.254.169.254), which must never go through a proxy.
class CurlHttpClient final : public HttpClient {
 public:
  struct Options {
    // Honour the proxy environment variables (libcurl's default behaviour).
    bool use_environment_proxy = true;
    // The User-Agent header.
    std::string user_agent = "enlist/0";
    // Cap on the total size of response headers.
    size_t max_header_bytes = 64 * 1024;
  };

  CurlHttpClient() : CurlHttpClient(Options()) {}
  // Initialises libcurl globally on first construction (thread-safe).
  explicit CurlHttpClient(Options options);

  absl::StatusOr<HttpResponse> Get(const HttpRequest& request) override;
  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;

 private:
  absl::StatusOr<HttpResponse> Perform(bool post, const HttpRequest& request);

  Options options_;
};

}  // namespace enlist::http

#endif  // ENLIST_CORE_HTTP_CURL_HTTP_CLIENT_H_
