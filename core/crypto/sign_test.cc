#include "core/crypto/sign.h"

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <string>

#include "core/crypto/ptr.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

EvpPkeyPtr KeyGen(int type) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if (type == EVP_PKEY_EC &&
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1) {
    return nullptr;
  }
  if (EVP_PKEY_keygen(ctx.get(), &key) != 1) return nullptr;
  return EvpPkeyPtr(key);
}

bool Verifies(EVP_PKEY& key, const EVP_MD* md, const std::string& data, const std::string& sig) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, &key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const uint8_t*>(sig.data()), sig.size(),
                          reinterpret_cast<const uint8_t*>(data.data()), data.size()) == 1;
}

TEST(SignMessageTest, SignaturesVerifyWithTheKeyAndOnlyForTheMessage) {
  struct Case {
    int type;
    const EVP_MD* md;
  } cases[] = {{EVP_PKEY_EC, EVP_sha256()}, {EVP_PKEY_ED25519, nullptr}};
  for (const Case& c : cases) {
    EvpPkeyPtr key = KeyGen(c.type);
    ASSERT_NE(key, nullptr);
    absl::StatusOr<std::string> sig = SignMessage(*key, c.md, "to be signed");
    ASSERT_TRUE(sig.ok()) << sig.status();
    EXPECT_TRUE(Verifies(*key, c.md, "to be signed", *sig)) << c.type;
    EXPECT_FALSE(Verifies(*key, c.md, "to be signed!", *sig)) << c.type;
  }
}

TEST(SignMessageTest, AKeyThatCannotSignIsInternal) {
  EvpPkeyPtr x25519 = KeyGen(EVP_PKEY_X25519);
  ASSERT_NE(x25519, nullptr);
  absl::StatusOr<std::string> sig = SignMessage(*x25519, nullptr, "data");
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(sig.status().message(), "crypto: signing failed");
}

}  // namespace
}  // namespace enlist::crypto
