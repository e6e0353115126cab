// RSA_verify and EVP_PKEY_get0_RSA are "deprecated" in OpenSSL 3 in favour of
// the EVP interface this file exists to avoid on the hot path; they remain
// supported there and are BoringSSL's primary API (the target silences only
// that warning, as //core/jwt does).
#include "core/crypto/rsa_pkcs1.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cstdint>

namespace enlist::crypto {

bool VerifyRsaPkcs1(const EVP_PKEY* key, RsaPkcs1Hash hash, absl::string_view message,
                    absl::string_view signature) {
  if (key == nullptr || EVP_PKEY_id(key) != EVP_PKEY_RSA) return false;
  const RSA* rsa = EVP_PKEY_get0_RSA(key);
  if (rsa == nullptr) {
    ERR_clear_error();
    return false;
  }
  // RFC 8017 §8.2.2 step 1: the signature is exactly k bytes.
  if (signature.size() != static_cast<size_t>(RSA_size(rsa))) return false;
  const auto* in = reinterpret_cast<const uint8_t*>(message.data());
  uint8_t digest[SHA512_DIGEST_LENGTH];
  size_t digest_len = 0;
  int nid = 0;
  switch (hash) {
    case RsaPkcs1Hash::kSha256:
      SHA256(in, message.size(), digest);
      digest_len = SHA256_DIGEST_LENGTH;
      nid = NID_sha256;
      break;
    case RsaPkcs1Hash::kSha384:
      SHA384(in, message.size(), digest);
      digest_len = SHA384_DIGEST_LENGTH;
      nid = NID_sha384;
      break;
    case RsaPkcs1Hash::kSha512:
      SHA512(in, message.size(), digest);
      digest_len = SHA512_DIGEST_LENGTH;
      nid = NID_sha512;
      break;
  }
  if (digest_len == 0) return false;
  const int ok = RSA_verify(nid, digest, static_cast<unsigned>(digest_len),
                            reinterpret_cast<const uint8_t*>(signature.data()),
                            static_cast<unsigned>(signature.size()), const_cast<RSA*>(rsa));
  ERR_clear_error();
  return ok == 1;
}

}  // namespace enlist::crypto
