#include "auth/ca/x509_issuer.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/crypto/digest.h"
#include "core/crypto/sign.h"
#include "core/der/der.h"
#include "core/der/der_writer.h"
#include "core/util/status_macros.h"

namespace enlist::ca {
namespace {

using crypto::BioPtr;
using crypto::EvpPkeyPtr;
using crypto::X509Ptr;
namespace w = der::write;

absl::Status Fail(absl::string_view what) {
  return absl::InternalError(absl::StrCat("ca: ", what));
}

// Object identifier contents (without tag and length).
constexpr absl::string_view kEcPublicKeyOid("\x2a\x86\x48\xce\x3d\x02\x01", 7);
constexpr absl::string_view kP256Oid("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8);
constexpr absl::string_view kP384Oid("\x2b\x81\x04\x00\x22", 5);
constexpr absl::string_view kEd25519Oid("\x2b\x65\x70", 3);
constexpr absl::string_view kRsaEncryptionOid("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 9);

// The parts of a DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7).
struct Spki {
  absl::string_view algorithm;  // OID contents
  // The parameters' OID contents when they are an OID (EC: the curve).
  std::optional<absl::string_view> curve;
  bool no_parameters = false;
  // The parameters are NULL (RSA: RFC 3279 section 2.3.1 requires it).
  bool null_parameters = false;
  // subjectPublicKey without its unused-bits octet (which must be 0).
  absl::string_view key;
};

// Splits one DER SubjectPublicKeyInfo with nothing after it; nullopt when
// `der` is anything else.
std::optional<Spki> SplitSpki(absl::string_view der) {
  absl::StatusOr<der::Reader> top = der::Reader::Create(der);
  if (!top.ok()) return std::nullopt;
  absl::StatusOr<der::Reader> spki = top->ReadConstructed(der::kSequence);
  if (!spki.ok() || !top->empty()) return std::nullopt;
  absl::StatusOr<der::Reader> alg = spki->ReadConstructed(der::kSequence);
  if (!alg.ok()) return std::nullopt;
  Spki out;
  absl::StatusOr<absl::string_view> oid = alg->ReadOid();
  if (!oid.ok()) return std::nullopt;
  out.algorithm = *oid;
  if (alg->empty()) {
    out.no_parameters = true;
  } else if (alg->NextIs(der::kObjectIdentifier)) {
    absl::StatusOr<absl::string_view> curve = alg->ReadOid();
    if (!curve.ok()) return std::nullopt;
    out.curve = *curve;
  } else if (alg->NextIs(der::kNull)) {
    absl::StatusOr<der::Element> null = alg->ReadElement(der::kNull);
    if (!null.ok() || !null->value.empty()) return std::nullopt;
    out.null_parameters = true;
  } else if (!alg->ReadAny().ok()) {
    return std::nullopt;
  }
  absl::StatusOr<der::Element> bits = spki->ReadElement(der::kBitString);
  if (!alg->empty() || !bits.ok() || !spki->empty() || bits->value.empty() || bits->value[0] != 0) {
    return std::nullopt;
  }
  out.key = bits->value.substr(1);
  return out;
}

// The key identifier of a subjectPublicKey (RFC 5280 section 4.2.1.2,
// method 1).
std::string KeyId(absl::string_view key_bits) {
  uint8_t md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const uint8_t*>(key_bits.data()), key_bits.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof(md));
}

// The number of characters in `s` when it is valid UTF-8 (no overlong
// forms, surrogates or code points above U+10FFFF) without C0 controls or
// DEL; nullopt otherwise.
std::optional<size_t> Utf8Length(absl::string_view s) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++chars) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      n = 1;
      cp = b;
    } else if ((b & 0xe0) == 0xc0) {
      n = 2;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      n = 3;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      n = 4;
      cp = b & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (size_t k = 1; k < n; ++k) {
      const uint8_t c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0x20 ||
        cp == 0x7f) {
      return std::nullopt;
    }
    i += n;
  }
  return chars;
}

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<uint8_t>(c) >= 0x80) return false;
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

// OpenSSL's d2i_PUBKEY for the keys SplitSpki's fast checks do not cover
// (RSA, other curves), with the same messages.
absl::Status CheckWithDecoder(absl::string_view der) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (key == nullptr || p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("ca: host TLS public key: not a DER SubjectPublicKeyInfo");
  }
  switch (EVP_PKEY_id(key.get())) {
    case EVP_PKEY_ED25519:
      return absl::OkStatus();
    case EVP_PKEY_RSA:
      if (EVP_PKEY_bits(key.get()) < 2048) {
        return absl::InvalidArgumentError("ca: host TLS public key: RSA key shorter than 2048 bits");
      }
      return absl::OkStatus();
    case EVP_PKEY_EC:
      return absl::InvalidArgumentError("ca: host TLS public key: EC curve not P-256 or P-384");
    default:
      return absl::InvalidArgumentError("ca: host TLS public key: unsupported key type");
  }
}

// True when `key` is an RSAPublicKey (RFC 3279 section 2.3.1: SEQUENCE {
// modulus INTEGER, publicExponent INTEGER }) in strict DER. libcrypto's
// decoder also takes BER (e.g. non-minimal integers) and negative
// integers, which the certificate would then carry verbatim.
bool IsDerRsaPublicKey(absl::string_view key) {
  absl::StatusOr<der::Reader> top = der::Reader::Create(key);
  if (!top.ok()) return false;
  absl::StatusOr<der::Reader> seq = top->ReadConstructed(der::kSequence);
  if (!seq.ok() || !top->empty()) return false;
  // Both positive (libcrypto reads a negative INTEGER as its magnitude).
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<absl::string_view> v = seq->ReadInteger();
    if (!v.ok() || v->empty() || (static_cast<uint8_t>((*v)[0]) & 0x80) != 0) return false;
  }
  return seq->empty();
}

// True when `point` is the uncompressed encoding of a point on the curve
// other than the point at infinity.
bool IsPointOnCurve(int nid, absl::string_view point) {
  if (point.empty() || point[0] != 0x04) return false;
  // Groups are immutable once built; one per curve for the process.
  static const EC_GROUP* const p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  static const EC_GROUP* const p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
  const EC_GROUP* group = nid == NID_X9_62_prime256v1 ? p256 : p384;
  if (group == nullptr) return false;
  EC_POINT* p = EC_POINT_new(group);
  if (p == nullptr) return false;
  const bool ok = EC_POINT_oct2point(group, p, reinterpret_cast<const uint8_t*>(point.data()),
                                     point.size(), nullptr) == 1 &&
                  EC_POINT_is_at_infinity(group, p) == 0;
  EC_POINT_free(p);
  ERR_clear_error();
  return ok;
}

}  // namespace

absl::Status CheckHostPublicKey(absl::string_view der) {
  if (der.empty() || der.size() > 2048) {
    return absl::InvalidArgumentError("ca: host TLS public key: empty or too large");
  }
  const absl::Status malformed =
      absl::InvalidArgumentError("ca: host TLS public key: not a DER SubjectPublicKeyInfo");
  std::optional<Spki> spki = SplitSpki(der);
  if (!spki.has_value()) return malformed;
  if (spki->algorithm == kEd25519Oid) {
    return spki->no_parameters && spki->key.size() == 32 ? absl::OkStatus() : malformed;
  }
  if (spki->algorithm == kEcPublicKeyOid && spki->curve.has_value() &&
      (*spki->curve == kP256Oid || *spki->curve == kP384Oid)) {
    const int nid = *spki->curve == kP256Oid ? NID_X9_62_prime256v1 : NID_secp384r1;
    // RFC 5480 makes only the uncompressed form mandatory to support: a
    // certificate carrying a compressed point is unreadable to some
    // verifiers (Go's crypto/x509), and BoringSSL re-encodes it uncompressed.
    if (!spki->key.empty() && (spki->key[0] == 0x02 || spki->key[0] == 0x03)) {
      return absl::InvalidArgumentError(
          "ca: host TLS public key: compressed EC point; send the uncompressed form (RFC 5480)");
    }
    return IsPointOnCurve(nid, spki->key) ? absl::OkStatus() : malformed;
  }
  // libcrypto's decoder takes any parameters for rsaEncryption (OpenSSL 3
  // reads OCTET STRING parameters as a valid key) and a BER RSAPublicKey; a
  // certificate must carry NULL and DER (RFC 3279 section 2.3.1).
  if (spki->algorithm == kRsaEncryptionOid &&
      (!spki->null_parameters || !IsDerRsaPublicKey(spki->key))) {
    return malformed;
  }
  return CheckWithDecoder(der);
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

absl::StatusOr<IssuerIdentity> IssuerIdentityOf(absl::string_view cert_der) {
  absl::StatusOr<crypto::CertificateBasics> basics = crypto::ReadCertificateBasics(cert_der);
  if (!basics.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ca: issuer certificate: ", basics.status().message()));
  }
  std::optional<Spki> spki = SplitSpki(basics->subject_public_key_info);
  if (!spki.has_value()) {
    return absl::InvalidArgumentError("ca: issuer certificate: malformed subject public key info");
  }
  IssuerIdentity out;
  out.name_der = std::string(basics->subject);
  out.key_id = KeyId(spki->key);
  return out;
}

namespace {

// One Extension (RFC 5280 section 4.1): the OID (DER), criticality, and
// the extension's value (DER) wrapped in an OCTET STRING.
std::string Extension(absl::string_view oid_der, bool critical, absl::string_view value_der) {
  return w::Seq({std::string(oid_der), critical ? w::Boolean(true) : std::string(),
                 w::OctetString(value_der)});
}

// The DER of the OIDs the certificates use, built once.
struct Oids {
  std::string common_name, basic_constraints, key_usage, ext_key_usage, server_auth, client_auth,
      subject_key_id, authority_key_id, subject_alt_name, info_access, ca_issuers, ecdsa_sha256,
      ed25519, sha256_rsa;

  static const Oids& Get() {
    static const Oids* const oids = [] {
      auto oid = [](absl::string_view dotted) { return *w::Oid(dotted); };
      auto* o = new Oids;
      o->common_name = oid("2.5.4.3");
      o->basic_constraints = oid("2.5.29.19");
      o->key_usage = oid("2.5.29.15");
      o->ext_key_usage = oid("2.5.29.37");
      o->server_auth = oid("1.3.6.1.5.5.7.3.1");
      o->client_auth = oid("1.3.6.1.5.5.7.3.2");
      o->subject_key_id = oid("2.5.29.14");
      o->authority_key_id = oid("2.5.29.35");
      o->subject_alt_name = oid("2.5.29.17");
      o->info_access = oid("1.3.6.1.5.5.7.1.1");
      o->ca_issuers = oid("1.3.6.1.5.5.7.48.2");
      o->ecdsa_sha256 = oid("1.2.840.10045.4.3.2");
      o->ed25519 = oid("1.3.101.112");
      o->sha256_rsa = oid("1.2.840.113549.1.1.11");
      return o;
    }();
    return *oids;
  }
};

// The signature AlgorithmIdentifier (DER) for `key` and the digest to sign
// with (null for Ed25519).
absl::StatusOr<std::pair<std::string, const EVP_MD*>> SignatureAlgorithm(const EVP_PKEY& key) {
  const Oids& o = Oids::Get();
  switch (EVP_PKEY_id(&key)) {
    case EVP_PKEY_EC:
      return std::make_pair(w::Seq({o.ecdsa_sha256}), EVP_sha256());
    case EVP_PKEY_ED25519:
      return std::make_pair(w::Seq({o.ed25519}), static_cast<const EVP_MD*>(nullptr));
    case EVP_PKEY_RSA:
      return std::make_pair(w::Seq({o.sha256_rsa, w::Null()}), EVP_sha256());
    default:
      return absl::InvalidArgumentError("ca: issuer key type not supported (EC, Ed25519 or RSA)");
  }
}

// A subjectAltName iPAddress: 4 or 16 octets.
absl::StatusOr<std::string> IpOctets(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 4);
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return absl::InvalidArgumentError("ca: invalid IP address");
}

}  // namespace

absl::StatusOr<IssuedCertificate> IssueCertificateDer(const CertProfile& profile,
                                                      absl::string_view subject_spki,
                                                      const IssuerIdentity* issuer,
                                                      EVP_PKEY& issuer_key) {
  const Oids& o = Oids::Get();
  if (issuer != nullptr && (issuer->name_der.empty() || issuer->key_id.empty())) {
    return absl::InvalidArgumentError("ca: issuer identity has no name or key id");
  }
  std::optional<size_t> cn_chars = Utf8Length(profile.common_name);
  if (!cn_chars.has_value() || *cn_chars == 0 || *cn_chars > 64) {
    return absl::InvalidArgumentError(
        "ca: common name must be 1-64 characters of UTF-8 without control characters");
  }
  for (const std::string& n : profile.dns_names) {
    if (!IsValidDnsName(n)) {
      return absl::InvalidArgumentError(absl::StrCat("ca: invalid DNS name \"", n.substr(0, 64), "\""));
    }
  }
  for (const std::vector<std::string>* list : {&profile.uris, &profile.ca_issuer_urls}) {
    for (const std::string& u : *list) {
      if (u.empty() || !IsAscii(u)) {
        return absl::InvalidArgumentError("ca: a URI must be non-empty ASCII");
      }
    }
  }
  std::optional<Spki> spki = SplitSpki(subject_spki);
  if (!spki.has_value()) {
    return absl::InvalidArgumentError("ca: subject public key info: malformed");
  }
  if (profile.not_after < profile.not_before) {
    return absl::InvalidArgumentError("ca: validity ends before it begins");
  }
  ENLIST_ASSIGN_OR_RETURN(std::string not_before, w::CertificateTime(profile.not_before));
  ENLIST_ASSIGN_OR_RETURN(std::string not_after, w::CertificateTime(profile.not_after));
  ENLIST_ASSIGN_OR_RETURN(auto algorithm, SignatureAlgorithm(issuer_key));

  // RFC 5280 section 4.1.2.2: positive, at most 20 octets; the first octet
  // is non-zero with its top bit clear, so the 16 octets are the minimal
  // encoding and their hex is SerialHex's.
  uint8_t serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) {
    ERR_clear_error();
    return Fail("rng failed");
  }
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const absl::string_view serial_bytes(reinterpret_cast<const char*>(serial), sizeof(serial));

  const std::string subject =
      w::Seq({w::Set({w::Seq({o.common_name, w::Tlv(der::kUtf8String, profile.common_name)})})});
  const std::string subject_key_id = KeyId(spki->key);

  std::vector<std::string> extensions;
  extensions.push_back(Extension(o.basic_constraints, true,
                                 w::Seq({profile.is_ca ? w::Boolean(true) : std::string()})));
  // keyUsage named bits, DER-minimal: digitalSignature (0) alone, or with
  // keyCertSign (5) and cRLSign (6) for a CA.
  extensions.push_back(Extension(o.key_usage, true,
                                 profile.is_ca ? absl::string_view("\x03\x02\x01\x86", 4)
                                               : absl::string_view("\x03\x02\x07\x80", 4)));
  if (profile.server_auth || profile.client_auth) {
    extensions.push_back(Extension(o.ext_key_usage, false,
                                   w::Seq({profile.server_auth ? o.server_auth : std::string(),
                                           profile.client_auth ? o.client_auth : std::string()})));
  }
  extensions.push_back(Extension(o.subject_key_id, false, w::OctetString(subject_key_id)));
  extensions.push_back(
      Extension(o.authority_key_id, false,
                w::Seq({w::Tlv(der::ContextTag(0, false),
                               issuer != nullptr ? issuer->key_id : subject_key_id)})));
  if (!profile.dns_names.empty() || !profile.uris.empty() || !profile.ip_addresses.empty()) {
    std::vector<std::string> names;
    for (const std::string& n : profile.dns_names) {
      names.push_back(w::Tlv(der::ContextTag(2, false), n));
    }
    for (const std::string& n : profile.uris) names.push_back(w::Tlv(der::ContextTag(6, false), n));
    for (const std::string& n : profile.ip_addresses) {
      ENLIST_ASSIGN_OR_RETURN(std::string ip, IpOctets(n));
      names.push_back(w::Tlv(der::ContextTag(7, false), ip));
    }
    extensions.push_back(Extension(o.subject_alt_name, false, w::Seq(names)));
  }
  if (!profile.ca_issuer_urls.empty()) {
    std::vector<std::string> access;
    for (const std::string& url : profile.ca_issuer_urls) {
      access.push_back(w::Seq({o.ca_issuers, w::Tlv(der::ContextTag(6, false), url)}));
    }
    extensions.push_back(Extension(o.info_access, false, w::Seq(access)));
  }
  if (profile.join_extension_json.has_value()) {
    extensions.push_back(
        Extension(absl::string_view(reinterpret_cast<const char*>(kJoinExtensionOidDer),
                                    sizeof(kJoinExtensionOidDer)),
                  false, w::Tlv(der::kUtf8String, *profile.join_extension_json)));
  }

  const std::string tbs = w::Seq({
      w::Context(0, {w::Integer(2)}),  // v3
      w::IntegerBytes(serial_bytes),
      algorithm.first,
      issuer != nullptr ? issuer->name_der : subject,
      w::Seq({not_before, not_after}),
      subject,
      std::string(subject_spki),
      w::Context(3, {w::Seq(extensions)}),
  });
  absl::StatusOr<std::string> signature = crypto::SignMessage(issuer_key, algorithm.second, tbs);
  if (!signature.ok()) return Fail("signing certificate");
  IssuedCertificate out;
  out.der = w::Seq({tbs, algorithm.first, w::BitString(*signature)});
  out.serial_hex = absl::BytesToHexString(serial_bytes);
  return out;
}

absl::StatusOr<X509Ptr> IssueCertificate(const CertProfile& profile, const EVP_PKEY& subject_key,
                                         const X509* issuer, EVP_PKEY& issuer_key) {
  ENLIST_ASSIGN_OR_RETURN(std::string spki, PublicKeyDer(subject_key));
  std::optional<IssuerIdentity> issuer_id;
  if (issuer != nullptr) {
    ENLIST_ASSIGN_OR_RETURN(std::string issuer_der, crypto::CertificateDer(*issuer));
    ENLIST_ASSIGN_OR_RETURN(issuer_id, IssuerIdentityOf(issuer_der));
  }
  ENLIST_ASSIGN_OR_RETURN(
      IssuedCertificate issued,
      IssueCertificateDer(profile, spki, issuer_id ? &*issuer_id : nullptr, issuer_key));
  const uint8_t* p = reinterpret_cast<const uint8_t*>(issued.der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(issued.der.size())));
  if (cert == nullptr) {
    ERR_clear_error();
    return Fail("the issued certificate does not parse");
  }
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
