#include "auth/ca/cluster_ca.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::ca {
namespace {

constexpr size_t kMaxFile = 64 * 1024;
constexpr absl::Duration kCaLifetime = absl::Hours(24 * 365 * 10);

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

}  // namespace

absl::StatusOr<ClusterCaFiles> GenerateClusterCaFiles(const std::string& cluster_name,
                                                      const Clock& clock) {
  // The CA's common name is "<cluster_name> Enlist CA", at most 64
  // characters (RFC 5280's ub-common-name).
  static constexpr absl::string_view kCaNameSuffix = " Enlist CA";
  if (cluster_name.size() + kCaNameSuffix.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ca: cluster_name is ", cluster_name.size(), " characters; a new CA needs at most ",
        64 - kCaNameSuffix.size(), " (its common name is \"<cluster_name> Enlist CA\")"));
  }
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr tls_key, GenerateP256Key());
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr ssh_key, GenerateEd25519Key());
  CertProfile p;
  p.common_name = absl::StrCat(cluster_name, kCaNameSuffix);
  p.is_ca = true;
  p.not_before = clock.Now() - absl::Minutes(5);
  p.not_after = clock.Now() + kCaLifetime;
  ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert, IssueCertificate(p, *tls_key, nullptr, *tls_key));
  ClusterCaFiles files;
  ENLIST_ASSIGN_OR_RETURN(files.tls_key_pem, PrivateKeyPem(*tls_key));
  ENLIST_ASSIGN_OR_RETURN(files.ssh_key_pem, PrivateKeyPem(*ssh_key));
  ENLIST_ASSIGN_OR_RETURN(files.tls_cert_pem, CertificatePem(*cert));
  return files;
}

absl::StatusOr<ClusterCaFiles> ReadClusterCaFiles(const std::string& data_dir) {
  const std::string dir = data_dir + "/ca";
  const std::string key_path = dir + "/tls-ca.key", cert_path = dir + "/tls-ca.crt",
                    ssh_path = dir + "/ssh-host-ca.key";
  int present = Exists(key_path) + Exists(cert_path) + Exists(ssh_path);
  if (present == 0) return absl::NotFoundError(absl::StrCat("ca: ", dir, " holds no CA"));
  if (present != 3) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ca: ", dir, " is incomplete (expected tls-ca.key, tls-ca.crt, ssh-host-ca.key); "
        "restore it from backup: a new CA would invalidate every agent's CA pin"));
  }
  ClusterCaFiles files;
  ENLIST_ASSIGN_OR_RETURN(files.tls_key_pem, ReadFileCapped(key_path, kMaxFile));
  ENLIST_ASSIGN_OR_RETURN(files.ssh_key_pem, ReadFileCapped(ssh_path, kMaxFile));
  ENLIST_ASSIGN_OR_RETURN(files.tls_cert_pem, ReadFileCapped(cert_path, kMaxFile));
  return files;
}

absl::Status WriteClusterCaFiles(const std::string& data_dir, const ClusterCaFiles& files) {
  const std::string dir = data_dir + "/ca";
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  // Keys first, certificate last: the certificate's presence marks a
  // complete CA.
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(dir + "/tls-ca.key", files.tls_key_pem, 0600));
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(dir + "/ssh-host-ca.key", files.ssh_key_pem, 0600));
  return WriteFileAtomic(dir + "/tls-ca.crt", files.tls_cert_pem, 0644);
}

absl::StatusOr<std::unique_ptr<ClusterCa>> ClusterCa::LoadOrCreate(const std::string& data_dir,
                                                                   const std::string& cluster_name,
                                                                   const Clock& clock) {
  std::string dir = data_dir + "/ca";
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  const std::string key_path = dir + "/tls-ca.key", cert_path = dir + "/tls-ca.crt",
                    ssh_path = dir + "/ssh-host-ca.key";
  auto ca = std::unique_ptr<ClusterCa>(new ClusterCa());
  int present = Exists(key_path) + Exists(cert_path) + Exists(ssh_path);
  if (present == 0) {
    ENLIST_ASSIGN_OR_RETURN(ClusterCaFiles files, GenerateClusterCaFiles(cluster_name, clock));
    ENLIST_RETURN_IF_ERROR(WriteClusterCaFiles(data_dir, files));
    ca->created_ = true;
  } else if (present != 3) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ca: ", dir, " is incomplete (expected tls-ca.key, tls-ca.crt, ssh-host-ca.key); "
        "restore it from backup: a new CA would invalidate every agent's CA pin"));
  }
  {
    ENLIST_ASSIGN_OR_RETURN(std::string key_pem, ReadFileCapped(key_path, kMaxFile));
    ENLIST_ASSIGN_OR_RETURN(std::string ssh_pem, ReadFileCapped(ssh_path, kMaxFile));
    ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, ReadFileCapped(cert_path, kMaxFile));
    auto key = ParsePrivateKeyPem(key_pem);
    auto ssh = ParsePrivateKeyPem(ssh_pem);
    auto certs = crypto::ParseCertificatesPem(cert_pem);
    if (!key.ok() || !ssh.ok() || !certs.ok() || certs->size() != 1) {
      return absl::FailedPreconditionError(absl::StrCat("ca: ", dir, " holds unreadable CA files"));
    }
    ca->tls_key_ = *std::move(key);
    ca->ssh_key_ = *std::move(ssh);
    ca->tls_cert_ = std::move((*certs)[0]);
    if (X509_check_private_key(ca->tls_cert_.get(), ca->tls_key_.get()) != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("ca: ", dir, ": tls-ca.key does not match tls-ca.crt"));
    }
    if (EVP_PKEY_id(ca->ssh_key_.get()) != EVP_PKEY_ED25519) {
      return absl::FailedPreconditionError(absl::StrCat("ca: ", dir, ": ssh-host-ca.key is not Ed25519"));
    }
  }
  ENLIST_ASSIGN_OR_RETURN(ca->tls_cert_der_, crypto::CertificateDer(*ca->tls_cert_));
  ENLIST_ASSIGN_OR_RETURN(ca->issuer_, IssuerIdentityOf(ca->tls_cert_der_));
  ENLIST_ASSIGN_OR_RETURN(ca->tls_cert_pem_, CertificatePem(*ca->tls_cert_));
  ENLIST_ASSIGN_OR_RETURN(ca->ssh_public_key_,
                          SshPublicKeyLine(*ca->ssh_key_, absl::StrCat(cluster_name, "-host-ca")));
  ENLIST_ASSIGN_OR_RETURN(ca->pin_, CaPin(*ca->tls_cert_));
  return ca;
}

namespace {

bool LooksLikeIp(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
         (s.find('.') != std::string::npos || s.find(':') != std::string::npos);
}

}  // namespace

absl::StatusOr<ServerTlsPem> IssueServerTls(const ClusterCa& ca, const std::string& common_name,
                                            const std::vector<std::string>& names,
                                            const Clock& clock, const ServerTlsOptions& options) {
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, GenerateP256Key());
  CertProfile p;
  p.common_name = common_name;
  p.dns_names = {"localhost"};
  p.ip_addresses = {"127.0.0.1", "::1"};
  for (const std::string& n : names) {
    if (n.empty() || n == "0.0.0.0" || n == "::") continue;
    auto& list = LooksLikeIp(n) ? p.ip_addresses : p.dns_names;
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }
  p.uris = options.uris;
  p.server_auth = true;
  p.client_auth = options.client_auth;
  p.not_before = clock.Now() - absl::Minutes(5);
  p.not_after = clock.Now() + absl::Hours(24 * 365);
  ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert,
                          IssueCertificate(p, *key, &ca.tls_cert(), ca.tls_key()));
  ServerTlsPem out;
  ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, CertificatePem(*cert));
  ENLIST_ASSIGN_OR_RETURN(out.key_pem, PrivateKeyPem(*key));
  out.chain_pem = cert_pem + ca.tls_cert_pem();
  return out;
}

}  // namespace enlist::ca
