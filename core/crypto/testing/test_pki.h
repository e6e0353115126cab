// Test-only PKI: RSA/EC keys and X.509 certificates (root -> intermediate ->
// leaf, with SAN, AIA, custom validity) made with the libcrypto API shared by
// OpenSSL 3 and BoringSSL, so tests need no checked-in key material.
// Functions abort the test binary on libcrypto failure (test code only).
#ifndef ENLIST_CORE_CRYPTO_TESTING_TEST_PKI_H_
#define ENLIST_CORE_CRYPTO_TESTING_TEST_PKI_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"

namespace enlist::crypto::testing {

// A fresh RSA key of `bits` bits (e = 65537).
EvpPkeyPtr NewRsaKey(int bits = 2048);

// A fresh EC key on P-256 (or P-384 with `p384`).
EvpPkeyPtr NewEcKey(bool p384 = false);

// What to put in a certificate.
struct CertSpec {
  std::string common_name;
  // Extra subject attribute O=, when non-empty.
  std::string organization;
  std::vector<std::string> dns_names;       // subjectAltName dNSName entries
  std::vector<std::string> ca_issuer_urls;  // AIA caIssuers URIs, in order
  bool is_ca = false;
  uint64_t serial = 1;
  absl::Time not_before = absl::FromUnixSeconds(1700000000);  // 2023-11-14
  absl::Time not_after = absl::FromUnixSeconds(1900000000);   // 2030-03-17
};

// Issues a certificate for `subject_key` signed by `issuer_key` with SHA-256.
// `issuer` null means self-signed (issuer name = subject name).
X509Ptr IssueCert(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                  EVP_PKEY* issuer_key);

// DER and PEM encodings of `cert`.
std::string CertDer(const X509* cert);
std::string CertPem(const X509* cert);

// A three-level hierarchy: root (self-signed CA) -> intermediate (CA) -> leaf
// (SAN "eastus.metadata.azure.com", "metadata.azure.com"; AIA caIssuers
// pointing at the intermediate). Validity windows as in CertSpec defaults.
struct TestPki {
  EvpPkeyPtr root_key, intermediate_key, leaf_key;
  X509Ptr root, intermediate, leaf;
};

// Builds a TestPki with RSA keys (`ec` for P-256 keys instead).
TestPki MakeTestPki(bool ec = false);

}  // namespace enlist::crypto::testing

#endif  // ENLIST_CORE_CRYPTO_TESTING_TEST_PKI_H_
