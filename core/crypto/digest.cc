#include "core/crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace enlist::crypto {

Sha256Digest Sha256(absl::string_view data) {
  Sha256Digest out;
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), out.data());
  return out;
}

std::string Sha256Hex(absl::string_view data) {
  Sha256Digest d = Sha256(data);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Lengths of nonces and hashes are public; contents are not.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<uint8_t*>(out.data()), n) != 1) {
    return absl::InternalError("crypto: random generator failed");
  }
  return out;
}

}  // namespace enlist::crypto
