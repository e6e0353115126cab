#include "core/crypto/testing/test_pki.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace enlist::crypto::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test_pki: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    std::abort();
  }
}

// libcrypto's legacy signatures take non-const X509*; these calls do not
// modify the certificate.
X509* Mut(const X509* x) { return const_cast<X509*>(x); }

// Extensions are built as structures and added with X509_add1_ext_i2d: the
// text-config path (X509V3_EXT_conf_nid) is not exported by Android's
// BoringSSL.
void AddExt(X509* cert, int nid, void* value, bool critical) {
  Check(X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1,
        "X509_add1_ext_i2d");
}

ASN1_IA5STRING* Ia5(const std::string& s) {
  ASN1_IA5STRING* out = ASN1_IA5STRING_new();
  Check(out != nullptr && ASN1_STRING_set(out, s.data(), static_cast<int>(s.size())) == 1,
        "ASN1_STRING_set");
  return out;
}

GENERAL_NAME* Name(int type, const std::string& s) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  Check(gn != nullptr, "GENERAL_NAME_new");
  GENERAL_NAME_set0_value(gn, type, Ia5(s));
  return gn;
}

void AddBasicConstraints(X509* cert, bool ca) {
  BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
  Check(bc != nullptr, "BASIC_CONSTRAINTS_new");
  bc->ca = ca ? 0xff : 0;
  AddExt(cert, NID_basic_constraints, bc, true);
  BASIC_CONSTRAINTS_free(bc);
}

void AddKeyUsage(X509* cert, std::initializer_list<int> bits) {
  ASN1_BIT_STRING* ku = ASN1_BIT_STRING_new();
  Check(ku != nullptr, "ASN1_BIT_STRING_new");
  for (int b : bits) Check(ASN1_BIT_STRING_set_bit(ku, b, 1) == 1, "ASN1_BIT_STRING_set_bit");
  AddExt(cert, NID_key_usage, ku, true);
  ASN1_BIT_STRING_free(ku);
}

void AddKeyIds(X509* cert, const X509* issuer) {
  // RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Check(X509_pubkey_digest(cert, EVP_sha1(), md, &len) == 1, "X509_pubkey_digest");
  ASN1_OCTET_STRING* ski = ASN1_OCTET_STRING_new();
  Check(ski != nullptr && ASN1_OCTET_STRING_set(ski, md, static_cast<int>(len)) == 1, "ski");
  AddExt(cert, NID_subject_key_identifier, ski, false);
  ASN1_OCTET_STRING_free(ski);
  if (issuer == nullptr) return;
  const ASN1_OCTET_STRING* issuer_ski = X509_get0_subject_key_id(Mut(issuer));
  if (issuer_ski == nullptr) return;
  AUTHORITY_KEYID* aki = AUTHORITY_KEYID_new();
  Check(aki != nullptr, "AUTHORITY_KEYID_new");
  aki->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
  AddExt(cert, NID_authority_key_identifier, aki, false);
  AUTHORITY_KEYID_free(aki);
}

void AddSan(X509* cert, const std::vector<std::string>& dns) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  Check(names != nullptr, "GENERAL_NAMES_new");
  for (const std::string& d : dns) {
    Check(sk_GENERAL_NAME_push(names.get(), Name(GEN_DNS, d)) > 0, "push");
  }
  AddExt(cert, NID_subject_alt_name, names.get(), false);
}

void AddAia(X509* cert, const std::vector<std::string>& urls) {
  AuthorityInfoAccessPtr aia(AUTHORITY_INFO_ACCESS_new());
  Check(aia != nullptr, "AUTHORITY_INFO_ACCESS_new");
  for (const std::string& u : urls) {
    ACCESS_DESCRIPTION* ad = ACCESS_DESCRIPTION_new();
    Check(ad != nullptr, "ACCESS_DESCRIPTION_new");
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
    GENERAL_NAME_free(ad->location);
    ad->location = Name(GEN_URI, u);
    Check(sk_ACCESS_DESCRIPTION_push(aia.get(), ad) > 0, "push");
  }
  AddExt(cert, NID_info_access, aia.get(), false);
}

}  // namespace

EvpPkeyPtr NewRsaKey(int bits) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  Check(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1, "EVP_PKEY_keygen_init");
  Check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) == 1, "set_rsa_keygen_bits");
  EVP_PKEY* key = nullptr;
  Check(EVP_PKEY_keygen(ctx.get(), &key) == 1, "EVP_PKEY_keygen");
  return EvpPkeyPtr(key);
}

EvpPkeyPtr NewEcKey(bool p384) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  Check(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1, "EVP_PKEY_keygen_init");
  Check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(),
                                               p384 ? NID_secp384r1 : NID_X9_62_prime256v1) == 1,
        "set_ec_paramgen_curve_nid");
  EVP_PKEY* key = nullptr;
  Check(EVP_PKEY_keygen(ctx.get(), &key) == 1, "EVP_PKEY_keygen");
  return EvpPkeyPtr(key);
}

X509Ptr IssueCert(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                  EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  BignumPtr serial(BN_new());
  Check(serial && BN_set_word(serial.get(), spec.serial) == 1, "BN_set_word");
  Check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr,
        "BN_to_ASN1_INTEGER");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!spec.organization.empty()) {
    Check(X509_NAME_add_entry_by_txt(
              name, "O", MBSTRING_ASC,
              reinterpret_cast<const unsigned char*>(spec.organization.c_str()), -1, -1, 0) == 1,
          "X509_NAME_add_entry_by_txt");
  }
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                   -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt");
  const X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) == 1,
        "X509_set_issuer_name");
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before)) != nullptr,
        "ASN1_TIME_set");
  Check(ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after)) != nullptr,
        "ASN1_TIME_set");
  Check(X509_set_pubkey(cert.get(), subject_key) == 1, "X509_set_pubkey");
  AddBasicConstraints(cert.get(), spec.is_ca);
  if (spec.is_ca) {
    AddKeyUsage(cert.get(), {0, 5, 6});  // digitalSignature, keyCertSign, cRLSign
  } else {
    AddKeyUsage(cert.get(), {0, 2});  // digitalSignature, keyEncipherment
  }
  AddKeyIds(cert.get(), issuer);
  if (!spec.dns_names.empty()) AddSan(cert.get(), spec.dns_names);
  if (!spec.ca_issuer_urls.empty()) AddAia(cert.get(), spec.ca_issuer_urls);
  Check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string CertDer(const X509* cert) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(Mut(cert), &buf);
  Check(len > 0, "i2d_X509");
  std::string out(reinterpret_cast<const char*>(buf), len);
  OPENSSL_free(buf);
  return out;
}

std::string CertPem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(bio && PEM_write_bio_X509(bio.get(), Mut(cert)) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  Check(len > 0 && data != nullptr, "BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(len));
}

TestPki MakeTestPki(bool ec) {
  TestPki pki;
  pki.root_key = ec ? NewEcKey() : NewRsaKey();
  pki.intermediate_key = ec ? NewEcKey() : NewRsaKey();
  pki.leaf_key = ec ? NewEcKey() : NewRsaKey();
  CertSpec root;
  root.common_name = "Enlist Test Root";
  root.organization = "Enlist Test";
  root.is_ca = true;
  root.serial = 100;
  pki.root = IssueCert(root, pki.root_key.get(), nullptr, pki.root_key.get());
  CertSpec inter;
  inter.common_name = "Enlist Test Intermediate";
  inter.organization = "Enlist Test";
  inter.is_ca = true;
  inter.serial = 200;
  inter.ca_issuer_urls = {"http://www.microsoft.com/pkiops/certs/root.crt"};
  pki.intermediate =
      IssueCert(inter, pki.intermediate_key.get(), pki.root.get(), pki.root_key.get());
  CertSpec leaf;
  leaf.common_name = "metadata.azure.com";
  leaf.dns_names = {"eastus.metadata.azure.com", "metadata.azure.com"};
  leaf.ca_issuer_urls = {"http://www.microsoft.com/pkiops/certs/intermediate.crt",
                         "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt"};
  leaf.serial = 0x1234567890ULL;
  pki.leaf =
      IssueCert(leaf, pki.leaf_key.get(), pki.intermediate.get(), pki.intermediate_key.get());
  return pki;
}

}  // namespace enlist::crypto::testing
