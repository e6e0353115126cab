// Fuzz target: arbitrary bytes as a CMS ContentInfo through the full
// SignedData verifier. Must never crash, leak, or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "core/crypto/pkcs7.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<enlist::crypto::VerifiedSignedData> v = enlist::crypto::VerifySignedData(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  (void)v;
  return 0;
}
