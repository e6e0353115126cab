#include "core/jwt/jwks.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/encoding/base64.h"
#include "core/util/status_macros.h"

namespace enlist::jwt {
namespace {

// Drops the "json: " prefix of a json:: error so it can be chained.
absl::string_view WithoutJsonPrefix(absl::string_view msg) {
  if (absl::StartsWith(msg, "json: ")) msg.remove_prefix(6);
  return msg;
}

absl::Status KeyError(absl::string_view kid, absl::string_view reason) {
  reason = WithoutJsonPrefix(reason);
  return absl::InvalidArgumentError(
      absl::StrCat("jwks: key ", QuoteForMessage(kid), ": ", reason));
}

// Decodes a base64url member (RFC 7518 §6.2/§6.3: Base64urlUInt etc.).
absl::StatusOr<std::string> DecodeMember(const json::Value& key, absl::string_view kid,
                                         absl::string_view name) {
  absl::StatusOr<std::string> text = key.GetString(name);
  if (!text.ok()) return KeyError(kid, text.status().message());
  absl::StatusOr<std::string> bytes = encoding::Base64UrlDecode(*text);
  if (!bytes.ok()) {
    return KeyError(kid, absl::StrCat("member \"", name, "\": ", bytes.status().message()));
  }
  if (bytes->empty()) return KeyError(kid, absl::StrCat("member \"", name, "\" is empty"));
  return bytes;
}

crypto::BignumPtr ToBignum(const std::string& bytes) {
  return crypto::BignumPtr(
      BN_bin2bn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nullptr));
}

// RFC 7518 §6.3.1.
absl::Status ParseRsa(const json::Value& key, Jwk* out) {
  ENLIST_ASSIGN_OR_RETURN(std::string n, DecodeMember(key, out->kid, "n"));
  ENLIST_ASSIGN_OR_RETURN(std::string e, DecodeMember(key, out->kid, "e"));
  if (n.size() > kMaxRsaBits / 8 + 1) {
    return KeyError(out->kid, absl::StrCat("RSA modulus larger than ", kMaxRsaBits, " bits"));
  }
  if (e.size() > 4) return KeyError(out->kid, "RSA exponent too large");
  crypto::BignumPtr bn_n = ToBignum(n);
  crypto::BignumPtr bn_e = ToBignum(e);
  if (bn_n == nullptr || bn_e == nullptr) return absl::InternalError("jwks: BN_bin2bn failed");
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits) {
    return KeyError(out->kid,
                    absl::StrCat("RSA modulus of ", bits, " bits is below ", kMinRsaBits));
  }
  if (bits > kMaxRsaBits) {
    return KeyError(out->kid, absl::StrCat("RSA modulus larger than ", kMaxRsaBits, " bits"));
  }
  if (!BN_is_odd(bn_n.get())) return KeyError(out->kid, "RSA modulus is even");
  if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2) {
    return KeyError(out->kid, "RSA exponent must be odd and at least 3");
  }
  crypto::RsaPtr rsa(RSA_new());
  if (rsa == nullptr) return absl::InternalError("jwks: RSA_new failed");
  if (RSA_set0_key(rsa.get(), bn_n.get(), bn_e.get(), nullptr) != 1) {
    return absl::InternalError("jwks: RSA_set0_key failed");
  }
  bn_n.release();  // owned by rsa now
  bn_e.release();
  crypto::EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_set1_RSA(pkey.get(), rsa.get()) != 1) {
    return absl::InternalError("jwks: EVP_PKEY_set1_RSA failed");
  }
  out->type = KeyType::kRsa;
  out->bits = bits;
  out->key = std::move(pkey);
  return absl::OkStatus();
}

// RFC 7518 §6.2.1; only P-256 (for ES256).
absl::Status ParseEc(const json::Value& key, Jwk* out) {
  absl::StatusOr<std::string> crv = key.GetString("crv");
  if (!crv.ok()) return KeyError(out->kid, crv.status().message());
  if (*crv != "P-256") {
    return KeyError(out->kid, absl::StrCat("unsupported crv ", QuoteForMessage(*crv)));
  }
  ENLIST_ASSIGN_OR_RETURN(std::string x, DecodeMember(key, out->kid, "x"));
  ENLIST_ASSIGN_OR_RETURN(std::string y, DecodeMember(key, out->kid, "y"));
  // RFC 7518 §6.2.1.2: the full coordinate length, 32 bytes for P-256.
  if (x.size() != 32 || y.size() != 32) {
    return KeyError(out->kid, "EC coordinates must be 32 bytes for P-256");
  }
  crypto::EcKeyPtr ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (ec == nullptr) return absl::InternalError("jwks: EC_KEY_new_by_curve_name failed");
  crypto::BignumPtr bx = ToBignum(x);
  crypto::BignumPtr by = ToBignum(y);
  if (bx == nullptr || by == nullptr) return absl::InternalError("jwks: BN_bin2bn failed");
  // Checks that the coordinates are in range and the point is on the curve
  // (and, with EC_KEY_check_key, not the point at infinity).
  if (EC_KEY_set_public_key_affine_coordinates(ec.get(), bx.get(), by.get()) != 1 ||
      EC_KEY_check_key(ec.get()) != 1) {
    return KeyError(out->kid, "EC point is not on curve P-256");
  }
  crypto::EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || EVP_PKEY_set1_EC_KEY(pkey.get(), ec.get()) != 1) {
    return absl::InternalError("jwks: EVP_PKEY_set1_EC_KEY failed");
  }
  out->type = KeyType::kEcP256;
  out->bits = 256;
  out->key = std::move(pkey);
  return absl::OkStatus();
}

bool IsSupportedKty(const json::Value& key) {
  const json::Value* kty = key.Find("kty");
  return kty != nullptr && kty->is_string() &&
         (kty->string_value() == "RSA" || kty->string_value() == "EC");
}

}  // namespace

std::string QuoteForMessage(absl::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (unsigned char c : s) {
    if (++n > 64) {
      out += "...";
      break;
    }
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += "\"";
  return out;
}

absl::string_view KeyTypeName(KeyType type) {
  return type == KeyType::kRsa ? "RSA" : "EC P-256";
}

absl::Status UnknownKidError(absl::string_view kid) {
  return absl::UnauthenticatedError(absl::StrCat("jwt: unknown kid ", QuoteForMessage(kid)));
}

absl::StatusOr<Jwk> ParseJwk(const json::Value& key) {
  Jwk out;
  if (!key.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwks: key is ", json::TypeName(key.type()), ", not object"));
  }
  absl::StatusOr<std::optional<std::string>> kid = key.GetOptionalString("kid");
  if (!kid.ok()) return KeyError("", kid.status().message());
  out.kid = kid->value_or("");
  absl::StatusOr<std::optional<std::string>> alg = key.GetOptionalString("alg");
  if (!alg.ok()) return KeyError(out.kid, alg.status().message());
  out.alg = alg->value_or("");
  absl::StatusOr<std::optional<std::string>> use = key.GetOptionalString("use");
  if (!use.ok()) return KeyError(out.kid, use.status().message());
  out.use = use->value_or("");
  if (!out.use.empty() && out.use != "sig") {
    return KeyError(out.kid, absl::StrCat("unsupported use ", QuoteForMessage(out.use)));
  }
  if (key.Find("d") != nullptr) {
    return KeyError(out.kid, "private key material (\"d\") in a public key set");
  }
  absl::StatusOr<std::string> kty = key.GetString("kty");
  if (!kty.ok()) return KeyError(out.kid, kty.status().message());
  if (*kty == "RSA") {
    ENLIST_RETURN_IF_ERROR(ParseRsa(key, &out));
  } else if (*kty == "EC") {
    ENLIST_RETURN_IF_ERROR(ParseEc(key, &out));
  } else {
    return KeyError(out.kid, absl::StrCat("unsupported kty ", QuoteForMessage(*kty)));
  }
  return out;
}

absl::StatusOr<Jwks> Jwks::Parse(absl::string_view document, const JwksParseOptions& options) {
  json::ParseOptions json_options;
  json_options.max_size = options.max_size;
  json_options.max_depth = 8;
  absl::StatusOr<json::Value> doc = json::Parse(document, json_options);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("jwks: ", WithoutJsonPrefix(doc.status().message())));
  }
  if (!doc->is_object()) return absl::InvalidArgumentError("jwks: document is not an object");
  absl::StatusOr<const json::Value*> keys = doc->GetArray("keys");
  if (!keys.ok()) return absl::InvalidArgumentError(absl::StrCat("jwks: ", WithoutJsonPrefix(keys.status().message())));
  std::vector<Jwk> parsed;
  for (const json::Value& k : (*keys)->array()) {
    if (options.skip_unsupported_keys && k.is_object()) {
      const json::Value* use = k.Find("use");
      if (!IsSupportedKty(k) || (use != nullptr && use->string_value() == "enc")) continue;
    }
    ENLIST_ASSIGN_OR_RETURN(Jwk jwk, ParseJwk(k));
    parsed.push_back(std::move(jwk));
  }
  return FromKeys(std::move(parsed));
}

absl::StatusOr<Jwks> Jwks::FromKeys(std::vector<Jwk> keys) {
  absl::flat_hash_set<std::string> seen;
  for (const Jwk& k : keys) {
    if (!seen.insert(k.kid).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwks: duplicate kid ", QuoteForMessage(k.kid)));
    }
  }
  Jwks out;
  out.keys_ = std::move(keys);
  return out;
}

const Jwk* Jwks::Find(absl::string_view kid) const {
  for (const Jwk& k : keys_) {
    if (k.kid == kid) return &k;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const Jwk>> StaticKeyResolver::FindKey(absl::string_view kid) {
  const Jwk* k = keys_ == nullptr ? nullptr : keys_->Find(kid);
  if (k == nullptr) return UnknownKidError(kid);
  return std::shared_ptr<const Jwk>(keys_, k);  // aliases the set's lifetime
}

}  // namespace enlist::jwt
