// Produces CMS SignedData (RFC 5652) the way Azure IMDS signs attested
// documents: one signer, identified by issuer and serial number, content
// embedded, SHA-256 (or SHA-384/512) with an RSA or EC key, optionally
// Azure's quirk of writing the signature OID (sha256WithRSAEncryption) where
// the digest OID belongs. The inverse of pkcs7.h, for programs that must emit
// signed documents (the Azure emulator) and, through
// core/crypto/testing:signed_data_builder, for tests of verifiers, which use
// SignedDataTampering for malformed variants; verification code never needs
// it. The one SignedData encoder of the project. Built on the libcrypto API
// shared by OpenSSL 3 and BoringSSL. Thread-safe.
#ifndef ENLIST_CORE_CRYPTO_SIGNED_DATA_SIGNER_H_
#define ENLIST_CORE_CRYPTO_SIGNED_DATA_SIGNER_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace enlist::crypto {

// Departures from the document SignSignedData would otherwise write, for
// tests of verifiers and fault injection. Each field left at its default
// changes nothing; production callers leave them all alone.
struct SignedDataTampering {
  // Dotted OIDs written instead of the ones SignSignedData chooses. Only
  // what is written changes: the signature is still made with the digest of
  // SignedDataOptions::digest. An algorithm in the 1.2.840.10045 arc (ECDSA)
  // is written without parameters, any other with NULL ones.
  std::optional<std::string> content_type;         // ContentInfo (id-signedData)
  std::optional<std::string> econtent_type;        // encapContentInfo (id-data)
  std::optional<std::string> digest_algorithm;     // digestAlgorithms and the SignerInfo's
  std::optional<std::string> signature_algorithm;  // the SignerInfo's
  // The version INTEGERs of SignedData and SignerInfo (both 1 when valid).
  int signed_data_version = 1;
  int signer_info_version = 1;
  // How many copies of the SignerInfo signerInfos holds (0: an empty SET).
  int signer_info_count = 1;
  // With signed attributes: the content-type attribute's OID and the
  // message-digest attribute's bytes, written and signed instead of id-data
  // and the digest of the content.
  std::optional<std::string> content_type_attribute;
  std::optional<std::string> message_digest_attribute;
  // Flip one bit of the signature (its middle byte), or of the signed
  // attributes' last byte, after signing.
  bool corrupt_signature = false;
  bool corrupt_signed_attributes = false;
};

// What to sign and how. Pointers are borrowed for the call.
struct SignedDataOptions {
  // The eContent (id-data).
  std::string content;
  // The signing key and its certificate (named in the SignerInfo by issuer
  // and serial number).
  EVP_PKEY* key = nullptr;
  const X509* signer_cert = nullptr;
  // The certificates field, in order; usually just the signer.
  std::vector<const X509*> certificates;
  // The digest of the signature (and of the message-digest attribute):
  // EVP_sha256() (nullptr means it), EVP_sha384() or EVP_sha512(). Its OID
  // is the digest algorithm; EC keys sign with ecdsa-with-SHA256/384/512.
  const EVP_MD* digest = nullptr;
  // Azure's quirk: digestAlgorithm = sha256WithRSAEncryption (RSA keys and
  // SHA-256 only). Off: id-sha256, which every CMS implementation accepts.
  bool azure_digest_oid = true;
  // Adds signed attributes (content-type, message-digest, then
  // `extra_signed_attributes`) and signs them instead of the content.
  // Azure's documents have none.
  bool signed_attributes = false;
  // Further signed attributes, each a DER Attribute (RFC 5652 section 5.3,
  // e.g. signing-time), written in this order after the two above; the SET
  // is not re-sorted. Ignored without `signed_attributes`.
  std::vector<std::string> extra_signed_attributes;
  // Embeds these bytes instead of `content` after signing (a tampered
  // document, for fault injection).
  std::optional<std::string> embedded_content;
  // Malformed variants; see SignedDataTampering.
  SignedDataTampering tampering;
};

// Returns the DER ContentInfo. kInvalidArgument for a missing key or
// certificate, a key neither RSA nor EC, a digest other than SHA-256/384/512,
// the digest quirk without an RSA key and SHA-256, or a tampering OID that is
// not an OID; kInternal when libcrypto fails.
absl::StatusOr<std::string> SignSignedData(const SignedDataOptions& options);

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_SIGNED_DATA_SIGNER_H_
