// Certificates built by IssueCertificateDer, read back by libcrypto's own
// parser and verifier: what a TLS peer will see.
#include "auth/ca/x509_issuer.h"

#include <openssl/evp.h>
#if defined(OPENSSL_IS_BORINGSSL)
#include <openssl/mem.h>  // OPENSSL_free
#else
#include <openssl/crypto.h>  // OPENSSL_free
#endif
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/crypto/cert.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using ::testing::ElementsAre;

crypto::EvpPkeyPtr KeyGen(int type, int param) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if (type == EVP_PKEY_EC && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), param) != 1) {
    return nullptr;
  }
  if (type == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), param) != 1) {
    return nullptr;
  }
  if (EVP_PKEY_keygen(ctx.get(), &key) != 1) return nullptr;
  return crypto::EvpPkeyPtr(key);
}

crypto::X509Ptr Parse(const std::string& der) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
  crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_EQ(p, reinterpret_cast<const uint8_t*>(der.data()) + der.size());
  return cert;
}

// The whole seconds of `t` (certificates carry no fractions).
absl::Time Floor(absl::Time t) { return absl::FromUnixSeconds(absl::ToUnixSeconds(t)); }

CertProfile CaProfile(absl::Time now) {
  CertProfile p;
  p.common_name = "enlist test CA";
  p.is_ca = true;
  p.not_before = now - absl::Hours(1);
  p.not_after = now + absl::Hours(24 * 365);
  return p;
}

CertProfile HostProfile(absl::Time now) {
  CertProfile p;
  p.common_name = "5b6e1c1e-0000-4000-8000-000000000001";
  p.dns_names = {"vm-1", "vm-1.internal"};
  p.uris = {"urn:enlist:host:5b6e1c1e-0000-4000-8000-000000000001"};
  p.ip_addresses = {"10.0.0.4", "fd00::4"};
  p.server_auth = p.client_auth = true;
  p.not_before = now - absl::Minutes(5) + absl::Milliseconds(700);
  p.not_after = now + absl::Hours(8);
  p.join_extension_json = R"({"host_id":"5b6e1c1e","role":"Node"})";
  return p;
}

class X509IssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = absl::Now();
    ca_key_ = KeyGen(EVP_PKEY_EC, NID_X9_62_prime256v1);
    ASSERT_NE(ca_key_, nullptr);
    absl::StatusOr<crypto::X509Ptr> ca =
        IssueCertificate(CaProfile(now_), *ca_key_, nullptr, *ca_key_);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    absl::StatusOr<std::string> der = crypto::CertificateDer(*ca_);
    ASSERT_TRUE(der.ok());
    absl::StatusOr<IssuerIdentity> id = IssuerIdentityOf(*der);
    ASSERT_TRUE(id.ok()) << id.status();
    issuer_ = *std::move(id);
    host_key_ = KeyGen(EVP_PKEY_EC, NID_X9_62_prime256v1);
    ASSERT_NE(host_key_, nullptr);
    host_spki_ = *PublicKeyDer(*host_key_);
  }

  // Verifies `cert` against the CA as a TLS server and client would.
  int VerifyChain(X509* cert, int purpose) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca_.get());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, nullptr);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    const int ok = X509_verify_cert(ctx);
    const int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return err;
  }

  absl::Time now_;
  crypto::EvpPkeyPtr ca_key_, host_key_;
  crypto::X509Ptr ca_;
  IssuerIdentity issuer_;
  std::string host_spki_;
};

TEST_F(X509IssuerTest, HostCertificateCarriesTheProfileAndChainsToTheCa) {
  absl::StatusOr<IssuedCertificate> issued =
      IssueCertificateDer(HostProfile(now_), host_spki_, &issuer_, *ca_key_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  crypto::X509Ptr cert = Parse(issued->der);
  ASSERT_NE(cert, nullptr);

  EXPECT_EQ(X509_get_version(cert.get()), 2);  // v3
  EXPECT_EQ(issued->serial_hex, SerialHex(*cert));
  EXPECT_EQ(crypto::CommonName(*cert), "5b6e1c1e-0000-4000-8000-000000000001");
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ca_.get())), 0);
  EXPECT_EQ(*PublicKeyDer(*crypto::EvpPkeyPtr(X509_get_pubkey(cert.get()))), host_spki_);
  EXPECT_EQ(*crypto::Asn1TimeToTime(X509_get0_notBefore(cert.get())),
            Floor(HostProfile(now_).not_before));
  EXPECT_EQ(*crypto::Asn1TimeToTime(X509_get0_notAfter(cert.get())),
            Floor(HostProfile(now_).not_after));
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);

  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  // The authority key id is the CA's subject key id.
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(cert.get());
  const ASN1_OCTET_STRING* ca_skid = X509_get0_subject_key_id(ca_.get());
  ASSERT_NE(akid, nullptr);
  ASSERT_NE(ca_skid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid, ca_skid), 0);
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);

  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(sans, nullptr);
  for (size_t i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    const ASN1_STRING* v = gn->type == GEN_DNS   ? gn->d.dNSName
                           : gn->type == GEN_URI ? gn->d.uniformResourceIdentifier
                                                 : gn->d.iPAddress;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                     static_cast<size_t>(ASN1_STRING_length(v)));
    names.push_back(
        absl::StrCat(gn->type, ":", gn->type == GEN_IPADD ? absl::BytesToHexString(text) : text));
  }
  GENERAL_NAMES_free(sans);
  EXPECT_THAT(
      names,
      ElementsAre(absl::StrCat(GEN_DNS, ":vm-1"), absl::StrCat(GEN_DNS, ":vm-1.internal"),
                  absl::StrCat(GEN_URI, ":urn:enlist:host:5b6e1c1e-0000-4000-8000-000000000001"),
                  absl::StrCat(GEN_IPADD, ":0a000004"),
                  absl::StrCat(GEN_IPADD, ":fd000000000000000000000000000004")));

  // Enlist's join extension: a UTF8String holding the JSON.
  // From its DER (BoringSSL's OBJ_txt2obj cannot read arcs over 64 bits).
  const unsigned char* oid_der = kJoinExtensionOidDer;
  ASN1_OBJECT* oid = d2i_ASN1_OBJECT(nullptr, &oid_der, sizeof(kJoinExtensionOidDer));
  ASSERT_NE(oid, nullptr);
#if !defined(OPENSSL_IS_BORINGSSL)
  // The DER and the dotted form name the same OID.
  char dotted[128];
  ASSERT_GT(OBJ_obj2txt(dotted, sizeof(dotted), oid, 1), 0);
  EXPECT_STREQ(dotted, kJoinExtensionOid);
#endif
  const int at = X509_get_ext_by_OBJ(cert.get(), oid, -1);
  ASN1_OBJECT_free(oid);
  ASSERT_GE(at, 0);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(cert.get(), at));
  std::string ext(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                  static_cast<size_t>(ASN1_STRING_length(value)));
  EXPECT_EQ(ext, std::string("\x0c\x24") + R"({"host_id":"5b6e1c1e","role":"Node"})");

  EXPECT_EQ(VerifyChain(cert.get(), X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(VerifyChain(cert.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

TEST_F(X509IssuerTest, SelfSignedCaIsACa) {
  EXPECT_EQ(X509_check_ca(ca_.get()), 1);
  EXPECT_EQ(X509_get_key_usage(ca_.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(ca_.get()), X509_get_subject_name(ca_.get())), 0);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(ca_.get()),
                                  X509_get0_subject_key_id(ca_.get())),
            0);
  EXPECT_EQ(X509_verify(ca_.get(), ca_key_.get()), 1);
  // The issuer identity is the CA's subject and key id, byte for byte.
  uint8_t* name = nullptr;
  const int len = i2d_X509_NAME(X509_get_subject_name(ca_.get()), &name);
  ASSERT_GT(len, 0);
  EXPECT_EQ(issuer_.name_der, std::string(reinterpret_cast<char*>(name), static_cast<size_t>(len)));
  OPENSSL_free(name);
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(ca_.get());
  EXPECT_EQ(issuer_.key_id, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(skid)),
                                        static_cast<size_t>(ASN1_STRING_length(skid))));
}

TEST_F(X509IssuerTest, EveryIssuerKeyTypeSignsAVerifiableCertificate) {
  struct Case {
    int type, param, signature_nid;
  } cases[] = {
      {EVP_PKEY_EC, NID_X9_62_prime256v1, NID_ecdsa_with_SHA256},
      {EVP_PKEY_EC, NID_secp384r1, NID_ecdsa_with_SHA256},
      {EVP_PKEY_RSA, 2048, NID_sha256WithRSAEncryption},
      {EVP_PKEY_ED25519, 0, NID_ED25519},
  };
  for (const Case& c : cases) {
    crypto::EvpPkeyPtr key = KeyGen(c.type, c.param);
    ASSERT_NE(key, nullptr);
    absl::StatusOr<crypto::X509Ptr> ca = IssueCertificate(CaProfile(now_), *key, nullptr, *key);
    ASSERT_TRUE(ca.ok()) << ca.status();
    absl::StatusOr<crypto::X509Ptr> leaf =
        IssueCertificate(HostProfile(now_), *host_key_, ca->get(), *key);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    EXPECT_EQ(X509_get_signature_nid(leaf->get()), c.signature_nid) << c.type;
    EXPECT_EQ(X509_verify(leaf->get(), key.get()), 1) << c.type;
    EXPECT_EQ(X509_verify(ca->get(), key.get()), 1) << c.type;
    EXPECT_EQ(X509_check_issued(ca->get(), leaf->get()), X509_V_OK) << c.type;
    // A certificate signed by another key does not verify with this one.
    EXPECT_NE(X509_verify(leaf->get(), ca_key_.get()), 1) << c.type;
  }
}

TEST_F(X509IssuerTest, TimesFrom2050AreGeneralizedTime) {
  CertProfile p = HostProfile(now_);
  p.not_after = absl::FromCivil(absl::CivilSecond(2051, 1, 2, 3, 4, 5), absl::UTCTimeZone());
  absl::StatusOr<IssuedCertificate> issued = IssueCertificateDer(p, host_spki_, &issuer_, *ca_key_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  crypto::X509Ptr cert = Parse(issued->der);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert.get())), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(cert.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(*crypto::Asn1TimeToTime(X509_get0_notAfter(cert.get())), p.not_after);
}

TEST_F(X509IssuerTest, SerialsAreFreshAndPositive) {
  absl::StatusOr<IssuedCertificate> a =
      IssueCertificateDer(HostProfile(now_), host_spki_, &issuer_, *ca_key_);
  absl::StatusOr<IssuedCertificate> b =
      IssueCertificateDer(HostProfile(now_), host_spki_, &issuer_, *ca_key_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->serial_hex, b->serial_hex);
  crypto::X509Ptr cert = Parse(a->der);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_serialNumber(cert.get())), V_ASN1_INTEGER);  // not negative
}

TEST_F(X509IssuerTest, RefusesUnusableProfilesWithPreciseErrors) {
  struct Case {
    std::function<void(CertProfile&)> change;
    const char* want;
  } cases[] = {
      {[](CertProfile& p) { p.common_name.clear(); },
       "ca: common name must be 1-64 characters of UTF-8 without control characters"},
      {[](CertProfile& p) { p.common_name = std::string(65, 'a'); },
       "ca: common name must be 1-64 characters of UTF-8 without control characters"},
      {[](CertProfile& p) { p.common_name = "bad \xc3"; },
       "ca: common name must be 1-64 characters of UTF-8 without control characters"},
      {[](CertProfile& p) { p.common_name = "overlong \xc0\xaf"; },
       "ca: common name must be 1-64 characters of UTF-8 without control characters"},
      {[](CertProfile& p) { p.common_name = std::string("nul\0cut", 7); },
       "ca: common name must be 1-64 characters of UTF-8 without control characters"},
      {[](CertProfile& p) { p.common_name = "line\nbreak"; },
       "ca: common name must be 1-64 characters of UTF-8 without control characters"},
      {[](CertProfile& p) { p.dns_names = {"web_3"}; }, "ca: invalid DNS name \"web_3\""},
      {[](CertProfile& p) { p.ip_addresses = {"10.0.0.256"}; }, "ca: invalid IP address"},
      {[](CertProfile& p) { p.uris = {"urn:h\xc3\xa9"}; }, "ca: a URI must be non-empty ASCII"},
      {[](CertProfile& p) { p.ca_issuer_urls = {""}; }, "ca: a URI must be non-empty ASCII"},
      {[](CertProfile& p) {
         p.not_after =
             absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
       },
       "der: time in year 10000 cannot be encoded (years 1-9999)"},
      {[](CertProfile& p) { p.not_after = p.not_before - absl::Seconds(1); },
       "ca: validity ends before it begins"},
  };
  for (const Case& c : cases) {
    CertProfile p = HostProfile(now_);
    c.change(p);
    absl::StatusOr<IssuedCertificate> issued =
        IssueCertificateDer(p, host_spki_, &issuer_, *ca_key_);
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument) << c.want;
    EXPECT_EQ(issued.status().message(), c.want);
  }
  // 64 characters of UTF-8 are fine even when they are more bytes.
  CertProfile p = HostProfile(now_);
  p.common_name.clear();
  for (int i = 0; i < 64; ++i) p.common_name += "\xc3\xa9";
  EXPECT_TRUE(IssueCertificateDer(p, host_spki_, &issuer_, *ca_key_).ok());

  absl::StatusOr<IssuedCertificate> bad_key =
      IssueCertificateDer(HostProfile(now_), host_spki_ + "x", &issuer_, *ca_key_);
  EXPECT_EQ(bad_key.status().message(), "ca: subject public key info: malformed");
  const IssuerIdentity empty;
  absl::StatusOr<IssuedCertificate> no_issuer =
      IssueCertificateDer(HostProfile(now_), host_spki_, &empty, *ca_key_);
  EXPECT_EQ(no_issuer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_issuer.status().message(), "ca: issuer identity has no name or key id");
}

// The DER of extension `nid` of `cert` and whether it is critical.
std::pair<std::string, bool> ExtensionOf(X509* cert, int nid) {
  const int at = X509_get_ext_by_NID(cert, nid, -1);
  if (at < 0) return {"", false};
  X509_EXTENSION* ext = X509_get_ext(cert, at);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  return {std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                      static_cast<size_t>(ASN1_STRING_length(data))),
          X509_EXTENSION_get_critical(ext) == 1};
}

// SHA-1 of the certificate's subjectPublicKey bits, as libcrypto computes it.
std::string PubkeyDigest(const X509* cert) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1) return "";
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string OctetStringOf(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

TEST_F(X509IssuerTest, ExtensionsAndSerialAreExactDer) {
  absl::StatusOr<IssuedCertificate> issued =
      IssueCertificateDer(HostProfile(now_), host_spki_, &issuer_, *ca_key_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  crypto::X509Ptr leaf = Parse(issued->der);
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(ExtensionOf(leaf.get(), NID_basic_constraints),
            std::make_pair(std::string("\x30\x00", 2), true));
  EXPECT_EQ(ExtensionOf(leaf.get(), NID_key_usage),
            std::make_pair(std::string("\x03\x02\x07\x80", 4), true));
  EXPECT_EQ(ExtensionOf(ca_.get(), NID_basic_constraints),
            std::make_pair(std::string("\x30\x03\x01\x01\xff", 5), true));
  EXPECT_EQ(ExtensionOf(ca_.get(), NID_key_usage),
            std::make_pair(std::string("\x03\x02\x01\x86", 4), true));
  EXPECT_FALSE(ExtensionOf(leaf.get(), NID_subject_alt_name).second);
  EXPECT_FALSE(ExtensionOf(leaf.get(), NID_ext_key_usage).second);
  // Serial: INTEGER of 16 octets, the first 0x01-0x7f (positive, minimal).
  uint8_t* serial = nullptr;
  const int len = i2d_ASN1_INTEGER(X509_get_serialNumber(leaf.get()), &serial);
  ASSERT_EQ(len, 18);
  EXPECT_EQ(serial[0], 0x02);
  EXPECT_EQ(serial[1], 0x10);
  EXPECT_GE(serial[2], 0x01);
  EXPECT_LE(serial[2], 0x7f);
  EXPECT_EQ(issued->serial_hex,
            absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(serial) + 2, 16)));
  OPENSSL_free(serial);
}

TEST_F(X509IssuerTest, LeafOfAnIntermediateNamesTheIntermediate) {
  crypto::EvpPkeyPtr mid_key = KeyGen(EVP_PKEY_EC, NID_X9_62_prime256v1);
  ASSERT_NE(mid_key, nullptr);
  CertProfile mid_profile = CaProfile(now_);
  mid_profile.common_name = "enlist intermediate";
  absl::StatusOr<crypto::X509Ptr> mid =
      IssueCertificate(mid_profile, *mid_key, ca_.get(), *ca_key_);
  ASSERT_TRUE(mid.ok()) << mid.status();
  absl::StatusOr<IssuerIdentity> mid_id = IssuerIdentityOf(*crypto::CertificateDer(**mid));
  ASSERT_TRUE(mid_id.ok()) << mid_id.status();
  absl::StatusOr<IssuedCertificate> issued =
      IssueCertificateDer(HostProfile(now_), host_spki_, &*mid_id, *mid_key);
  ASSERT_TRUE(issued.ok()) << issued.status();
  crypto::X509Ptr leaf = Parse(issued->der);
  ASSERT_NE(leaf, nullptr);

  // Subject key ids are libcrypto's method-1 digests; each certificate's
  // authority key id is its issuer's subject key id.
  EXPECT_EQ(OctetStringOf(X509_get0_subject_key_id(leaf.get())), PubkeyDigest(leaf.get()));
  EXPECT_EQ(OctetStringOf(X509_get0_subject_key_id(mid->get())), PubkeyDigest(mid->get()));
  EXPECT_EQ(OctetStringOf(X509_get0_subject_key_id(ca_.get())), PubkeyDigest(ca_.get()));
  EXPECT_EQ(OctetStringOf(X509_get0_authority_key_id(leaf.get())), PubkeyDigest(mid->get()));
  EXPECT_EQ(OctetStringOf(X509_get0_authority_key_id(mid->get())), PubkeyDigest(ca_.get()));
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(mid->get())), 0);
  EXPECT_NE(X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(ca_.get())), 0);

  // The chain root -> intermediate -> leaf verifies, with X.509 strictness.
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, mid->get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), untrusted);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
  EXPECT_EQ(X509_verify_cert(ctx), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
}

TEST_F(X509IssuerTest, RefusesAnIssuerKeyThatCannotSign) {
  crypto::EvpPkeyPtr x25519 = KeyGen(EVP_PKEY_X25519, 0);
  ASSERT_NE(x25519, nullptr);
  absl::StatusOr<IssuedCertificate> issued =
      IssueCertificateDer(HostProfile(now_), host_spki_, &issuer_, *x25519);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(issued.status().message(), "ca: issuer key type not supported (EC, Ed25519 or RSA)");
}

TEST(IssuerIdentityTest, RefusesWhatIsNotACertificate) {
  absl::StatusOr<IssuerIdentity> id = IssuerIdentityOf("garbage");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()),
              ::testing::StartsWith("ca: issuer certificate: "));
  id = IssuerIdentityOf(std::string("\x30\x03\x02\x01\x01", 5));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(id.status().message()),
      ::testing::StartsWith("ca: issuer certificate: x509: certificate: tbs certificate: "));
}

}  // namespace
}  // namespace enlist::ca
