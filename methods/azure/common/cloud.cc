#include "methods/azure/common/cloud.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace enlist::azure {

absl::StatusOr<Cloud> CloudPreset(absl::string_view name) {
  if (name == "public" || name == "azurepubliccloud") {
    return Cloud{"public",
                 {"metadata.azure.com"},
                 "https://sts.windows.net",
                 "https://login.microsoftonline.com",
                 "https://management.azure.com/",
                 "https://management.azure.com"};
  }
  if (name == "usgovernment" || name == "azureusgovernment") {
    return Cloud{"usgovernment",
                 {"metadata.azure.us"},
                 "https://sts.windows.net",
                 "https://login.microsoftonline.us",
                 "https://management.usgovcloudapi.net/",
                 "https://management.usgovcloudapi.net"};
  }
  if (name == "china" || name == "azurechinacloud") {
    return Cloud{"china",
                 {"metadata.azure.cn"},
                 "https://sts.chinacloudapi.cn",
                 "https://login.chinacloudapi.cn",
                 "https://management.chinacloudapi.cn/",
                 "https://management.chinacloudapi.cn"};
  }
  if (name == "germany") {
    return Cloud{"germany",
                 {"metadata.microsoftazure.de"},
                 "https://sts.microsoftonline.de",
                 "https://login.microsoftonline.de",
                 "https://management.microsoftazure.de/",
                 "https://management.microsoftazure.de"};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "azure: unknown cloud \"", name, "\" (known: public, usgovernment, china, germany)"));
}

absl::Status CheckEndpointUrl(absl::string_view what, absl::string_view url, bool allow_http) {
  if (absl::StartsWith(url, "https://") && url.size() > 8) return absl::OkStatus();
  if (absl::StartsWith(url, "http://") && url.size() > 7) {
    if (allow_http) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": plain http:// URL \"", url, "\" needs allow_http: true"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": \"", url, "\" is not an absolute http(s) URL"));
}

std::string TrimTrailingSlash(absl::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

}  // namespace enlist::azure
