// The host's key pairs: a TLS key (ECDSA P-256 by default, or Ed25519) and
// an Ed25519 SSH key. Generated once, stored in the data directory as PEM
// PKCS#8 files (0600, written atomically) and reused on every later start,
// so a host keeps its keys across joins and renewals.
#ifndef ENLIST_AGENT_KEYS_H_
#define ENLIST_AGENT_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/ptr.h"

namespace enlist::agent {

// The algorithm of the host's TLS key (`enlist.tls_key_type`).
enum class TlsKeyType { kEcdsaP256, kEd25519 };

// Parses "ecdsa-p256" or "ed25519". kInvalidArgument names the accepted
// values otherwise.
absl::StatusOr<TlsKeyType> ParseTlsKeyType(absl::string_view s);

// The config spelling of `type` ("ecdsa-p256", "ed25519").
absl::string_view TlsKeyTypeName(TlsKeyType type);

// File names inside the data directory.
inline constexpr char kTlsKeyFile[] = "tls_key.pem";
inline constexpr char kSshKeyFile[] = "ssh_key.pem";
// The same SSH key in OpenSSH's format, for sshd's HostKey (derived from
// ssh_key.pem, rewritten if missing).
inline constexpr char kSshHostKeyFile[] = "ssh_host_key";

// The host's keys and the public forms sent in ClientInit.
struct HostKeys {
  crypto::EvpPkeyPtr tls_key;
  crypto::EvpPkeyPtr ssh_key;
  TlsKeyType tls_key_type = TlsKeyType::kEcdsaP256;
  // PKIX SubjectPublicKeyInfo (DER) of tls_key.
  std::string tls_public_key_der;
  // OpenSSH public key line of ssh_key ("ssh-ed25519 AAAA... enlist").
  std::string ssh_public_key_line;
  // True when this call generated at least one of the keys.
  bool generated = false;
};

// Loads the keys from `data_dir` (creating the directory 0700 if needed),
// generating and storing each key that does not exist yet. An existing key
// is never replaced: a key file that cannot be parsed, or a TLS key of
// another type than `tls_key_type`, is kFailedPrecondition naming the file
// (the operator decides whether to remove it). kUnavailable for I/O errors.
// Thread-compatible: one process owns a data directory.
absl::StatusOr<HostKeys> LoadOrCreateHostKeys(const std::string& data_dir, TlsKeyType tls_key_type);

// Loads existing keys from `data_dir` without generating anything (for
// read-only commands such as `status`). kNotFound when a key file is
// missing, kFailedPrecondition when one cannot be parsed.
absl::StatusOr<HostKeys> LoadHostKeys(const std::string& data_dir);

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_KEYS_H_
