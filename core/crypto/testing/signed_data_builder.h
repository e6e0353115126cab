// Test-only builder of CMS SignedData (RFC 5652) DER, with knobs for every
// field the verifier checks, so tests cover good documents, the Azure
// digest-OID quirk, and precisely broken ones. A thin wrapper over
// core/crypto:signed_data_signer (the one SignedData encoder): the spec maps
// onto SignedDataOptions and its SignedDataTampering. Aborts the test binary
// when the signer fails.
#ifndef ENLIST_CORE_CRYPTO_TESTING_SIGNED_DATA_BUILDER_H_
#define ENLIST_CORE_CRYPTO_TESTING_SIGNED_DATA_BUILDER_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace enlist::crypto::testing {

// Dotted OIDs used in specs.
inline constexpr char kOidSha256[] = "2.16.840.1.101.3.4.2.1";
inline constexpr char kOidSha384[] = "2.16.840.1.101.3.4.2.2";
inline constexpr char kOidSha512[] = "2.16.840.1.101.3.4.2.3";
inline constexpr char kOidRsaEncryption[] = "1.2.840.113549.1.1.1";
inline constexpr char kOidSha256WithRsa[] = "1.2.840.113549.1.1.11";
inline constexpr char kOidEcdsaWithSha256[] = "1.2.840.10045.4.3.2";
inline constexpr char kOidEcdsaWithSha384[] = "1.2.840.10045.4.3.3";
inline constexpr char kOidData[] = "1.2.840.113549.1.7.1";
inline constexpr char kOidSignedData[] = "1.2.840.113549.1.7.2";

struct SignedDataSpec {
  std::string content = "{\"nonce\":\"test\"}";
  // Signs with this key; the SignerInfo names `signer_cert` (issuer+serial).
  EVP_PKEY* key = nullptr;
  const X509* signer_cert = nullptr;
  // The certificates set, in order (may omit or reorder the signer).
  std::vector<const X509*> certificates;
  // Digest used for hashing; the OID written in digestAlgorithm.
  const EVP_MD* md = EVP_sha256();
  std::string digest_oid = kOidSha256WithRsa;  // the Azure quirk by default
  std::string signature_oid = kOidRsaEncryption;
  // Signed attributes: when set, content-type + message-digest (+ signing
  // time) + a private attribute (1.3.6.1.4.1.99999.1, last) are added and
  // the signature covers them.
  bool signed_attributes = false;
  std::string attr_content_type = kOidData;
  std::optional<std::string> attr_message_digest;  // default: digest of content
  std::optional<absl::Time> signing_time;
  // Overrides for malformed variants.
  std::string content_info_type = kOidSignedData;
  std::string econtent_type = kOidData;
  int signed_data_version = 1;
  int signer_info_version = 1;
  int signer_info_count = 1;
  // Content actually embedded (default: `content`) — to tamper after signing.
  std::optional<std::string> embedded_content;
  // Flip a bit of the signature / attributes after signing.
  bool corrupt_signature = false;
  bool corrupt_attributes_after_signing = false;
};

// Returns the DER ContentInfo for `spec`.
std::string BuildSignedData(const SignedDataSpec& spec);

}  // namespace enlist::crypto::testing

#endif  // ENLIST_CORE_CRYPTO_TESTING_SIGNED_DATA_BUILDER_H_
