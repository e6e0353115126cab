// Checks that a certificate names a host inside an allowed DNS domain: the
// signer of an Azure attested document must be metadata.azure.com or one of
// its subdomains (eastus.metadata.azure.com), never a look-alike
// (evilmetadata.azure.com). Thread-safe.
#ifndef ENLIST_CORE_CRYPTO_CERT_NAME_H_
#define ENLIST_CORE_CRYPTO_CERT_NAME_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/crypto/ptr.h"

namespace enlist::crypto {

// Returns true when DNS name `name` equals `domain` or ends in "." + `domain`
// (label boundary), ASCII case-insensitively, ignoring one trailing dot on
// either. A wildcard name ("*.eastus.metadata.azure.com") matches when its
// non-wildcard part does. Empty names or domains never match.
bool NameInDomain(absl::string_view name, absl::string_view domain);

// Returns OK when one of the certificate's names is in one of
// `allowed_domains`. The names are the SAN dNSName entries, or, only when
// the certificate has no dNSName entry, the subject commonName (RFC 6125
// 6.4.4). Otherwise kUnauthenticated: "x509: name: certificate names [a, b]
// not in allowed domains [d]".
absl::Status CheckCertificateName(const X509& cert,
                                  const std::vector<std::string>& allowed_domains);

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_CERT_NAME_H_
