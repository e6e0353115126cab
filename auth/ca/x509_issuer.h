// X.509 certificates for the cluster: the self-signed CA, host certificates
// for joined hosts, the auth server's own certificate and admin client
// certificates. Extensions are built structurally (no config strings), on
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
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // textual IPv4/IPv6
  std::vector<std::string> uris;
  // Authority Information Access caIssuers URIs (RFC 5280 section 4.2.2.1),
  // in order; none: no AIA extension.
  std::vector<std::string> ca_issuer_urls;
  bool is_ca = false;
  bool server_auth = false;
  bool client_auth = false;
  absl::Time not_before;
  absl::Time not_after;
  std::optional<std::string> join_extension_json;
  // When set: the DER SubjectPublicKeyInfo of the subject key (e.g. as the
  // host sent it, already checked by ParseHostPublicKey), written into the
  // certificate verbatim. OpenSSL 3 otherwise re-encodes the key through
  // its provider encoders and decodes it again, a large share of a join's
  // CPU. Must be the encoding of the key passed to IssueCertificate.
  std::string subject_public_key_info;
};

// True for a name usable as a dNSName SAN: 1-253 characters of letters,
// digits, '-', '.', and '*' (wildcards). Azure scale-set instance names
// ("web_3") are not.
bool IsValidDnsName(absl::string_view name);

// Generates a P-256 key (CA and server keys).
absl::StatusOr<crypto::EvpPkeyPtr> GenerateP256Key();
// Generates an Ed25519 key (the SSH CA).
absl::StatusOr<crypto::EvpPkeyPtr> GenerateEd25519Key();

// Parses a PKIX SubjectPublicKeyInfo (DER) as sent by an agent. Accepts
// EC P-256/P-384, Ed25519 and RSA >= 2048 bits; kInvalidArgument otherwise.
absl::StatusOr<crypto::EvpPkeyPtr> ParseHostPublicKey(absl::string_view spki_der);

// DER SubjectPublicKeyInfo of `key`.
absl::StatusOr<std::string> PublicKeyDer(const EVP_PKEY& key);

// "sha256:<hex>" of the certificate's SubjectPublicKeyInfo: the CA pin.
absl::StatusOr<std::string> CaPin(const X509& cert);

// Issues a certificate for `subject_key` signed by `issuer_key`. With
// `issuer` null the certificate is self-signed (the CA). Serial: 128 random
// bits. kInvalidArgument for unusable names, kInternal if signing fails.
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
