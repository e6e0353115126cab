// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) on the key's RSA object
// directly: the message is hashed in one call and the signature checked with
// RSA_verify, skipping the EVP_DigestVerify context that OpenSSL 3 builds
// (provider fetch, context duplication) for every verification — about a
// tenth of an Azure check (docs/performance.md). Same result as
// EVP_DigestVerify with the key's default padding: RSA_verify re-encodes the
// DigestInfo and compares it whole, so no lenient parsing is involved.
// Works with OpenSSL 3 and BoringSSL; thread-safe.
#ifndef ENLIST_CORE_CRYPTO_RSA_PKCS1_H_
#define ENLIST_CORE_CRYPTO_RSA_PKCS1_H_

#include <openssl/evp.h>

#include "absl/strings/string_view.h"

namespace enlist::crypto {

// The hash inside the signature's DigestInfo.
enum class RsaPkcs1Hash { kSha256, kSha384, kSha512 };

// True when `signature` is a valid RSASSA-PKCS1-v1_5 signature of `message`
// under `key` with `hash`. False for anything else: a key that is not RSA, a
// signature that is not exactly the modulus length, a wrong hash or
// DigestInfo. Leaves libcrypto's error queue empty.
bool VerifyRsaPkcs1(const EVP_PKEY* key, RsaPkcs1Hash hash, absl::string_view message,
                    absl::string_view signature);

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_RSA_PKCS1_H_
