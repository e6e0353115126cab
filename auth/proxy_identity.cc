#include "auth/proxy_identity.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/security/auth_context.h"

namespace enlist::auth {
namespace {

bool LooksLikeIp(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
         (s.find('.') != std::string::npos || s.find(':') != std::string::npos);
}

}  // namespace

absl::Status WriteProxyIdentity(const ca::ClusterCa& ca, const std::string& dir,
                                const std::string& name, const std::vector<std::string>& names,
                                const Clock& clock) {
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("proxy identity: name \"", name, "\" must be 1-64 of [A-Za-z0-9._-]"));
  }
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  const std::string cert_path = absl::StrCat(dir, "/", kProxyCertFile);
  if (ReadFileCapped(cert_path, 64 * 1024).ok()) return absl::OkStatus();
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, ca::GenerateP256Key());
  ca::CertProfile p;
  p.common_name = absl::StrCat("enlist proxy ", name);
  p.uris = {absl::StrCat(kProxyUriPrefix, name)};
  p.dns_names = {"localhost"};
  p.ip_addresses = {"127.0.0.1", "::1"};
  for (const std::string& n : names) {
    if (n.empty() || n == "0.0.0.0" || n == "::") continue;
    auto& list = LooksLikeIp(n) ? p.ip_addresses : p.dns_names;
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }
  p.server_auth = true;
  p.client_auth = true;
  p.not_before = clock.Now() - absl::Minutes(5);
  p.not_after = clock.Now() + absl::Hours(24 * 365);
  ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert,
                          ca::IssueCertificate(p, *key, &ca.tls_cert(), ca.tls_key()));
  ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, ca::CertificatePem(*cert));
  ENLIST_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyPem(*key));
  ENLIST_RETURN_IF_ERROR(
      WriteFileAtomic(absl::StrCat(dir, "/", kProxyCaFile), ca.tls_cert_pem(), 0600));
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir, "/", kProxyKeyFile), key_pem, 0600));
  // The chain includes the CA so agents holding only its pin can verify it.
  return WriteFileAtomic(cert_path, cert_pem + ca.tls_cert_pem(), 0600);
}

bool IsProxyPeer(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return false;
  std::vector<grpc::string_ref> pem = auth->FindPropertyValues("x509_pem_cert");
  if (pem.empty()) return false;
  auto certs = crypto::ParseCertificatesPem(absl::string_view(pem[0].data(), pem[0].size()), 1);
  if (!certs.ok() || certs->empty()) return false;
  for (const std::string& uri : crypto::UriNames(*(*certs)[0])) {
    if (absl::StartsWith(uri, kProxyUriPrefix) && uri.size() > sizeof(kProxyUriPrefix) - 1) {
      return true;
    }
  }
  return false;
}

}  // namespace enlist::auth
