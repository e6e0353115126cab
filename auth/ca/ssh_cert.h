// OpenSSH certificates (PROTOCOL.certkeys): host certificates signed by an
// Ed25519 CA, for Ed25519 and ECDSA P-256 host keys. Built on the libcrypto
// API shared by OpenSSL 3 and BoringSSL.
#ifndef ENLIST_AUTH_CA_SSH_CERT_H_
#define ENLIST_AUTH_CA_SSH_CERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"

namespace enlist::ca {

// A parsed OpenSSH public key line ("ssh-ed25519 AAAA... comment").
struct SshPublicKey {
  std::string type;  // "ssh-ed25519" or "ecdsa-sha2-nistp256"
  std::string blob;  // the wire-format key blob
};

// Parses an authorized_keys-style line. kInvalidArgument for unsupported
// key types, bad base64 or a blob whose contents do not match its type.
absl::StatusOr<SshPublicKey> ParseSshPublicKey(absl::string_view line);

// The OpenSSH public key line of an Ed25519 key ("ssh-ed25519 <b64> comment").
absl::StatusOr<std::string> SshPublicKeyLine(const EVP_PKEY& ed25519_key, absl::string_view comment);

// The private half of an Ed25519 key in OpenSSH's own format
// ("-----BEGIN OPENSSH PRIVATE KEY-----", unencrypted), which sshd's HostKey
// and ssh-keygen read (OpenSSH 9 does not read PKCS#8 Ed25519 keys).
absl::StatusOr<std::string> SshPrivateKeyOpenssh(const EVP_PKEY& ed25519_key,
                                                 absl::string_view comment);

struct SshCertRequest {
  std::string public_key_line;          // the host's key
  std::string key_id;                   // e.g. the host id
  std::vector<std::string> principals;  // names clients may use
  uint64_t serial = 0;
  absl::Time valid_after;
  absl::Time valid_before;
};

// Signs a host certificate with `ca_key` (Ed25519). Returns the certificate
// line ("ssh-ed25519-cert-v01@openssh.com <b64> <key_id>").
absl::StatusOr<std::string> SignSshHostCert(const SshCertRequest& request, EVP_PKEY& ca_key);

}  // namespace enlist::ca

#endif  // ENLIST_AUTH_CA_SSH_CERT_H_
