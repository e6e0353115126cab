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
#include "absl/strings/str_join.h"

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

void AddExt(X509* cert, const X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, Mut(issuer), cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
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
  Check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(
            ctx.get(), p384 ? NID_secp384r1 : NID_X9_62_prime256v1) == 1,
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
    Check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(spec.organization.c_str()),
                                     -1, -1, 0) == 1,
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
  if (spec.is_ca) {
    AddExt(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    AddExt(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  }
  AddExt(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    AddExt(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always");
  }
  if (!spec.dns_names.empty()) {
    std::vector<std::string> parts;
    for (const std::string& d : spec.dns_names) parts.push_back(absl::StrCat("DNS:", d));
    AddExt(cert.get(), issuer_cert, NID_subject_alt_name, absl::StrJoin(parts, ","));
  }
  if (!spec.ca_issuer_urls.empty()) {
    std::vector<std::string> parts;
    for (const std::string& u : spec.ca_issuer_urls) parts.push_back(absl::StrCat("caIssuers;URI:", u));
    AddExt(cert.get(), issuer_cert, NID_info_access, absl::StrJoin(parts, ","));
  }
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
  const char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
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
  pki.intermediate = IssueCert(inter, pki.intermediate_key.get(), pki.root.get(), pki.root_key.get());
  CertSpec leaf;
  leaf.common_name = "metadata.azure.com";
  leaf.dns_names = {"eastus.metadata.azure.com", "metadata.azure.com"};
  leaf.ca_issuer_urls = {"http://www.microsoft.com/pkiops/certs/intermediate.crt",
                         "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt"};
  leaf.serial = 0x1234567890ULL;
  pki.leaf = IssueCert(leaf, pki.leaf_key.get(), pki.intermediate.get(), pki.intermediate_key.get());
  return pki;
}

}  // namespace enlist::crypto::testing
