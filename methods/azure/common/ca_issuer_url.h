// Which AIA caIssuers URLs an intermediate certificate may be fetched from.
// Real Azure attested-document leaves carry exactly these shapes:
//   http(s)://www.microsoft.com/pkiops/certs/<name>.crt
//   http(s)://www.microsoft.com/pki/mscorp/<name>.crt
//   http(s)://caissuers.microsoft.com/pkiops/certs/<name>.crt
// Anything else (other hosts, ports, userinfo, queries, nested paths, "..")
// is refused, so a forged leaf cannot make agent or server fetch arbitrary
// URLs. Tests and the emulator replace the shapes by explicit prefixes.
#ifndef ENLIST_METHODS_AZURE_COMMON_CA_ISSUER_URL_H_
#define ENLIST_METHODS_AZURE_COMMON_CA_ISSUER_URL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace enlist::azure {

// Returns true when `url` may be fetched. With `override_prefixes` empty the
// three Microsoft shapes above apply; otherwise exactly: `url` starts with
// one of the prefixes and the rest is "<name>.crt" with no '/', '?', '#',
// '\' or "..". Thread-safe, pure.
bool IsAllowedCaIssuerUrl(absl::string_view url,
                          const std::vector<std::string>& override_prefixes = {});

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_COMMON_CA_ISSUER_URL_H_
