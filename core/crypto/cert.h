// X.509 certificates: parsing (DER, concatenated DER, PEM), a libcrypto-free
// read of a certificate's key and validity, and read-only accessors (names,
// validity, fingerprint, SAN dNSNames, AIA caIssuers URLs).
// Written against the libcrypto API shared by OpenSSL 3 and BoringSSL.
//
// Errors: kInvalidArgument with messages starting "x509: ". Functions are
// thread-safe; the X509 objects passed in are only read.
#ifndef ENLIST_CORE_CRYPTO_CERT_H_
#define ENLIST_CORE_CRYPTO_CERT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/digest.h"
#include "core/crypto/ptr.h"

namespace enlist::crypto {

// Parses exactly one DER certificate; trailing bytes are an error.
absl::StatusOr<X509Ptr> ParseCertificateDer(absl::string_view der);

// Parses a concatenation of DER certificates (how agents send
// intermediates). Empty input gives an empty vector; more than
// `max_certificates` or any malformed certificate is kInvalidArgument.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificatesDer(absl::string_view concatenated,
                                                          size_t max_certificates = 16);

// Parses every "CERTIFICATE" PEM block of `pem` (other blocks and text
// between blocks are skipped). No certificate at all, a malformed block, or
// more than `max_certificates` is kInvalidArgument.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificatesPem(absl::string_view pem,
                                                          size_t max_certificates = 4096);

// What ReadCertificateBasics reads from a certificate without libcrypto.
// The view points into the `cert_der` given to ReadCertificateBasics.
struct CertificateBasics {
  // The subject Name TLV (RFC 5280 4.1.2.6), byte for byte as in the
  // certificate (what certificates it issues carry as their issuer).
  absl::string_view subject;
  // The whole SubjectPublicKeyInfo TLV (RFC 5280 4.1.2.7), byte for byte as
  // in the certificate.
  absl::string_view subject_public_key_info;
  absl::Time not_before;  // RFC 5280 4.1.2.5, UTC
  absl::Time not_after;
};

// Largest certificate ReadCertificateBasics accepts.
inline constexpr size_t kMaxCertificateBasicsDer = 64 * 1024;

// Reads the subject, SubjectPublicKeyInfo and validity of exactly one DER
// certificate (RFC 5280 4.1) with core/der's strict reader, without
// libcrypto (a fraction of d2i_X509's cost under OpenSSL 3). It checks the
// outline: TBSCertificate's fields up to subjectPublicKeyInfo, then the
// optional unique IDs and extensions, present with their tags and in order;
// the times UTCTime or GeneralizedTime in the RFC 5280 form; then
// signatureAlgorithm and signatureValue, and nothing after the certificate.
// Names, the key, extensions and the signature are neither decoded nor
// checked, so success does not mean libcrypto would accept the certificate:
// this is for callers that already know which key to expect.
// kInvalidArgument ("x509: certificate: <field>: der: ...") otherwise, input
// over kMaxCertificateBasicsDer included. Thread-safe.
absl::StatusOr<CertificateBasics> ReadCertificateBasics(absl::string_view cert_der);

// Returns the DER encoding of `cert`.
absl::StatusOr<std::string> CertificateDer(const X509& cert);

// Returns the SHA-256 of the DER encoding of `cert`.
absl::StatusOr<Sha256Digest> CertificateFingerprint(const X509& cert);

// A printable summary of one certificate.
struct CertificateInfo {
  std::string subject;  // RFC 2253 form, e.g. "CN=metadata.azure.com,O=..."
  std::string issuer;
  absl::Time not_before;
  absl::Time not_after;
  std::string sha256_hex;  // fingerprint of the DER, lowercase hex
};

// Returns the summary of `cert`.
absl::StatusOr<CertificateInfo> DescribeCertificate(const X509& cert);

// Returns the subject alternative name dNSName entries, in order (empty when
// there is no SAN extension).
std::vector<std::string> DnsNames(const X509& cert);

// The certificate's URI subjectAltNames, in order.
std::vector<std::string> UriNames(const X509& cert);

// Returns the last commonName of the subject, if any (UTF-8).
std::optional<std::string> CommonName(const X509& cert);

// Returns every caIssuers URI of the Authority Information Access extension
// (RFC 5280 4.2.2.1), in certificate order; empty when absent.
std::vector<std::string> CaIssuerUrls(const X509& cert);

// Converts an ASN1_TIME to absl::Time; kInvalidArgument if it is malformed.
absl::StatusOr<absl::Time> Asn1TimeToTime(const ASN1_TIME* t);

namespace internal {
// libcrypto's legacy signatures take X509* for read-only calls (BoringSSL and
// OpenSSL differ in const-ness); this is the one place the cast happens.
inline X509* Mut(const X509& x) { return const_cast<X509*>(&x); }
}  // namespace internal

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_CERT_H_
