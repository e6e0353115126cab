// Fuzz target: arbitrary bytes as a host's TLS public key (an agent sends
// them in HostKeys.tls_public_key). CheckHostPublicKey must never crash, and
// whatever it accepts must be a key libcrypto's own decoder reads whole and
// that the auth server may certify: EC P-256/P-384, Ed25519 or RSA >= 2048.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "auth/ca/x509_issuer.h"
#include "core/crypto/ptr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view der(reinterpret_cast<const char*>(data), size);
  if (!enlist::ca::CheckHostPublicKey(der).ok()) return 0;
  const uint8_t* p = data;
  enlist::crypto::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(size)));
  if (key == nullptr || p != data + size) abort();
  switch (EVP_PKEY_id(key.get())) {
    case EVP_PKEY_ED25519:
      break;
    case EVP_PKEY_RSA:
      if (EVP_PKEY_bits(key.get()) < 2048) abort();
      break;
    case EVP_PKEY_EC:
      if (EVP_PKEY_bits(key.get()) != 256 && EVP_PKEY_bits(key.get()) != 384) abort();
      break;
    default:
      abort();
  }
  return 0;
}
