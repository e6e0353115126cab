#include "auth/storage/etcd_test_pki.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/ca/x509_issuer.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

struct KeyAndCert {
  crypto::EvpPkeyPtr key;
  crypto::X509Ptr cert;
};

// Issues a certificate for a fresh key; `issuer` null: self-signed CA.
absl::StatusOr<KeyAndCert> Issue(ca::CertProfile profile, const KeyAndCert* issuer) {
  profile.not_before = absl::Now() - absl::Minutes(5);
  profile.not_after = absl::Now() + absl::Hours(24);
  KeyAndCert out;
  ENLIST_ASSIGN_OR_RETURN(out.key, ca::GenerateP256Key());
  EVP_PKEY& signer = issuer != nullptr ? *issuer->key : *out.key;
  ENLIST_ASSIGN_OR_RETURN(
      out.cert, ca::IssueCertificate(profile, *out.key,
                                     issuer != nullptr ? issuer->cert.get() : nullptr, signer));
  return out;
}

absl::Status Write(const std::string& path, const KeyAndCert& kc, const std::string* key_path) {
  ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, ca::CertificatePem(*kc.cert));
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(path, cert_pem, 0600));
  if (key_path == nullptr) return absl::OkStatus();
  ENLIST_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyPem(*kc.key));
  return WriteFileAtomic(*key_path, key_pem, 0600);
}

}  // namespace

absl::StatusOr<EtcdTestPki> WriteEtcdTestPki(const std::string& dir) {
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  EtcdTestPki pki;
  pki.ca_file = absl::StrCat(dir, "/ca.pem");
  pki.server_cert_file = absl::StrCat(dir, "/server.crt");
  pki.server_key_file = absl::StrCat(dir, "/server.key");
  pki.client_cert_file = absl::StrCat(dir, "/client.crt");
  pki.client_key_file = absl::StrCat(dir, "/client.key");
  pki.other_ca_file = absl::StrCat(dir, "/other-ca.pem");
  pki.other_client_cert_file = absl::StrCat(dir, "/other-client.crt");
  pki.other_client_key_file = absl::StrCat(dir, "/other-client.key");

  ca::CertProfile ca_profile;
  ca_profile.common_name = "enlist etcd test CA";
  ca_profile.is_ca = true;
  ENLIST_ASSIGN_OR_RETURN(KeyAndCert root, Issue(ca_profile, nullptr));
  ENLIST_RETURN_IF_ERROR(Write(pki.ca_file, root, nullptr));

  ca::CertProfile server;
  server.common_name = "etcd";
  server.dns_names = {kEtcdTestServerName};
  server.ip_addresses = {"127.0.0.1"};
  server.server_auth = true;
  // etcd also dials its own client URL (gRPC gateway) with this certificate.
  server.client_auth = true;
  ENLIST_ASSIGN_OR_RETURN(KeyAndCert server_kc, Issue(server, &root));
  ENLIST_RETURN_IF_ERROR(Write(pki.server_cert_file, server_kc, &pki.server_key_file));

  ca::CertProfile client;
  client.common_name = "enlist-auth";
  client.client_auth = true;
  ENLIST_ASSIGN_OR_RETURN(KeyAndCert client_kc, Issue(client, &root));
  ENLIST_RETURN_IF_ERROR(Write(pki.client_cert_file, client_kc, &pki.client_key_file));

  ca_profile.common_name = "unrelated test CA";
  ENLIST_ASSIGN_OR_RETURN(KeyAndCert other, Issue(ca_profile, nullptr));
  ENLIST_RETURN_IF_ERROR(Write(pki.other_ca_file, other, nullptr));
  ENLIST_ASSIGN_OR_RETURN(KeyAndCert other_client, Issue(client, &other));
  ENLIST_RETURN_IF_ERROR(
      Write(pki.other_client_cert_file, other_client, &pki.other_client_key_file));
  return pki;
}

}  // namespace enlist::storage
