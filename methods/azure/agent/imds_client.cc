#include "methods/azure/agent/imds_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/json/json.h"
#include "core/util/status_macros.h"

namespace enlist::azure {
namespace {

// A short, safe rendering of IMDS's JSON error ({"error":..,"error_description":..}).
std::string ErrorDetail(const std::string& body) {
  json::ParseOptions po;
  po.max_size = 64 * 1024;
  po.max_depth = 8;
  absl::StatusOr<json::Value> v = json::Parse(body, po);
  if (!v.ok() || !v->is_object()) return "";
  for (const char* key : {"error_description", "error", "message"}) {
    const json::Value* m = v->Find(key);
    if (m != nullptr && m->is_string()) {
      std::string s = m->string_value().substr(0, 200);
      for (char& c : s) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      }
      return absl::StrCat(": ", s);
    }
  }
  return "";
}

}  // namespace

std::string QueryEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

ImdsClient::ImdsClient(http::HttpClient* http, ImdsOptions options, const Clock* clock,
                       Sleeper* sleeper, std::function<double()> random_unit)
    : http_(http),
      options_(std::move(options)),
      clock_(clock),
      sleeper_(sleeper),
      random_unit_(std::move(random_unit)) {}

absl::StatusOr<std::string> ImdsClient::Get(const std::string& path_and_query, size_t max_size,
                                            absl::Time deadline) {
  if (clock_->Now() >= deadline) {
    return absl::DeadlineExceededError("azure: imds: deadline exceeded before the request");
  }
  http::HttpRequest req;
  req.url = absl::StrCat(options_.base_url, path_and_query);
  req.headers = {{"Metadata", "true"}};
  req.timeout = options_.request_timeout;
  req.max_response_size = max_size;
  RetryResult r = DoWithRetry([this](const http::HttpRequest& q) { return http_->Get(q); }, req,
                              options_.retry, deadline, *clock_, *sleeper_, random_unit_);
  if (!r.response.ok()) {
    const absl::Status& s = r.response.status();
    if (absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) {
      return absl::UnavailableError(absl::StrCat(
          "azure: imds: ", s.message(), " (after ", r.attempts,
          " attempts; is this running on an Azure VM? the instance metadata service at ",
          options_.base_url, " did not answer)"));
    }
    return absl::Status(s.code(), absl::StrCat("azure: imds: ", s.message()));
  }
  const int status = r.response->status;
  if (status == 200) return std::move(r.response->body);
  std::string what = absl::StrCat("azure: imds: ", http::ErrorPrefix("Get", req.url), "HTTP ",
                                  status, ErrorDetail(r.response->body));
  if (IsRetryableStatus(status)) {
    return absl::UnavailableError(absl::StrCat(what, " (after ", r.attempts, " attempts)"));
  }
  return absl::FailedPreconditionError(what);
}

absl::StatusOr<std::string> ImdsClient::AttestedDocument(absl::string_view nonce,
                                                         absl::Time deadline) {
  return Get(absl::StrCat("/metadata/attested/document?api-version=",
                          QueryEscape(options_.api_version), "&nonce=", QueryEscape(nonce)),
             options_.max_document_size, deadline);
}

absl::StatusOr<std::string> ImdsClient::AccessToken(absl::string_view resource,
                                                    absl::string_view client_id,
                                                    absl::Time deadline) {
  std::string path = absl::StrCat("/metadata/identity/oauth2/token?api-version=",
                                  QueryEscape(options_.identity_api_version),
                                  "&resource=", QueryEscape(resource));
  if (!client_id.empty()) absl::StrAppend(&path, "&client_id=", QueryEscape(client_id));
  ENLIST_ASSIGN_OR_RETURN(std::string body, Get(path, options_.max_token_response_size, deadline));
  json::ParseOptions po;
  po.max_size = options_.max_token_response_size;
  po.max_depth = 4;
  absl::StatusOr<json::Value> v = json::Parse(body, po);
  if (!v.ok() || !v->is_object()) {
    return absl::UnavailableError("azure: imds: token response is not a JSON object");
  }
  absl::StatusOr<std::string> token = v->GetString("access_token");
  if (!token.ok()) {
    return absl::UnavailableError(absl::StrCat("azure: imds: token response: ",
                                               token.status().message()));
  }
  if (token->empty()) return absl::UnavailableError("azure: imds: empty access_token");
  return *std::move(token);
}

}  // namespace enlist::azure
