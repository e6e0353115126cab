#include "auth/ca/ssh_cert.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/crypto/sign.h"
#include "core/encoding/base64.h"
#include "core/util/status_macros.h"

namespace enlist::ca {
namespace {

constexpr size_t kMaxLine = 8192;

// RFC 4251 section 5 encodings.
void PutU32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
void PutString(std::string* out, absl::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

// Reads one RFC 4251 string from `in`, advancing it.
bool GetString(absl::string_view* in, absl::string_view* out) {
  if (in->size() < 4) return false;
  uint32_t n = (static_cast<uint8_t>((*in)[0]) << 24) | (static_cast<uint8_t>((*in)[1]) << 16) |
               (static_cast<uint8_t>((*in)[2]) << 8) | static_cast<uint8_t>((*in)[3]);
  if (in->size() - 4 < n) return false;
  *out = in->substr(4, n);
  in->remove_prefix(4 + n);
  return true;
}

uint64_t UnixSeconds(absl::Time t) {
  if (t <= absl::UnixEpoch()) return 0;
  if (t == absl::InfiniteFuture()) return UINT64_MAX;
  return static_cast<uint64_t>(absl::ToUnixSeconds(t));
}

}  // namespace

absl::StatusOr<SshPublicKey> ParseSshPublicKey(absl::string_view line) {
  if (line.size() > kMaxLine) return absl::InvalidArgumentError("ssh key: line too long");
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (parts.size() < 2) {
    return absl::InvalidArgumentError("ssh key: expected \"<type> <base64> [comment]\"");
  }
  SshPublicKey key;
  key.type = std::string(parts[0]);
  absl::StatusOr<std::string> blob = encoding::Base64Decode(parts[1]);
  if (!blob.ok()) return absl::InvalidArgumentError("ssh key: key data is not valid base64");
  key.blob = *std::move(blob);
  absl::string_view in = key.blob, type, a, b;
  if (!GetString(&in, &type) || type != key.type) {
    return absl::InvalidArgumentError("ssh key: key data does not match its type");
  }
  if (key.type == "ssh-ed25519") {
    if (!GetString(&in, &a) || a.size() != 32 || !in.empty()) {
      return absl::InvalidArgumentError("ssh key: malformed ssh-ed25519 key");
    }
  } else if (key.type == "ecdsa-sha2-nistp256") {
    if (!GetString(&in, &a) || a != "nistp256" || !GetString(&in, &b) || b.size() != 65 ||
        b[0] != 0x04 || !in.empty()) {
      return absl::InvalidArgumentError("ssh key: malformed ecdsa-sha2-nistp256 key");
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "ssh key: unsupported key type \"", key.type.substr(0, 64),
        "\" (supported: ssh-ed25519, ecdsa-sha2-nistp256)"));
  }
  return key;
}

absl::StatusOr<std::string> SshPublicKeyLine(const EVP_PKEY& key, absl::string_view comment) {
  uint8_t raw[32];
  size_t len = sizeof(raw);
  if (EVP_PKEY_id(&key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(&key, raw, &len) != 1 || len != 32) {
    return absl::InvalidArgumentError("ssh key: not an Ed25519 key");
  }
  std::string blob;
  PutString(&blob, "ssh-ed25519");
  PutString(&blob, absl::string_view(reinterpret_cast<char*>(raw), len));
  std::string line = absl::StrCat("ssh-ed25519 ", encoding::Base64Encode(blob));
  if (!comment.empty()) absl::StrAppend(&line, " ", comment);
  return line;
}

absl::StatusOr<std::string> SshPrivateKeyOpenssh(const EVP_PKEY& key, absl::string_view comment) {
  uint8_t pub[32], seed[32];
  size_t pub_len = sizeof(pub), seed_len = sizeof(seed);
  if (EVP_PKEY_id(&key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(&key, pub, &pub_len) != 1 || pub_len != 32 ||
      EVP_PKEY_get_raw_private_key(&key, seed, &seed_len) != 1 || seed_len != 32) {
    return absl::InvalidArgumentError("ssh key: not an Ed25519 private key");
  }
  absl::string_view pub_view(reinterpret_cast<char*>(pub), 32);
  std::string pub_blob;
  PutString(&pub_blob, "ssh-ed25519");
  PutString(&pub_blob, pub_view);
  // PROTOCOL.key: the private section starts with two equal check words and
  // is padded with 1, 2, 3, ... to the cipher block size (8 for "none").
  uint8_t check[4];
  if (RAND_bytes(check, sizeof(check)) != 1) return absl::InternalError("ssh key: rng failed");
  std::string priv;
  priv.append(reinterpret_cast<char*>(check), 4);
  priv.append(reinterpret_cast<char*>(check), 4);
  PutString(&priv, "ssh-ed25519");
  PutString(&priv, pub_view);
  std::string secret(reinterpret_cast<char*>(seed), 32);
  secret.append(pub_view.data(), pub_view.size());
  PutString(&priv, secret);
  PutString(&priv, comment);
  for (char pad = 1; priv.size() % 8 != 0; ++pad) priv.push_back(pad);
  std::string body("openssh-key-v1", 15);  // includes the terminating NUL
  PutString(&body, "none");
  PutString(&body, "none");
  PutString(&body, "");
  PutU32(&body, 1);
  PutString(&body, pub_blob);
  PutString(&body, priv);
  OPENSSL_cleanse(&secret[0], secret.size());
  OPENSSL_cleanse(&priv[0], priv.size());
  OPENSSL_cleanse(seed, sizeof(seed));
  std::string b64 = encoding::Base64Encode(body);
  OPENSSL_cleanse(&body[0], body.size());
  std::string out = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 70) absl::StrAppend(&out, b64.substr(i, 70), "\n");
  out += "-----END OPENSSH PRIVATE KEY-----\n";
  OPENSSL_cleanse(&b64[0], b64.size());
  return out;
}

absl::StatusOr<std::string> SignSshHostCert(const SshCertRequest& req, EVP_PKEY& ca_key) {
  ENLIST_ASSIGN_OR_RETURN(SshPublicKey host, ParseSshPublicKey(req.public_key_line));
  ENLIST_ASSIGN_OR_RETURN(std::string ca_line, SshPublicKeyLine(ca_key, ""));
  ENLIST_ASSIGN_OR_RETURN(SshPublicKey ca_pub, ParseSshPublicKey(ca_line));
  if (req.principals.empty()) return absl::InvalidArgumentError("ssh cert: no principals");

  std::string cert_type = host.type + "-cert-v01@openssh.com";
  uint8_t nonce[32];
  if (RAND_bytes(nonce, sizeof(nonce)) != 1) return absl::InternalError("ssh cert: rng failed");

  std::string body;
  PutString(&body, cert_type);
  PutString(&body, absl::string_view(reinterpret_cast<char*>(nonce), sizeof(nonce)));
  // The key's own fields, without its type string (PROTOCOL.certkeys).
  absl::string_view rest = host.blob, type;
  GetString(&rest, &type);
  body.append(rest.data(), rest.size());
  PutU64(&body, req.serial);
  PutU32(&body, 2);  // SSH2_CERT_TYPE_HOST
  PutString(&body, req.key_id);
  std::string principals;
  for (const std::string& p : req.principals) PutString(&principals, p);
  PutString(&body, principals);
  PutU64(&body, UnixSeconds(req.valid_after));
  PutU64(&body, UnixSeconds(req.valid_before));
  PutString(&body, "");  // critical options
  PutString(&body, "");  // extensions: none for host certificates
  PutString(&body, "");  // reserved
  PutString(&body, ca_pub.blob);

  absl::StatusOr<std::string> sig = crypto::SignMessage(ca_key, nullptr, body);
  if (!sig.ok()) return absl::InternalError("ssh cert: signing failed");
  std::string sig_blob;
  PutString(&sig_blob, "ssh-ed25519");
  PutString(&sig_blob, *sig);
  PutString(&body, sig_blob);
  return absl::StrCat(cert_type, " ", encoding::Base64Encode(body), " ", req.key_id);
}

}  // namespace enlist::ca
