#include "auth/ca/cluster_ca.h"

#include <sys/stat.h>

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
    ENLIST_ASSIGN_OR_RETURN(ca->tls_key_, GenerateP256Key());
    ENLIST_ASSIGN_OR_RETURN(ca->ssh_key_, GenerateEd25519Key());
    CertProfile p;
    p.common_name = absl::StrCat(cluster_name, " Enlist CA");
    p.is_ca = true;
    p.not_before = clock.Now() - absl::Minutes(5);
    p.not_after = clock.Now() + kCaLifetime;
    ENLIST_ASSIGN_OR_RETURN(ca->tls_cert_, IssueCertificate(p, *ca->tls_key_, nullptr, *ca->tls_key_));
    ENLIST_ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyPem(*ca->tls_key_));
    ENLIST_ASSIGN_OR_RETURN(std::string ssh_pem, PrivateKeyPem(*ca->ssh_key_));
    ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, CertificatePem(*ca->tls_cert_));
    // Keys first, certificate last: the certificate's presence marks a
    // complete CA.
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(key_path, key_pem, 0600));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(ssh_path, ssh_pem, 0600));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(cert_path, cert_pem, 0644));
    ca->created_ = true;
  } else if (present != 3) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ca: ", dir, " is incomplete (expected tls-ca.key, tls-ca.crt, ssh-host-ca.key); "
        "restore it from backup: a new CA would invalidate every agent's CA pin"));
  } else {
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
  ENLIST_ASSIGN_OR_RETURN(ca->tls_cert_pem_, CertificatePem(*ca->tls_cert_));
  ENLIST_ASSIGN_OR_RETURN(ca->ssh_public_key_,
                          SshPublicKeyLine(*ca->ssh_key_, absl::StrCat(cluster_name, "-host-ca")));
  ENLIST_ASSIGN_OR_RETURN(ca->pin_, CaPin(*ca->tls_cert_));
  return ca;
}

}  // namespace enlist::ca
