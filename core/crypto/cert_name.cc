#include "core/crypto/cert_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/crypto/cert.h"

namespace enlist::crypto {
namespace {

absl::string_view StripTrailingDot(absl::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

}  // namespace

bool NameInDomain(absl::string_view name, absl::string_view domain) {
  name = StripTrailingDot(name);
  domain = StripTrailingDot(domain);
  if (absl::StartsWith(name, "*.")) name.remove_prefix(2);
  if (name.empty() || domain.empty()) return false;
  if (absl::EqualsIgnoreCase(name, domain)) return true;
  // A subdomain: the name ends in ".<domain>", so the match falls on a label
  // boundary ("evilmetadata.azure.com" does not end in ".metadata.azure.com").
  if (name.size() <= domain.size() + 1) return false;
  const absl::string_view suffix = name.substr(name.size() - domain.size());
  return name[name.size() - domain.size() - 1] == '.' && absl::EqualsIgnoreCase(suffix, domain);
}

absl::Status CheckCertificateName(const X509& cert,
                                  const std::vector<std::string>& allowed_domains) {
  std::vector<std::string> names = DnsNames(cert);
  if (names.empty()) {
    std::optional<std::string> cn = CommonName(cert);
    if (cn) names.push_back(*cn);
  }
  for (const std::string& n : names) {
    for (const std::string& d : allowed_domains) {
      if (NameInDomain(n, d)) return absl::OkStatus();
    }
  }
  return absl::UnauthenticatedError(
      absl::StrCat("x509: name: certificate names [", absl::StrJoin(names, ", "),
                   "] not in allowed domains [", absl::StrJoin(allowed_domains, ", "), "]"));
}

}  // namespace enlist::crypto
