#include "auth/proxy_identity.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/security/auth_context.h"

namespace enlist::auth {

absl::Status WriteProxyIdentity(const ca::ClusterCa& ca, const std::string& dir,
                                const std::string& name, const std::vector<std::string>& names,
                                const Clock& clock) {
  // The certificate's common name is "enlist proxy <name>": at most 64
  // characters (RFC 5280's ub-common-name).
  if (name.empty() || name.size() > 51 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("proxy identity: name \"", name, "\" must be 1-51 of [A-Za-z0-9._-]"));
  }
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  const std::string cert_path = absl::StrCat(dir, "/", kProxyCertFile);
  if (ReadFileCapped(cert_path, 64 * 1024).ok()) return absl::OkStatus();
  ca::ServerTlsOptions o;
  o.uris = {absl::StrCat(kProxyUriPrefix, name)};
  o.client_auth = true;
  ENLIST_ASSIGN_OR_RETURN(
      ca::ServerTlsPem tls,
      ca::IssueServerTls(ca, absl::StrCat("enlist proxy ", name), names, clock, o));
  ENLIST_RETURN_IF_ERROR(
      WriteFileAtomic(absl::StrCat(dir, "/", kProxyCaFile), ca.tls_cert_pem(), 0600));
  ENLIST_RETURN_IF_ERROR(
      WriteFileAtomic(absl::StrCat(dir, "/", kProxyKeyFile), tls.key_pem, 0600));
  // The chain includes the CA so agents holding only its pin can verify it.
  return WriteFileAtomic(cert_path, tls.chain_pem, 0600);
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
