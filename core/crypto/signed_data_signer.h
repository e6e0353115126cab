// Produces CMS SignedData (RFC 5652) the way Azure IMDS signs attested
// documents: one signer, identified by issuer and serial number, content
// embedded, SHA-256 with an RSA or EC key, optionally Azure's quirk of
// writing the signature OID (sha256WithRSAEncryption) where the digest OID
// belongs. The inverse of pkcs7.h, for programs that must emit signed
// documents (the Azure emulator); verification code never needs it. Built on
// the libcrypto API shared by OpenSSL 3 and BoringSSL. Thread-safe.
#ifndef ENLIST_CORE_CRYPTO_SIGNED_DATA_SIGNER_H_
#define ENLIST_CORE_CRYPTO_SIGNED_DATA_SIGNER_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace enlist::crypto {

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
  // Azure's quirk: digestAlgorithm = sha256WithRSAEncryption (RSA keys
  // only). Off: id-sha256, which every CMS implementation accepts.
  bool azure_digest_oid = true;
  // Adds signed attributes (content-type, message-digest) and signs them
  // instead of the content. Azure's documents have none.
  bool signed_attributes = false;
  // Embeds these bytes instead of `content` after signing (a tampered
  // document, for fault injection).
  std::optional<std::string> embedded_content;
};

// Returns the DER ContentInfo. kInvalidArgument for a missing key or
// certificate, or the digest quirk with a non-RSA key; kInternal when
// libcrypto fails.
absl::StatusOr<std::string> SignSignedData(const SignedDataOptions& options);

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_SIGNED_DATA_SIGNER_H_
