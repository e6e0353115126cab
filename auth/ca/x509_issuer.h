// X.509 certificates for the cluster: the self-signed CA, host certificates
// for joined hosts, the auth server's own certificate and admin client
// certificates. Certificates are built as DER by core/der's writer (OpenSSL
// 3's generic X509 building cost more than the signature) and signed with
// the libcrypto API shared by OpenSSL 3 and BoringSSL.
#ifndef ENLIST_AUTH_CA_X509_ISSUER_H_
#define ENLIST_AUTH_CA_X509_ISSUER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"

namespace enlist::ca {

// OID of Enlist's join extension: 2.25.<UUID 6c34b9b2-7627-ef9c-a074-
// 2773432d08e1 as an integer> (ITU-T X.667), so no registry arc is needed. Its value is an UTF8String holding a compact JSON
// object: {"host_id":..,"role":..,"join_method":..,"token_name":..,
// "attributes":{..}}.
inline constexpr char kJoinExtensionOid[] = "2.25.143830389366371839209102349722310215905";
// The same OID, DER-encoded (BoringSSL's OBJ_txt2obj cannot parse arcs
// wider than 64 bits, so the object is built from these bytes).
inline constexpr unsigned char kJoinExtensionOidDer[] = {
    0x06, 0x14, 0x69, 0x81, 0xd8, 0xb4, 0xdc, 0xec, 0xce, 0xe2, 0xbf,
    0xbe, 0xb9, 0xa0, 0xba, 0x89, 0xee, 0xb4, 0x99, 0xb4, 0x91, 0x61};

struct CertProfile {
  // 1-64 characters of UTF-8 (RFC 5280's ub-common-name), no control
  // characters.
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // textual IPv4/IPv6
  std::vector<std::string> uris;          // ASCII
  // Authority Information Access caIssuers URIs (RFC 5280 section 4.2.2.1),
  // in order; none: no AIA extension. ASCII.
  std::vector<std::string> ca_issuer_urls;
  bool is_ca = false;
  bool server_auth = false;
  bool client_auth = false;
  absl::Time not_before;
  absl::Time not_after;
  std::optional<std::string> join_extension_json;
};

// True for a name usable as a dNSName SAN: 1-253 characters of letters,
// digits, '-', '.', and '*' (wildcards). Azure scale-set instance names
// ("web_3") are not.
bool IsValidDnsName(absl::string_view name);

// Generates a P-256 key (CA and server keys).
absl::StatusOr<crypto::EvpPkeyPtr> GenerateP256Key();
// Generates an Ed25519 key (the SSH CA).
absl::StatusOr<crypto::EvpPkeyPtr> GenerateEd25519Key();

// Checks a PKIX SubjectPublicKeyInfo (DER) as sent by an agent: EC P-256 or
// P-384 with a point on the curve, Ed25519, or RSA >= 2048 bits;
// kInvalidArgument otherwise. The EC and Ed25519 checks read the DER and the
// point directly (OpenSSL 3's provider decoders cost more than the
// certificate's signature).
absl::Status CheckHostPublicKey(absl::string_view spki_der);

// DER SubjectPublicKeyInfo of `key`.
absl::StatusOr<std::string> PublicKeyDer(const EVP_PKEY& key);

// "sha256:<hex>" of the certificate's SubjectPublicKeyInfo: the CA pin.
absl::StatusOr<std::string> CaPin(const X509& cert);

// The issuer as the certificates it signs name it.
struct IssuerIdentity {
  // The issuer certificate's subject Name, DER, byte for byte (chain
  // builders match issuer names exactly).
  std::string name_der;
  // SHA-1 of its subjectPublicKey bits (RFC 5280 section 4.2.1.2, method 1):
  // the authority key identifier of the certificates it signs.
  std::string key_id;
};

// Reads the IssuerIdentity of a certificate (DER). kInvalidArgument when
// it is not a certificate.
absl::StatusOr<IssuerIdentity> IssuerIdentityOf(absl::string_view cert_der);

// A certificate as issued.
struct IssuedCertificate {
  std::string der;
  // Lowercase hex of the serial number (what SerialHex returns for it).
  std::string serial_hex;
};

// Issues a certificate for the key in `subject_spki` (DER
// SubjectPublicKeyInfo, written into the certificate verbatim; only its
// structure is checked here, see CheckHostPublicKey) signed by
// `issuer_key`, built directly as DER: X.509 v3, a positive 16-octet serial
// (126 random bits), the profile's names and extensions (basicConstraints
// and keyUsage critical; extKeyUsage, subject and authority key
// identifiers, subjectAltName, authorityInfoAccess and Enlist's join
// extension when the profile has them). With `issuer` null the certificate
// is self-signed (the CA). The issuer key may be EC (signed
// ecdsa-with-SHA256), Ed25519 or RSA (sha256WithRSAEncryption).
// kInvalidArgument for unusable names, times, keys or issuer identity;
// kInternal if signing fails.
absl::StatusOr<IssuedCertificate> IssueCertificateDer(const CertProfile& profile,
                                                      absl::string_view subject_spki,
                                                      const IssuerIdentity* issuer,
                                                      EVP_PKEY& issuer_key);

// IssueCertificateDer for `subject_key` by the holder of `issuer` (null:
// self-signed), parsed.
absl::StatusOr<crypto::X509Ptr> IssueCertificate(const CertProfile& profile,
                                                 const EVP_PKEY& subject_key, const X509* issuer,
                                                 EVP_PKEY& issuer_key);

// PEM encodings.
absl::StatusOr<std::string> CertificatePem(const X509& cert);
absl::StatusOr<std::string> PrivateKeyPem(const EVP_PKEY& key);
absl::StatusOr<crypto::EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem);

// Lowercase hex of the certificate's serial number.
std::string SerialHex(const X509& cert);

}  // namespace enlist::ca

#endif  // ENLIST_AUTH_CA_X509_ISSUER_H_
