#include "core/http/fake_http_client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace enlist::http {

void FakeHttpClient::SetResponse(const std::string& url, HttpResponse response) {
  absl::MutexLock l(&mu_);
  table_.insert_or_assign(url, std::move(response));
}

void FakeHttpClient::SetResponse(const std::string& url, int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  SetResponse(url, std::move(r));
}

void FakeHttpClient::SetError(const std::string& url, absl::Status status) {
  absl::MutexLock l(&mu_);
  table_.insert_or_assign(url, std::move(status));
}

void FakeHttpClient::Clear(const std::string& url) {
  absl::MutexLock l(&mu_);
  table_.erase(url);
}

std::vector<FakeHttpClient::Call> FakeHttpClient::calls() const {
  absl::MutexLock l(&mu_);
  return calls_;
}

int FakeHttpClient::CallCount(const std::string& url) const {
  absl::MutexLock l(&mu_);
  int n = 0;
  for (const Call& c : calls_) {
    if (c.request.url == url) ++n;
  }
  return n;
}

absl::Status FakeHttpClient::UnavailableError(const std::string& url, const std::string& cause) {
  return absl::UnavailableError(absl::StrCat(ErrorPrefix("Get", url), cause));
}

absl::StatusOr<HttpResponse> FakeHttpClient::Get(const HttpRequest& request) {
  return Do("GET", request);
}

absl::StatusOr<HttpResponse> FakeHttpClient::Post(const HttpRequest& request) {
  return Do("POST", request);
}

absl::StatusOr<HttpResponse> FakeHttpClient::Do(const std::string& method,
                                                 const HttpRequest& request) {
  absl::MutexLock l(&mu_);
  calls_.push_back(Call{method, request});
  const std::string verb = method == "GET" ? "Get" : "Post";
  auto it = table_.find(request.url);
  if (it == table_.end()) {
    return absl::UnavailableError(absl::StrCat(
        ErrorPrefix(verb, request.url), "dial tcp: connection refused (fake: no canned response)"));
  }
  if (!it->second.ok()) return it->second.status();
  if (it->second->body.size() > request.max_response_size) {
    return absl::ResourceExhaustedError(absl::StrCat(ErrorPrefix(verb, request.url),
                                                     "response body too large (limit ",
                                                     request.max_response_size, " bytes)"));
  }
  return *it->second;
}

}  // namespace enlist::http
