// PKCS#7 / CMS SignedData signature verification (RFC 2315, RFC 5652),
// parsed with the project's DER reader (core/der) rather than a library's
// PKCS7 API, so it works on OpenSSL 3 and BoringSSL alike.
//
// Scope, deliberately narrow (what Azure IMDS attested documents need):
//   * ContentInfo of type id-signedData with embedded id-data content;
//   * exactly ONE SignerInfo, identified by issuerAndSerialNumber; the signer
//     certificate is the one in `certificates` whose issuer Name and serial
//     DER equal the SignerInfo's (never "the first certificate");
//   * signed attributes optional; when present content-type and
//     message-digest are required and checked, signing-time is exposed, and
//     the signature covers their DER SET encoding (RFC 5652 5.4);
//   * signatures RSA PKCS#1 v1.5 and ECDSA; digests SHA-256/384/512, plus the
//     Azure quirk: digestAlgorithm sha256WithRSAEncryption is read as SHA-256.
// Anything else is rejected with a precise message.
//
// This checks the signature with the signer certificate's key only. Whether
// that certificate is trusted is a separate step (core/crypto/chain.h).
//
// Thread safety: functions are stateless and thread-safe.
#ifndef ENLIST_CORE_CRYPTO_PKCS7_H_
#define ENLIST_CORE_CRYPTO_PKCS7_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"

namespace enlist::crypto {

// Message digest used by a SignerInfo.
enum class DigestAlgorithm { kSha256, kSha384, kSha512 };

// Returns "sha256", "sha384" or "sha512".
absl::string_view DigestAlgorithmName(DigestAlgorithm alg);

// Caps applied before and while parsing untrusted input.
struct Pkcs7Options {
  // Largest accepted encoding of the whole ContentInfo.
  size_t max_input_size = 64 * 1024;
  // Deepest nesting of constructed DER elements (the parsed structure needs 8).
  int max_depth = 16;
  // Most certificates accepted in the certificates set.
  size_t max_certificates = 16;
};

// What a successfully verified SignedData carries. Owns all of its members.
struct VerifiedSignedData {
  // The embedded id-data content (for Azure: the attested JSON).
  std::string content;
  // The certificate whose key verified the signature (a reference to one of
  // `certificates`, up-ref'd: both pointers own a reference).
  X509Ptr signer;
  // Every certificate of the certificates set, in encoded order.
  std::vector<X509Ptr> certificates;
  // The signing-time signed attribute, when present.
  std::optional<absl::Time> signing_time;
  // The digest algorithm of the SignerInfo (after the Azure quirk mapping).
  DigestAlgorithm digest_algorithm = DigestAlgorithm::kSha256;
  // True when the signature covered signed attributes rather than content.
  bool had_signed_attributes = false;
};

// Parses DER ContentInfo `der` and verifies its single signature.
//
// Returns the content and signer on success. Fails with kInvalidArgument
// when the input is malformed, too large or too deep, or uses an unsupported
// feature (message names it, e.g. "pkcs7: signer info: unsupported digest
// algorithm 1.2.3"); with kUnauthenticated when it is well formed but the
// proof fails (signature mismatch, message-digest or content-type attribute
// mismatch, signer certificate not among the certificates). The certificate
// chain is NOT checked here.
absl::StatusOr<VerifiedSignedData> VerifySignedData(absl::string_view der,
                                                    const Pkcs7Options& options = Pkcs7Options());

// Parses `der` exactly like VerifySignedData (same caps, same strictness,
// the signer located by issuer and serial) but checks neither the signed
// attributes nor the signature: nothing it returns is authenticated. For a
// prover that forwards a document to the party that verifies it (the agent
// reads the nonce and the signer's AIA, the auth server judges the
// signature). Errors: kInvalidArgument malformed, kUnauthenticated signer
// not among the certificates.
absl::StatusOr<VerifiedSignedData> ReadSignedDataUnverified(
    absl::string_view der, const Pkcs7Options& options = Pkcs7Options());

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_PKCS7_H_
