#include "core/jwt/signer.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/sign.h"
#include "core/encoding/base64.h"

namespace enlist::jwt {
namespace {

std::string BnToBytes(const BIGNUM* bn, int width) {
  const int len = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<uint8_t*>(out.data()), len) != len) return "";
  return out;
}

}  // namespace

absl::StatusOr<crypto::EvpPkeyPtr> GenerateRsaKey(int bits) {
  crypto::RsaPtr rsa(RSA_new());
  crypto::BignumPtr e(BN_new());
  if (rsa == nullptr || e == nullptr || BN_set_word(e.get(), RSA_F4) != 1 ||
      RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr) != 1) {
    return absl::InternalError("jwt signer: RSA key generation failed");
  }
  crypto::EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_set1_RSA(pkey.get(), rsa.get()) != 1) {
    return absl::InternalError("jwt signer: EVP_PKEY_set1_RSA failed");
  }
  return pkey;
}

absl::StatusOr<crypto::EvpPkeyPtr> GenerateEcP256Key() {
  crypto::EcKeyPtr ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (ec == nullptr || EC_KEY_generate_key(ec.get()) != 1) {
    return absl::InternalError("jwt signer: EC key generation failed");
  }
  crypto::EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_set1_EC_KEY(pkey.get(), ec.get()) != 1) {
    return absl::InternalError("jwt signer: EVP_PKEY_set1_EC_KEY failed");
  }
  return pkey;
}

absl::StatusOr<json::Value> PublicJwk(const EVP_PKEY* key, absl::string_view kid,
                                      absl::string_view alg) {
  json::Value jwk = json::Value::Object();
  if (EVP_PKEY_id(key) == EVP_PKEY_RSA) {
    const RSA* rsa = EVP_PKEY_get0_RSA(key);
    const BIGNUM* n = nullptr;
    const BIGNUM* e = nullptr;
    RSA_get0_key(rsa, &n, &e, nullptr);
    jwk.Set("kty", json::Value::String("RSA"));
    jwk.Set("n", json::Value::String(encoding::Base64UrlEncode(BnToBytes(n, 0))));
    jwk.Set("e", json::Value::String(encoding::Base64UrlEncode(BnToBytes(e, 0))));
  } else if (EVP_PKEY_id(key) == EVP_PKEY_EC) {
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
    crypto::BignumPtr x(BN_new());
    crypto::BignumPtr y(BN_new());
    if (x == nullptr || y == nullptr ||
        EC_POINT_get_affine_coordinates_GFp(EC_KEY_get0_group(ec), EC_KEY_get0_public_key(ec),
                                            x.get(), y.get(), nullptr) != 1) {
      return absl::InternalError("jwt signer: reading EC point failed");
    }
    jwk.Set("kty", json::Value::String("EC"));
    jwk.Set("crv", json::Value::String("P-256"));
    jwk.Set("x", json::Value::String(encoding::Base64UrlEncode(BnToBytes(x.get(), 32))));
    jwk.Set("y", json::Value::String(encoding::Base64UrlEncode(BnToBytes(y.get(), 32))));
  } else {
    return absl::InvalidArgumentError("jwt signer: unsupported key type");
  }
  jwk.Set("kid", json::Value::String(std::string(kid)));
  jwk.Set("use", json::Value::String("sig"));
  if (!alg.empty()) jwk.Set("alg", json::Value::String(std::string(alg)));
  return jwk;
}

absl::StatusOr<std::string> SignJws(absl::string_view header_json,
                                    absl::string_view payload_json, Algorithm alg,
                                    EVP_PKEY* key) {
  const int want = alg == Algorithm::kRs256 ? EVP_PKEY_RSA : EVP_PKEY_EC;
  if (EVP_PKEY_id(key) != want) {
    return absl::InvalidArgumentError("jwt signer: key type does not fit alg");
  }
  const std::string signing_input = absl::StrCat(encoding::Base64UrlEncode(header_json), ".",
                                                 encoding::Base64UrlEncode(payload_json));
  absl::StatusOr<std::string> sig = crypto::SignMessage(*key, EVP_sha256(), signing_input);
  if (!sig.ok()) return absl::InternalError("jwt signer: signing failed");
  std::string raw = *std::move(sig);
  if (alg == Algorithm::kEs256) {
    // DER ECDSA-Sig-Value -> JOSE r||s (RFC 7518 §3.4).
    const uint8_t* p = reinterpret_cast<const uint8_t*>(raw.data());
    crypto::EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(raw.size())));
    if (ecdsa == nullptr) return absl::InternalError("jwt signer: d2i_ECDSA_SIG failed");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(ecdsa.get(), &r, &s);
    raw = BnToBytes(r, 32) + BnToBytes(s, 32);
    if (raw.size() != 64) return absl::InternalError("jwt signer: ECDSA conversion failed");
  }
  return absl::StrCat(signing_input, ".", encoding::Base64UrlEncode(raw));
}

absl::StatusOr<std::string> SignJwt(const json::Value& claims, Algorithm alg, EVP_PKEY* key,
                                    absl::string_view kid) {
  json::Value header = json::Value::Object();
  header.Set("alg", json::Value::String(std::string(AlgorithmName(alg))));
  header.Set("typ", json::Value::String("JWT"));
  header.Set("kid", json::Value::String(std::string(kid)));
  return SignJws(json::Serialize(header), json::Serialize(claims), alg, key);
}

}  // namespace enlist::jwt
