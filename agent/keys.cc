#include "agent/keys.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::agent {
namespace {

// A PEM private key is a few hundred bytes; anything larger is not ours.
constexpr size_t kMaxKeyFile = 16 * 1024;

absl::string_view KeyTypeOf(const EVP_PKEY& key) {
  switch (EVP_PKEY_id(&key)) {
    case EVP_PKEY_EC:
      return "ECDSA";
    case EVP_PKEY_ED25519:
      return "Ed25519";
    default:
      return "unsupported";
  }
}

bool IsP256(const EVP_PKEY& key) {
  if (EVP_PKEY_id(&key) != EVP_PKEY_EC) return false;
    // EVP_PKEY_get0_EC_KEY is deprecated in OpenSSL 3 but is the accessor
    // BoringSSL shares; the curve check needs nothing else.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(const_cast<EVP_PKEY*>(&key));
  bool ok = ec != nullptr && EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) == NID_X9_62_prime256v1;
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  return ok;
}

// Reads the key at `path`; nullptr (and OK) when the file does not exist.
absl::StatusOr<crypto::EvpPkeyPtr> ReadKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileCapped(path, kMaxKeyFile);
  if (absl::IsNotFound(pem.status())) return crypto::EvpPkeyPtr();
  if (absl::IsInvalidArgument(pem.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys: ", path, ": not a private key (file too large)"));
  }
  if (!pem.ok()) return pem.status();
  absl::StatusOr<crypto::EvpPkeyPtr> key = ca::ParsePrivateKeyPem(*pem);
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keys: ", path, ": cannot parse the private key; remove the file to generate a new one"));
  }
  return std::move(*key);
}

absl::Status WriteKey(const std::string& path, const EVP_PKEY& key) {
  ENLIST_ASSIGN_OR_RETURN(std::string pem, ca::PrivateKeyPem(key));
  return WriteFileAtomic(path, pem, 0600);
}

}  // namespace

absl::StatusOr<TlsKeyType> ParseTlsKeyType(absl::string_view s) {
  if (s == "ecdsa-p256") return TlsKeyType::kEcdsaP256;
  if (s == "ed25519") return TlsKeyType::kEd25519;
  return absl::InvalidArgumentError(
      absl::StrCat("tls_key_type: \"", s, "\" is not one of ecdsa-p256, ed25519"));
}

absl::string_view TlsKeyTypeName(TlsKeyType type) {
  return type == TlsKeyType::kEd25519 ? "ed25519" : "ecdsa-p256";
}

absl::StatusOr<HostKeys> LoadOrCreateHostKeys(const std::string& data_dir,
                                              TlsKeyType tls_key_type) {
  ENLIST_RETURN_IF_ERROR(MakeDirs(data_dir, 0700));
  HostKeys keys;
  keys.tls_key_type = tls_key_type;

  const std::string tls_path = absl::StrCat(data_dir, "/", kTlsKeyFile);
  ENLIST_ASSIGN_OR_RETURN(keys.tls_key, ReadKey(tls_path));
  if (keys.tls_key == nullptr) {
    if (tls_key_type == TlsKeyType::kEd25519) {
      ENLIST_ASSIGN_OR_RETURN(keys.tls_key, ca::GenerateEd25519Key());
    } else {
      ENLIST_ASSIGN_OR_RETURN(keys.tls_key, ca::GenerateP256Key());
    }
    ENLIST_RETURN_IF_ERROR(WriteKey(tls_path, *keys.tls_key));
    keys.generated = true;
  } else {
    bool matches = tls_key_type == TlsKeyType::kEd25519
                       ? EVP_PKEY_id(keys.tls_key.get()) == EVP_PKEY_ED25519
                       : IsP256(*keys.tls_key);
    if (!matches) {
      return absl::FailedPreconditionError(absl::StrCat(
          "keys: ", tls_path, " holds an ", KeyTypeOf(*keys.tls_key), " key but tls_key_type is ",
          TlsKeyTypeName(tls_key_type), "; remove the file to generate a new key"));
    }
  }

  const std::string ssh_path = absl::StrCat(data_dir, "/", kSshKeyFile);
  ENLIST_ASSIGN_OR_RETURN(keys.ssh_key, ReadKey(ssh_path));
  if (keys.ssh_key == nullptr) {
    ENLIST_ASSIGN_OR_RETURN(keys.ssh_key, ca::GenerateEd25519Key());
    ENLIST_RETURN_IF_ERROR(WriteKey(ssh_path, *keys.ssh_key));
    keys.generated = true;
  } else if (EVP_PKEY_id(keys.ssh_key.get()) != EVP_PKEY_ED25519) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys: ", ssh_path, " holds an ", KeyTypeOf(*keys.ssh_key),
                     " key, expected Ed25519; remove the file to generate a new key"));
  }

  // sshd reads only OpenSSH's own format for Ed25519 host keys.
  const std::string host_key_path = absl::StrCat(data_dir, "/", kSshHostKeyFile);
  if (keys.generated || !ReadFileCapped(host_key_path, 64 * 1024).ok()) {
    ENLIST_ASSIGN_OR_RETURN(std::string openssh, ca::SshPrivateKeyOpenssh(*keys.ssh_key, "enlist"));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(host_key_path, openssh, 0600));
  }

  ENLIST_ASSIGN_OR_RETURN(keys.tls_public_key_der, ca::PublicKeyDer(*keys.tls_key));
  ENLIST_ASSIGN_OR_RETURN(keys.ssh_public_key_line, ca::SshPublicKeyLine(*keys.ssh_key, "enlist"));
  return keys;
}

absl::StatusOr<HostKeys> LoadHostKeys(const std::string& data_dir) {
  HostKeys keys;
  for (auto [file, key] : {std::pair{kTlsKeyFile, &keys.tls_key}, {kSshKeyFile, &keys.ssh_key}}) {
    const std::string path = absl::StrCat(data_dir, "/", file);
    ENLIST_ASSIGN_OR_RETURN(*key, ReadKey(path));
    if (*key == nullptr) return absl::NotFoundError(absl::StrCat("keys: ", path, ": no such file"));
  }
  keys.tls_key_type = EVP_PKEY_id(keys.tls_key.get()) == EVP_PKEY_ED25519 ? TlsKeyType::kEd25519
                                                                          : TlsKeyType::kEcdsaP256;
  ENLIST_ASSIGN_OR_RETURN(keys.tls_public_key_der, ca::PublicKeyDer(*keys.tls_key));
  ENLIST_ASSIGN_OR_RETURN(keys.ssh_public_key_line, ca::SshPublicKeyLine(*keys.ssh_key, "enlist"));
  return keys;
}

}  // namespace enlist::agent
