// Fuzz target: arbitrary bytes as a host's TLS public key (an agent sends
// them in HostKeys.tls_public_key). CheckHostPublicKey must never crash, and
// whatever it accepts must be a key libcrypto's own decoder reads whole,
// that libcrypto re-encodes to the same bytes (so the certificate carries a
// canonical SubjectPublicKeyInfo: named curve, NULL RSA parameters) and that
// the auth server may certify: EC P-256/P-384, Ed25519 or RSA >= 2048.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#if defined(OPENSSL_IS_BORINGSSL)
#include <openssl/mem.h>  // OPENSSL_free
#else
#include <openssl/crypto.h>  // OPENSSL_free
#endif

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "auth/ca/x509_issuer.h"
#include "core/crypto/ptr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view der(reinterpret_cast<const char*>(data), size);
  if (!enlist::ca::CheckHostPublicKey(der).ok()) return 0;
  const uint8_t* p = data;
  enlist::crypto::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(size)));
  if (key == nullptr || p != data + size) abort();
  uint8_t* again = nullptr;
  const int len = i2d_PUBKEY(key.get(), &again);
  const bool same = len == static_cast<int>(size) && memcmp(again, data, size) == 0;
  OPENSSL_free(again);
  if (!same) abort();
  switch (EVP_PKEY_id(key.get())) {
    case EVP_PKEY_ED25519:
      break;
    case EVP_PKEY_RSA:
      if (EVP_PKEY_bits(key.get()) < 2048) abort();
      break;
    case EVP_PKEY_EC: {
      // The API OpenSSL 3 and BoringSSL share (this target runs under both).
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key.get());
      if (ec == nullptr) abort();
      const int curve = EC_GROUP_get_curve_name(EC_KEY_get0_group(ec));
      if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1) abort();
      break;
    }
    default:
      abort();
  }
  return 0;
}
