#include "methods/azure/common/ca_issuer_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace enlist::azure {
namespace {

constexpr size_t kMaxUrl = 512;

// "<name>.crt": non-empty name of printable characters without path,
// query, fragment or escape tricks.
bool IsCertFileName(absl::string_view rest) {
  if (!absl::EndsWith(rest, ".crt") || rest.size() <= 4) return false;
  if (absl::StrContains(rest, "..")) return false;
  for (char c : rest) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '\\' || c == '@') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsAllowedCaIssuerUrl(absl::string_view url, const std::vector<std::string>& override_prefixes) {
  if (url.size() > kMaxUrl) return false;
  if (!override_prefixes.empty()) {
    for (const std::string& p : override_prefixes) {
      if (!p.empty() && absl::StartsWith(url, p) && IsCertFileName(url.substr(p.size()))) {
        return true;
      }
    }
    return false;
  }
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    return false;
  }
  // Host names compare exactly (lowercase, no port, no userinfo).
  if (absl::ConsumePrefix(&rest, "www.microsoft.com/")) {
    if (absl::ConsumePrefix(&rest, "pkiops/certs/")) return IsCertFileName(rest);
    if (absl::ConsumePrefix(&rest, "pki/mscorp/")) return IsCertFileName(rest);
    return false;
  }
  if (absl::ConsumePrefix(&rest, "caissuers.microsoft.com/pkiops/certs/")) {
    return IsCertFileName(rest);
  }
  return false;
}

}  // namespace enlist::azure
