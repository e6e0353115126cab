#include "core/crypto/sign.h"

#include <openssl/err.h>

#include <cstdint>

#include "core/crypto/ptr.h"

namespace enlist::crypto {

absl::StatusOr<std::string> SignMessage(EVP_PKEY& key, const EVP_MD* md, absl::string_view data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  size_t len = 0;
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, &key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("crypto: signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len, in, data.size()) !=
      1) {
    ERR_clear_error();
    return absl::InternalError("crypto: signing failed");
  }
  sig.resize(len);
  return sig;
}

}  // namespace enlist::crypto
