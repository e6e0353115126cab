#include "core/http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace enlist::http {
namespace {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  HttpResponse response;
  size_t max_body = 0;
  size_t max_header_bytes = 0;
  size_t header_bytes = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
  bool headers_done = false;
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  Transfer* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  t->headers_done = true;
  if (t->response.body.size() + n > t->max_body) {
    t->body_too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

// Called once per header line, including each response's status line; when
// redirects are followed only the final response's headers are kept.
size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  Transfer* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  t->header_bytes += n;
  if (t->header_bytes > t->max_header_bytes) {
    t->headers_too_large = true;
    return 0;
  }
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    t->response.headers.clear();
    return n;
  }
  line = absl::StripTrailingAsciiWhitespace(line);
  if (line.empty()) {
    t->headers_done = true;
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  t->response.headers.emplace_back(std::move(name), std::move(value));
  return n;
}

// " host:port" of `url` as Go prints it in "dial tcp host:port", or "" if
// the URL does not parse. (libcurl leaves CURLINFO_PRIMARY_IP empty when the
// connection failed.)
std::string HostPort(const std::string& url) {
  CURLU* u = curl_url();
  if (u == nullptr) return "";
  std::string out;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    out = absl::StrCat(" ", host, ":", port);
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

CurlHttpClient::CurlHttpClient(Options options) : options_(std::move(options)) { GlobalInit(); }

absl::StatusOr<HttpResponse> CurlHttpClient::Get(const HttpRequest& request) {
  return Perform(false, request);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Post(const HttpRequest& request) {
  return Perform(true, request);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Perform(bool post, const HttpRequest& request) {
  const std::string prefix = ErrorPrefix(post ? "Post" : "Get", request.url);
  const std::string lower_url = absl::AsciiStrToLower(request.url);
  if (!absl::StartsWith(lower_url, "http://") && !absl::StartsWith(lower_url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "unsupported protocol scheme (only http and https)"));
  }
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError(absl::StrCat(prefix, "curl_easy_init failed"));
  CURL* c = curl.get();

  Transfer t;
  t.max_body = request.max_response_size;
  t.max_header_bytes = options_.max_header_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const Header& h : request.headers) {
    curl_slist* next = curl_slist_append(headers.get(), absl::StrCat(h.first, ": ", h.second).c_str());
    if (next == nullptr) return absl::InternalError(absl::StrCat(prefix, "curl_slist_append failed"));
    headers.release();
    headers.reset(next);
  }
  if (post) {
    // No "Expect: 100-continue" round trip.
    curl_slist* next = curl_slist_append(headers.get(), "Expect:");
    if (next == nullptr) return absl::InternalError(absl::StrCat(prefix, "curl_slist_append failed"));
    headers.release();
    headers.reset(next);
  }

  const long timeout_ms =
      std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
  bool ok = true;
  const auto set = [&](CURLcode rc) { ok = ok && rc == CURLE_OK; };
  set(curl_easy_setopt(c, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));  // required for timeouts in threads
  set(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf));
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
#else
  set(curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS));
  set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L));
  set(curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
  set(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.max_response_size)));
  set(curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str()));
  set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody));
  set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &t));
  set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader));
  set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &t));
  if (!options_.use_environment_proxy) set(curl_easy_setopt(c, CURLOPT_PROXY, ""));
  if (headers != nullptr) set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
  if (post) {
    set(curl_easy_setopt(c, CURLOPT_POST, 1L));
    set(curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data()));
    set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size())));
  }
  if (!ok) return absl::InternalError(absl::StrCat(prefix, "configuring libcurl failed"));

  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    t.response.status = static_cast<int>(status);
    return std::move(t.response);
  }

  if (t.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(absl::StrCat(
        prefix, "response body too large (limit ", request.max_response_size, " bytes)"));
  }
  if (t.headers_too_large) {
    return absl::ResourceExhaustedError(absl::StrCat(
        prefix, "response headers too large (limit ", options_.max_header_bytes, " bytes)"));
  }
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::UnavailableError(absl::StrCat(
          prefix, t.headers_done
                      ? "context deadline exceeded (Client.Timeout or context cancellation "
                        "while reading body)"
                      : "context deadline exceeded (Client.Timeout exceeded while awaiting "
                        "headers)"));
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
      const std::string addr = HostPort(request.url);
      std::string cause = os_errno == ECONNREFUSED ? "connection refused"
                          : os_errno != 0        ? std::strerror(static_cast<int>(os_errno))
                                                 : std::string(errbuf);
      return absl::UnavailableError(
          absl::StrCat(prefix, "dial tcp", addr, ": connect: ", cause));
    }
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return absl::UnavailableError(absl::StrCat(prefix, "dial tcp: lookup: ",
                                                 errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return absl::InternalError(absl::StrCat(prefix, curl_easy_strerror(rc)));
    default:
      // Everything else is the network or the peer: connection reset, TLS
      // failure, malformed response, too many redirects.
      return absl::UnavailableError(
          absl::StrCat(prefix, absl::AsciiStrToLower(errbuf[0] ? errbuf : curl_easy_strerror(rc))));
  }
}

}  // namespace enlist::http
