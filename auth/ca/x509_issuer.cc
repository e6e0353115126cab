#include "auth/ca/x509_issuer.h"

#include <arpa/inet.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#ifndef OPENSSL_IS_BORINGSSL
#include <openssl/core_names.h>
#endif

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/digest.h"
#include "core/der/der.h"

namespace enlist::ca {
namespace {

using crypto::BioPtr;
using crypto::EvpPkeyPtr;
using crypto::X509Ptr;

absl::Status Fail(absl::string_view what) {
  return absl::InternalError(absl::StrCat("ca: ", what));
}

bool SetTime(ASN1_TIME* field, absl::Time t) {
  return ASN1_TIME_set(field, static_cast<time_t>(absl::ToUnixSeconds(t))) != nullptr;
}

bool AddName(GENERAL_NAMES* names, int type, absl::string_view value) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (gn == nullptr) return false;
  if (type == GEN_IPADD) {
    unsigned char buf[16];
    int len = 0;
    std::string v(value);
    if (inet_pton(AF_INET, v.c_str(), buf) == 1) {
      len = 4;
    } else if (inet_pton(AF_INET6, v.c_str(), buf) == 1) {
      len = 16;
    } else {
      GENERAL_NAME_free(gn);
      return false;
    }
    ASN1_OCTET_STRING* ip = ASN1_OCTET_STRING_new();
    if (ip == nullptr || ASN1_OCTET_STRING_set(ip, buf, len) != 1) {
      ASN1_OCTET_STRING_free(ip);
      GENERAL_NAME_free(gn);
      return false;
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
  } else {
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (s == nullptr || ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
      ASN1_IA5STRING_free(s);
      GENERAL_NAME_free(gn);
      return false;
    }
    GENERAL_NAME_set0_value(gn, type, s);
  }
  if (sk_GENERAL_NAME_push(names, gn) == 0) {
    GENERAL_NAME_free(gn);
    return false;
  }
  return true;
}

}  // namespace

bool IsValidDnsName(absl::string_view n) {
  if (n.empty() || n.size() > 253) return false;
  for (char c : n) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*')) {
      return false;
    }
  }
  return true;
}

namespace {

}  // namespace

absl::StatusOr<EvpPkeyPtr> GenerateP256Key() {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return Fail("generating P-256 key failed");
  }
  return EvpPkeyPtr(key);
}

absl::StatusOr<EvpPkeyPtr> GenerateEd25519Key() {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return Fail("generating Ed25519 key failed");
  }
  return EvpPkeyPtr(key);
}

namespace {

#ifndef OPENSSL_IS_BORINGSSL
// OpenSSL 3 only: builds P-256/P-384 and Ed25519 keys from a DER
// SubjectPublicKeyInfo directly (EVP_PKEY_fromdata validates the point is on
// the curve) instead of through d2i_PUBKEY, whose provider decoder chain
// (OSSL_DECODER_CTX_new_for_pkey) cost ~17% of enlist-auth's CPU per join.
// Null for anything else, malformed input included: the caller then takes
// the d2i_PUBKEY path and its precise errors.
EvpPkeyPtr FastParsePublicKey(absl::string_view der) {
  static constexpr absl::string_view kEcPublicKey("\x2a\x86\x48\xce\x3d\x02\x01", 7);
  static constexpr absl::string_view kP256("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8);
  static constexpr absl::string_view kP384("\x2b\x81\x04\x00\x22", 5);
  static constexpr absl::string_view kEd25519("\x2b\x65\x70", 3);
  absl::StatusOr<der::Reader> top = der::Reader::Create(der);
  if (!top.ok()) return nullptr;
  absl::StatusOr<der::Reader> spki = top->ReadConstructed(der::kSequence);
  if (!spki.ok() || !top->empty()) return nullptr;
  absl::StatusOr<der::Reader> alg = spki->ReadConstructed(der::kSequence);
  if (!alg.ok()) return nullptr;
  absl::StatusOr<absl::string_view> oid = alg->ReadOid();
  if (!oid.ok()) return nullptr;
  absl::StatusOr<der::Element> bits = spki->ReadElement(der::kBitString);
  if (!bits.ok() || !spki->empty() || bits->value.size() < 2 || bits->value[0] != 0) {
    return nullptr;
  }
  const absl::string_view key = bits->value.substr(1);
  if (*oid == kEd25519 && alg->empty()) {
    return EvpPkeyPtr(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  }
  if (*oid != kEcPublicKey) return nullptr;
  absl::StatusOr<absl::string_view> curve_oid = alg->ReadOid();
  if (!curve_oid.ok() || !alg->empty()) return nullptr;
  const char* curve = *curve_oid == kP256 ? "prime256v1" : *curve_oid == kP384 ? "secp384r1" : nullptr;
  if (curve == nullptr) return nullptr;
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  std::string point(key);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return EvpPkeyPtr(pkey);
}
#endif

}  // namespace

absl::StatusOr<EvpPkeyPtr> ParseHostPublicKey(absl::string_view der) {
  if (der.empty() || der.size() > 2048) {
    return absl::InvalidArgumentError("ca: host TLS public key: empty or too large");
  }
#ifndef OPENSSL_IS_BORINGSSL
  if (EvpPkeyPtr fast = FastParsePublicKey(der)) return fast;
#endif
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (key == nullptr || p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("ca: host TLS public key: not a DER SubjectPublicKeyInfo");
  }
  switch (EVP_PKEY_id(key.get())) {
    case EVP_PKEY_ED25519:
      return key;
    case EVP_PKEY_RSA:
      if (EVP_PKEY_bits(key.get()) < 2048) {
        return absl::InvalidArgumentError("ca: host TLS public key: RSA key shorter than 2048 bits");
      }
      return key;
    case EVP_PKEY_EC:
      if (EVP_PKEY_bits(key.get()) != 256 && EVP_PKEY_bits(key.get()) != 384) {
        return absl::InvalidArgumentError("ca: host TLS public key: EC curve not P-256 or P-384");
      }
      return key;
    default:
      return absl::InvalidArgumentError("ca: host TLS public key: unsupported key type");
  }
}

absl::StatusOr<std::string> PublicKeyDer(const EVP_PKEY& key) {
  uint8_t* buf = nullptr;
  int len = i2d_PUBKEY(const_cast<EVP_PKEY*>(&key), &buf);
  if (len <= 0) return Fail("encoding public key failed");
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

absl::StatusOr<std::string> CaPin(const X509& cert) {
  EvpPkeyPtr pub(X509_get_pubkey(const_cast<X509*>(&cert)));
  if (pub == nullptr) return Fail("certificate has no public key");
  absl::StatusOr<std::string> spki = PublicKeyDer(*pub);
  if (!spki.ok()) return spki.status();
  return absl::StrCat("sha256:", crypto::Sha256Hex(*spki));
}

std::string SerialHex(const X509& cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(&cert);
  crypto::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  std::string out = absl::AsciiStrToLower(hex);
  OPENSSL_free(hex);
  return out;
}

namespace {

// Copies DER SubjectPublicKeyInfo `spki` (RFC 5280 section 4.1.2.7:
// SEQUENCE { AlgorithmIdentifier, BIT STRING }) into `cert` without
// decoding the key.
absl::Status SetSubjectPublicKeyInfo(X509* cert, absl::string_view spki) {
  const auto bad = [] { return absl::InvalidArgumentError("ca: subject public key info: malformed"); };
  absl::StatusOr<der::Reader> top = der::Reader::Create(spki);
  if (!top.ok()) return bad();
  absl::StatusOr<der::Reader> seq = top->ReadConstructed(der::kSequence);
  if (!seq.ok() || !top->empty()) return bad();
  absl::StatusOr<der::Element> alg_el = seq->ReadElement(der::kSequence);
  absl::StatusOr<der::Element> bits = seq->ReadElement(der::kBitString);
  if (!alg_el.ok() || !bits.ok() || !seq->empty() || bits->value.empty() ||
      bits->value[0] != 0) {
    return bad();
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(alg_el->tlv.data());
  X509_ALGOR* alg = d2i_X509_ALGOR(nullptr, &p, static_cast<long>(alg_el->tlv.size()));
  if (alg == nullptr) return bad();
  const ASN1_OBJECT* alg_obj = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&alg_obj, &param_type, &param, alg);
  ASN1_OBJECT* obj = OBJ_dup(alg_obj);
  void* param_copy = nullptr;
  bool ok = obj != nullptr;
  if (param_type == V_ASN1_OBJECT) {
    param_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(param));
    ok = ok && param_copy != nullptr;
  } else if (param_type == V_ASN1_SEQUENCE) {
    param_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(param));
    ok = ok && param_copy != nullptr;
  } else if (param_type != V_ASN1_NULL && param_type != V_ASN1_UNDEF) {
    ok = false;
  }
  X509_ALGOR_free(alg);
  const absl::string_view key = bits->value.substr(1);
  auto* key_copy = static_cast<unsigned char*>(OPENSSL_malloc(key.size() + 1));
  if (ok && key_copy != nullptr) {
    memcpy(key_copy, key.data(), key.size());
    ok = X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), obj, param_type, param_copy, key_copy,
                                static_cast<int>(key.size())) == 1;
    if (ok) return absl::OkStatus();
  }
  OPENSSL_free(key_copy);
  ASN1_OBJECT_free(obj);
  if (param_type == V_ASN1_OBJECT) ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(param_copy));
  if (param_type == V_ASN1_SEQUENCE) ASN1_STRING_free(static_cast<ASN1_STRING*>(param_copy));
  return Fail("setting public key");
}

}  // namespace

absl::StatusOr<X509Ptr> IssueCertificate(const CertProfile& profile, const EVP_PKEY& subject_key,
                                         const X509* issuer, EVP_PKEY& issuer_key) {
  for (const std::string& n : profile.dns_names) {
    if (!IsValidDnsName(n)) {
      return absl::InvalidArgumentError(absl::StrCat("ca: invalid DNS name \"", n.substr(0, 64), "\""));
    }
  }
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) return Fail("allocating certificate");

  // RFC 5280 section 4.1.2.2: positive, at most 20 octets.
  uint8_t serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return Fail("rng failed");
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x01;
  crypto::BignumPtr serial_bn(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (serial_bn == nullptr ||
      BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return Fail("setting serial");
  }

  crypto::X509NamePtr subject(X509_NAME_new());
  if (subject == nullptr ||
      X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const uint8_t*>(profile.common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1) {
    return Fail("setting subject");
  }
  const X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : subject.get();
  if (X509_set_issuer_name(cert.get(), const_cast<X509_NAME*>(issuer_name)) != 1) {
    return Fail("setting issuer");
  }
  if (!SetTime(X509_getm_notBefore(cert.get()), profile.not_before) ||
      !SetTime(X509_getm_notAfter(cert.get()), profile.not_after)) {
    return Fail("setting validity");
  }
  if (!profile.subject_public_key_info.empty()) {
    absl::Status s = SetSubjectPublicKeyInfo(cert.get(), profile.subject_public_key_info);
    if (!s.ok()) return s;
  } else if (X509_set_pubkey(cert.get(), const_cast<EVP_PKEY*>(&subject_key)) != 1) {
    return Fail("setting public key");
  }

  // Basic constraints (critical) and key usage (critical).
  BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
  if (bc == nullptr) return Fail("allocating basic constraints");
  bc->ca = profile.is_ca ? 0xff : 0;
  int ok = X509_add1_ext_i2d(cert.get(), NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT);
  BASIC_CONSTRAINTS_free(bc);
  if (ok != 1) return Fail("adding basic constraints");

  ASN1_BIT_STRING* ku = ASN1_BIT_STRING_new();
  if (ku == nullptr) return Fail("allocating key usage");
  ASN1_BIT_STRING_set_bit(ku, 0, 1);  // digitalSignature
  if (profile.is_ca) {
    ASN1_BIT_STRING_set_bit(ku, 5, 1);  // keyCertSign
    ASN1_BIT_STRING_set_bit(ku, 6, 1);  // cRLSign
  }
  ok = X509_add1_ext_i2d(cert.get(), NID_key_usage, ku, 1, X509V3_ADD_DEFAULT);
  ASN1_BIT_STRING_free(ku);
  if (ok != 1) return Fail("adding key usage");

  if (profile.server_auth || profile.client_auth) {
    EXTENDED_KEY_USAGE* eku = sk_ASN1_OBJECT_new_null();
    if (eku == nullptr) return Fail("allocating extended key usage");
    if (profile.server_auth) sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth));
    if (profile.client_auth) sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth));
    ok = X509_add1_ext_i2d(cert.get(), NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT);
    sk_ASN1_OBJECT_free(eku);
    if (ok != 1) return Fail("adding extended key usage");
  }

  // Subject and authority key identifiers: SHA-1 of the key bits (RFC 5280
  // section 4.2.1.2 method 1), which chain builders use to find the issuer.
  auto key_id = [](const X509* x) -> ASN1_OCTET_STRING* {
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_pubkey_digest(x, EVP_sha1(), md, &len) != 1) return nullptr;
    ASN1_OCTET_STRING* s = ASN1_OCTET_STRING_new();
    if (s != nullptr && ASN1_OCTET_STRING_set(s, md, static_cast<int>(len)) != 1) {
      ASN1_OCTET_STRING_free(s);
      return nullptr;
    }
    return s;
  };
  ASN1_OCTET_STRING* ski = key_id(cert.get());
  if (ski == nullptr) return Fail("computing subject key id");
  ok = X509_add1_ext_i2d(cert.get(), NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT);
  ASN1_OCTET_STRING_free(ski);
  if (ok != 1) return Fail("adding subject key id");
  AUTHORITY_KEYID* akid = AUTHORITY_KEYID_new();
  if (akid == nullptr) return Fail("allocating authority key id");
  akid->keyid = key_id(issuer != nullptr ? issuer : cert.get());
  ok = akid->keyid != nullptr
           ? X509_add1_ext_i2d(cert.get(), NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT)
           : 0;
  AUTHORITY_KEYID_free(akid);
  if (ok != 1) return Fail("adding authority key id");

  if (!profile.dns_names.empty() || !profile.ip_addresses.empty() || !profile.uris.empty()) {
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    if (names == nullptr) return Fail("allocating subject alt names");
    bool good = true;
    for (const auto& n : profile.dns_names) good = good && AddName(names, GEN_DNS, n);
    for (const auto& n : profile.uris) good = good && AddName(names, GEN_URI, n);
    bool ips_ok = true;
    for (const auto& n : profile.ip_addresses) ips_ok = ips_ok && AddName(names, GEN_IPADD, n);
    if (good && ips_ok) {
      ok = X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
    }
    GENERAL_NAMES_free(names);
    if (!ips_ok) return absl::InvalidArgumentError("ca: invalid IP address");
    if (!good || ok != 1) return Fail("adding subject alt names");
  }

  if (!profile.ca_issuer_urls.empty()) {
    AUTHORITY_INFO_ACCESS* aia = sk_ACCESS_DESCRIPTION_new_null();
    if (aia == nullptr) return Fail("allocating authority info access");
    bool good = true;
    for (const std::string& url : profile.ca_issuer_urls) {
      ACCESS_DESCRIPTION* ad = ACCESS_DESCRIPTION_new();
      ASN1_IA5STRING* s = ASN1_IA5STRING_new();
      if (ad == nullptr || s == nullptr ||
          ASN1_STRING_set(s, url.data(), static_cast<int>(url.size())) != 1) {
        ACCESS_DESCRIPTION_free(ad);
        ASN1_IA5STRING_free(s);
        good = false;
        break;
      }
      ASN1_OBJECT_free(ad->method);
      ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
      GENERAL_NAME_set0_value(ad->location, GEN_URI, s);
      if (sk_ACCESS_DESCRIPTION_push(aia, ad) == 0) {
        ACCESS_DESCRIPTION_free(ad);
        good = false;
        break;
      }
    }
    ok = good ? X509_add1_ext_i2d(cert.get(), NID_info_access, aia, 0, X509V3_ADD_DEFAULT) : 0;
    AUTHORITY_INFO_ACCESS_free(aia);
    if (ok != 1) return Fail("adding authority info access");
  }

  if (profile.join_extension_json.has_value()) {
    const uint8_t* oid_der = kJoinExtensionOidDer;
    ASN1_OBJECT* oid = d2i_ASN1_OBJECT(nullptr, &oid_der, sizeof(kJoinExtensionOidDer));
    ASN1_UTF8STRING* value = ASN1_UTF8STRING_new();
    bool good = oid != nullptr && value != nullptr &&
                ASN1_STRING_set(value, profile.join_extension_json->data(),
                                static_cast<int>(profile.join_extension_json->size())) == 1;
    uint8_t* der = nullptr;
    int der_len = good ? i2d_ASN1_UTF8STRING(value, &der) : -1;
    ASN1_OCTET_STRING* wrapped = ASN1_OCTET_STRING_new();
    X509_EXTENSION* ext = nullptr;
    if (der_len > 0 && wrapped != nullptr && ASN1_OCTET_STRING_set(wrapped, der, der_len) == 1) {
      ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, wrapped);
    }
    ok = ext != nullptr ? X509_add_ext(cert.get(), ext, -1) : 0;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(wrapped);
    OPENSSL_free(der);
    ASN1_UTF8STRING_free(value);
    ASN1_OBJECT_free(oid);
    if (ok != 1) return Fail("adding join extension");
  }

  const EVP_MD* md = EVP_PKEY_id(&issuer_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), &issuer_key, md) <= 0) return Fail("signing certificate");
  return cert;
}

absl::StatusOr<std::string> CertificatePem(const X509& cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), const_cast<X509*>(&cert)) != 1) {
    return Fail("encoding certificate PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return Fail("reading PEM buffer");
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> PrivateKeyPem(const EVP_PKEY& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), const_cast<EVP_PKEY*>(&key), nullptr,
                                                 nullptr, 0, nullptr, nullptr) != 1) {
    return Fail("encoding private key PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return Fail("reading PEM buffer");
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key == nullptr) return absl::InvalidArgumentError("ca: not a PEM private key");
  return key;
}

}  // namespace enlist::ca
