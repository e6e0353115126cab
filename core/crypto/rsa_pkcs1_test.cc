#include "core/crypto/rsa_pkcs1.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <string>

#include "core/crypto/ptr.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

EvpPkeyPtr GenerateKey(int type, int rsa_bits = 2048) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if (type == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) != 1) {
    return nullptr;
  }
  if (type == EVP_PKEY_EC &&
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1) {
    return nullptr;
  }
  if (EVP_PKEY_keygen(ctx.get(), &key) != 1) return nullptr;
  return EvpPkeyPtr(key);
}

// The reference: EVP's own PKCS#1 v1.5 signature.
std::string Sign(EVP_PKEY* key, const EVP_MD* md, const std::string& message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1) return "";
  if (EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const uint8_t*>(message.data()), message.size()) != 1) {
    return "";
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len,
                     reinterpret_cast<const uint8_t*>(message.data()), message.size()) != 1) {
    return "";
  }
  sig.resize(len);
  return sig;
}

class RsaPkcs1Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = GenerateKey(EVP_PKEY_RSA).release(); }
  static void TearDownTestSuite() { EVP_PKEY_free(key_); }
  static EVP_PKEY* key_;
};
EVP_PKEY* RsaPkcs1Test::key_ = nullptr;

TEST_F(RsaPkcs1Test, AcceptsWhatEvpSignsForEachHash) {
  ASSERT_NE(key_, nullptr);
  const std::string message = "{\"nonce\":\"0123456789\",\"vmId\":\"x\"}";
  const struct {
    RsaPkcs1Hash hash;
    const EVP_MD* md;
  } cases[] = {{RsaPkcs1Hash::kSha256, EVP_sha256()},
               {RsaPkcs1Hash::kSha384, EVP_sha384()},
               {RsaPkcs1Hash::kSha512, EVP_sha512()}};
  for (const auto& c : cases) {
    const std::string sig = Sign(key_, c.md, message);
    ASSERT_EQ(sig.size(), 256u);
    EXPECT_TRUE(VerifyRsaPkcs1(key_, c.hash, message, sig));
    // The DigestInfo names the hash: a signature made with another one fails.
    for (const auto& other : cases) {
      if (other.hash != c.hash) EXPECT_FALSE(VerifyRsaPkcs1(key_, other.hash, message, sig));
    }
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(RsaPkcs1Test, RejectsTamperingAndWrongLengths) {
  ASSERT_NE(key_, nullptr);
  const std::string message = "attested document";
  const std::string sig = Sign(key_, EVP_sha256(), message);
  ASSERT_TRUE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, sig));
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, "attested documenT", sig));
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, "", sig));
  for (size_t i : {size_t{0}, sig.size() / 2, sig.size() - 1}) {
    std::string bad = sig;
    bad[i] ^= 0x01;
    EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, bad)) << i;
  }
  // RFC 8017 §8.2.2 step 1: exactly k bytes, no leading-zero leniency.
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, sig.substr(1)));
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, std::string(1, '\0') + sig));
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, ""));
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, std::string(256, '\0')));
  EXPECT_FALSE(VerifyRsaPkcs1(key_, RsaPkcs1Hash::kSha256, message, std::string(256, '\xff')));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(RsaPkcs1Test, RejectsAnotherKeyAndNonRsaKeys) {
  ASSERT_NE(key_, nullptr);
  const std::string message = "token";
  const std::string sig = Sign(key_, EVP_sha256(), message);
  EvpPkeyPtr other = GenerateKey(EVP_PKEY_RSA);
  ASSERT_NE(other, nullptr);
  EXPECT_FALSE(VerifyRsaPkcs1(other.get(), RsaPkcs1Hash::kSha256, message, sig));
  EvpPkeyPtr ec = GenerateKey(EVP_PKEY_EC);
  ASSERT_NE(ec, nullptr);
  EXPECT_FALSE(VerifyRsaPkcs1(ec.get(), RsaPkcs1Hash::kSha256, message, sig));
  EXPECT_FALSE(VerifyRsaPkcs1(nullptr, RsaPkcs1Hash::kSha256, message, sig));
  // A 3072-bit key: the length rule follows the key.
  EvpPkeyPtr big = GenerateKey(EVP_PKEY_RSA, 3072);
  ASSERT_NE(big, nullptr);
  const std::string big_sig = Sign(big.get(), EVP_sha256(), message);
  ASSERT_EQ(big_sig.size(), 384u);
  EXPECT_TRUE(VerifyRsaPkcs1(big.get(), RsaPkcs1Hash::kSha256, message, big_sig));
  EXPECT_FALSE(VerifyRsaPkcs1(big.get(), RsaPkcs1Hash::kSha256, message, sig));
}

}  // namespace
}  // namespace enlist::crypto
