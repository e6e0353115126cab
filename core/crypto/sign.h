// One signature with a private key: the EVP_DigestSign dance every signer
// (the X.509 and SSH CAs, the JWT and CMS SignedData signers, the bench's
// floor) needs. Built on the
// libcrypto API shared by OpenSSL 3 and BoringSSL; thread-safe for distinct
// or read-only keys.
#ifndef ENLIST_CORE_CRYPTO_SIGN_H_
#define ENLIST_CORE_CRYPTO_SIGN_H_

#include <openssl/evp.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist::crypto {

// Signs `data` with `key`, hashing it with `md` (null for keys that sign
// the message itself, e.g. Ed25519). ECDSA signatures come DER-encoded,
// RSA ones PKCS#1 v1.5. kInternal "crypto: signing failed" when libcrypto
// refuses (a key that cannot sign, or not with `md`); the error queue is
// cleared.
absl::StatusOr<std::string> SignMessage(EVP_PKEY& key, const EVP_MD* md, absl::string_view data);

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_SIGN_H_
