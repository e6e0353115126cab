// Throwaway certificates for running etcd with TLS in tests: a CA, a server
// certificate for 127.0.0.1 (and the DNS name kEtcdTestServerName), a client
// certificate, and a second, unrelated CA. Issued with the project's own
// X.509 code (auth/ca/x509_issuer.h). testonly.
#ifndef ENLIST_AUTH_STORAGE_ETCD_TEST_PKI_H_
#define ENLIST_AUTH_STORAGE_ETCD_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace enlist::storage {

// The DNS name (besides the IP 127.0.0.1) in the etcd server certificate.
inline constexpr char kEtcdTestServerName[] = "etcd.enlist.test";

// PEM file paths written by WriteEtcdTestPki.
struct EtcdTestPki {
  std::string ca_file;           // the CA that issued the three below
  std::string server_cert_file;  // server auth, SANs 127.0.0.1 + kEtcdTestServerName
  std::string server_key_file;
  std::string client_cert_file;  // client auth, CN "enlist-auth"
  std::string client_key_file;
  std::string other_ca_file;     // a CA that issued nothing etcd trusts
  // A client certificate issued by `other_ca_file` (etcd refuses it).
  std::string other_client_cert_file;
  std::string other_client_key_file;
};

// Generates the keys and certificates (P-256, valid one day) into `dir`
// (created if absent), files 0600. kInternal/kUnavailable on failure.
absl::StatusOr<EtcdTestPki> WriteEtcdTestPki(const std::string& dir);

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_TEST_PKI_H_
