// The cluster's CA material: a P-256 X.509 CA (host and server TLS
// certificates) and an Ed25519 SSH host CA. Created on first start in
// `<data_dir>/ca/` (keys 0600, written atomically), loaded afterwards.
#ifndef ENLIST_AUTH_CA_CLUSTER_CA_H_
#define ENLIST_AUTH_CA_CLUSTER_CA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/ptr.h"
#include "core/util/clock.h"

namespace enlist::ca {

// The CA's three files as PEM text, as kept in `<data_dir>/ca/`
// (tls-ca.key, tls-ca.crt, ssh-host-ca.key). Holds private keys: never log.
struct ClusterCaFiles {
  std::string tls_key_pem;
  std::string tls_cert_pem;
  std::string ssh_key_pem;
};

// Makes a new CA (P-256 X.509 CA valid 10 years, Ed25519 SSH host CA)
// without writing it anywhere. kInternal if key generation fails.
absl::StatusOr<ClusterCaFiles> GenerateClusterCaFiles(const std::string& cluster_name,
                                                      const Clock& clock);

// Reads `<data_dir>/ca/`. kNotFound when none of the files exists,
// kFailedPrecondition when only some do (see LoadOrCreate), kUnavailable
// for I/O errors.
absl::StatusOr<ClusterCaFiles> ReadClusterCaFiles(const std::string& data_dir);

// Writes `<data_dir>/ca/` atomically per file (keys 0600 first, the
// certificate last: its presence marks a complete CA). kUnavailable for I/O
// errors.
absl::Status WriteClusterCaFiles(const std::string& data_dir, const ClusterCaFiles& files);

class ClusterCa {
 public:
  // Loads the CA from `data_dir`/ca, creating it if absent. A partial CA
  // (some files missing) is an error, never silently replaced: agents pin
  // the CA key. kUnavailable for I/O errors, kFailedPrecondition for a
  // damaged CA directory.
  static absl::StatusOr<std::unique_ptr<ClusterCa>> LoadOrCreate(const std::string& data_dir,
                                                                 const std::string& cluster_name,
                                                                 const Clock& clock);

  const X509& tls_cert() const { return *tls_cert_; }
  EVP_PKEY& tls_key() const { return *tls_key_; }
  EVP_PKEY& ssh_key() const { return *ssh_key_; }
  const std::string& tls_cert_der() const { return tls_cert_der_; }
  // How the certificates this CA issues name it.
  const IssuerIdentity& issuer() const { return issuer_; }
  const std::string& tls_cert_pem() const { return tls_cert_pem_; }
  const std::string& ssh_public_key() const { return ssh_public_key_; }
  // "sha256:<hex>" of the TLS CA's SubjectPublicKeyInfo.
  const std::string& pin() const { return pin_; }
  // True when LoadOrCreate made a new CA.
  bool created() const { return created_; }

 private:
  crypto::X509Ptr tls_cert_;
  crypto::EvpPkeyPtr tls_key_;
  crypto::EvpPkeyPtr ssh_key_;
  std::string tls_cert_der_, tls_cert_pem_, ssh_public_key_, pin_;
  IssuerIdentity issuer_;
  bool created_ = false;
};

// A TLS server identity issued by the cluster CA, as PEM. Holds a private
// key: never log.
struct ServerTlsPem {
  std::string key_pem;
  // The server certificate followed by the CA certificate (agents check
  // their pin against the chain).
  std::string chain_pem;
};

// What a server identity carries besides its names.
struct ServerTlsOptions {
  // URI subject alternative names (e.g. "urn:enlist:proxy:<name>").
  std::vector<std::string> uris;
  // Also usable as a TLS client certificate (clientAuth).
  bool client_auth = false;
};

// Issues a server identity: a fresh P-256 key and a certificate (valid one
// year, from five minutes ago) for `common_name` naming "localhost",
// 127.0.0.1, ::1 and every entry of `names` (IP literals as IP addresses,
// the rest as DNS names; "", "0.0.0.0" and "::" skipped). kInternal when
// key generation or signing fails.
absl::StatusOr<ServerTlsPem> IssueServerTls(const ClusterCa& ca, const std::string& common_name,
                                            const std::vector<std::string>& names,
                                            const Clock& clock,
                                            const ServerTlsOptions& options = {});

}  // namespace enlist::ca

#endif  // ENLIST_AUTH_CA_CLUSTER_CA_H_
