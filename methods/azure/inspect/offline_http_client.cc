#include "methods/azure/inspect/offline_http_client.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/json/json.h"

namespace enlist::azure::inspect {
namespace {

constexpr absl::string_view kDiscoverySuffix = "/.well-known/openid-configuration";

}  // namespace

absl::Status OfflineHttpClient::Refuse(absl::string_view verb, const std::string& url) {
  {
    absl::MutexLock l(&mu_);
    refused_.push_back(http::RedactUrl(url));
  }
  return absl::UnavailableError(absl::StrCat(
      http::ErrorPrefix(verb, url), "offline: enlistctl azure inspect makes no network requests"));
}

absl::StatusOr<http::HttpResponse> OfflineHttpClient::Get(const http::HttpRequest& request) {
  const std::string& url = request.url;
  if (jwks_.empty()) return Refuse("Get", url);
  http::HttpResponse resp;
  resp.status = 200;
  resp.headers = {{"content-type", "application/json"}};
  if (absl::EndsWith(url, kDiscoverySuffix)) {
    json::Value doc = json::Value::Object();
    doc.Set("jwks_uri", json::Value::String(absl::StrCat(
                            url.substr(0, url.size() - kDiscoverySuffix.size()),
                            kOfflineJwksSuffix)));
    resp.body = json::Serialize(doc);
    return resp;
  }
  if (absl::EndsWith(url, kOfflineJwksSuffix)) {
    resp.body = jwks_;
    return resp;
  }
  return Refuse("Get", url);
}

absl::StatusOr<http::HttpResponse> OfflineHttpClient::Post(const http::HttpRequest& request) {
  return Refuse("Post", request.url);
}

std::vector<std::string> OfflineHttpClient::refused() const {
  absl::MutexLock l(&mu_);
  return refused_;
}

}  // namespace enlist::azure::inspect
