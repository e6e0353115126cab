#include "core/crypto/signed_data_signer.h"

#include <openssl/crypto.h>

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/ptr.h"
#include "core/crypto/sign.h"
#include "core/der/der.h"
#include "core/der/der_writer.h"
#include "core/util/status_macros.h"

namespace enlist::crypto {
namespace {

namespace dw = ::enlist::der::write;

constexpr char kOidData[] = "1.2.840.113549.1.7.1";
constexpr char kOidSignedData[] = "1.2.840.113549.1.7.2";
constexpr char kOidContentType[] = "1.2.840.113549.1.9.3";
constexpr char kOidMessageDigest[] = "1.2.840.113549.1.9.4";
constexpr char kOidSha256WithRsa[] = "1.2.840.113549.1.1.11";
constexpr char kOidRsaEncryption[] = "1.2.840.113549.1.1.1";
// ANSI X9.62 (RFC 5758): ECDSA algorithm identifiers have no parameters.
constexpr char kOidX962Arc[] = "1.2.840.10045.";

// A digest SignSignedData can use, with the OIDs that name it.
struct Digest {
  int nid;
  const char* oid;        // id-sha256 ... (RFC 5754 section 2)
  const char* ecdsa_oid;  // ecdsa-with-SHA256 ... (RFC 5758 section 3.2)
};
constexpr Digest kDigests[] = {
    {NID_sha256, "2.16.840.1.101.3.4.2.1", "1.2.840.10045.4.3.2"},
    {NID_sha384, "2.16.840.1.101.3.4.2.2", "1.2.840.10045.4.3.3"},
    {NID_sha512, "2.16.840.1.101.3.4.2.3", "1.2.840.10045.4.3.4"},
};

absl::StatusOr<std::string> CertDer(const X509* cert) {
  uint8_t* buf = nullptr;
  // BoringSSL's i2d_X509 takes a non-const pointer; it does not modify it.
  int len = i2d_X509(const_cast<X509*>(cert), &buf);
  if (len <= 0) return absl::InternalError("signed data: encoding certificate failed");
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

// IssuerAndSerialNumber (RFC 5652 section 10.2.4) from the certificate's DER.
absl::StatusOr<std::string> IssuerAndSerial(const X509* cert) {
  ENLIST_ASSIGN_OR_RETURN(std::string der, CertDer(cert));
  ENLIST_ASSIGN_OR_RETURN(der::Reader top, der::Reader::Create(der));
  ENLIST_ASSIGN_OR_RETURN(der::Reader c, top.ReadConstructed(der::kSequence));
  ENLIST_ASSIGN_OR_RETURN(der::Reader tbs, c.ReadConstructed(der::kSequence));
  ENLIST_RETURN_IF_ERROR(tbs.ReadOptional(der::ContextTag(0, true)).status());
  ENLIST_ASSIGN_OR_RETURN(der::Element serial, tbs.ReadElement(der::kInteger));
  ENLIST_RETURN_IF_ERROR(tbs.ReadAny().status());
  ENLIST_ASSIGN_OR_RETURN(der::Element issuer, tbs.ReadElement(der::kSequence));
  return dw::Seq({std::string(issuer.tlv), std::string(serial.tlv)});
}

// AlgorithmIdentifier: ECDSA algorithms carry no parameters (RFC 5758), RSA
// ones NULL (RFC 4055), and SHA-2 NULL as many encoders write it.
absl::StatusOr<std::string> AlgId(absl::string_view oid) {
  ENLIST_ASSIGN_OR_RETURN(std::string o, dw::Oid(oid));
  if (absl::StartsWith(oid, kOidX962Arc)) return dw::Seq({o});
  return dw::Seq({o, dw::Null()});
}

// A tampering OID when set, else the chosen one.
absl::StatusOr<std::string> OidOr(const std::optional<std::string>& tampered,
                                  absl::string_view chosen) {
  return dw::Oid(tampered.has_value() ? *tampered : chosen);
}

// The signed attributes as a DER SET (RFC 5652 section 5.3): content-type,
// message-digest, then the extra ones, in that order (not re-sorted).
absl::StatusOr<std::string> SignedAttributes(const SignedDataOptions& options, const EVP_MD* md) {
  const SignedDataTampering& t = options.tampering;
  std::string digest;
  if (t.message_digest_attribute.has_value()) {
    digest = *t.message_digest_attribute;
  } else {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(options.content.data(), options.content.size(), out, &len, md, nullptr) != 1) {
      return absl::InternalError("signed data: digest failed");
    }
    digest.assign(reinterpret_cast<const char*>(out), len);
  }
  ENLIST_ASSIGN_OR_RETURN(std::string ct_oid, dw::Oid(kOidContentType));
  ENLIST_ASSIGN_OR_RETURN(std::string md_oid, dw::Oid(kOidMessageDigest));
  ENLIST_ASSIGN_OR_RETURN(std::string ct_value, OidOr(t.content_type_attribute, kOidData));
  // With SHA-256 DER's SET OF order holds: content-type (30 18 ...) sorts
  // before message-digest (30 2f ...).
  std::vector<std::string> attrs = {
      dw::Seq({ct_oid, dw::Set({ct_value})}),
      dw::Seq({md_oid, dw::Set({dw::OctetString(digest)})}),
  };
  attrs.insert(attrs.end(), options.extra_signed_attributes.begin(),
               options.extra_signed_attributes.end());
  return dw::Set(attrs);
}

}  // namespace

absl::StatusOr<std::string> SignSignedData(const SignedDataOptions& options) {
  if (options.key == nullptr || options.signer_cert == nullptr) {
    return absl::InvalidArgumentError("signed data: key and signer certificate required");
  }
  const bool rsa = EVP_PKEY_id(options.key) == EVP_PKEY_RSA;
  if (!rsa && EVP_PKEY_id(options.key) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("signed data: key must be RSA or EC");
  }
  const EVP_MD* md = options.digest != nullptr ? options.digest : EVP_sha256();
  const Digest* digest = nullptr;
  for (const Digest& d : kDigests) {
    if (EVP_MD_type(md) == d.nid) digest = &d;
  }
  if (digest == nullptr) {
    return absl::InvalidArgumentError("signed data: digest must be SHA-256, SHA-384 or SHA-512");
  }
  if (options.azure_digest_oid && (!rsa || digest->nid != NID_sha256)) {
    return absl::InvalidArgumentError(
        "signed data: the Azure digest OID needs an RSA key and SHA-256");
  }
  const SignedDataTampering& t = options.tampering;
  for (const std::optional<std::string>* oid :
       {&t.content_type, &t.econtent_type, &t.digest_algorithm, &t.signature_algorithm,
        &t.content_type_attribute}) {
    if (oid->has_value() && !der::OidFromString(**oid).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signed data: tampering: not an OID: \"", **oid, "\""));
    }
  }
  std::string to_sign = options.content;
  std::string attrs_set;
  if (options.signed_attributes) {
    ENLIST_ASSIGN_OR_RETURN(attrs_set, SignedAttributes(options, md));
    to_sign = attrs_set;
  }
  absl::StatusOr<std::string> signature = SignMessage(*options.key, md, to_sign);
  if (!signature.ok()) return absl::InternalError("signed data: signing failed");
  if (t.corrupt_signature) (*signature)[signature->size() / 2] ^= 0x01;
  ENLIST_ASSIGN_OR_RETURN(std::string sid, IssuerAndSerial(options.signer_cert));
  ENLIST_ASSIGN_OR_RETURN(std::string digest_alg,
                          AlgId(t.digest_algorithm.value_or(
                              options.azure_digest_oid ? kOidSha256WithRsa : digest->oid)));
  ENLIST_ASSIGN_OR_RETURN(
      std::string sig_alg,
      AlgId(t.signature_algorithm.value_or(rsa ? kOidRsaEncryption : digest->ecdsa_oid)));

  std::vector<std::string> si = {dw::Integer(t.signer_info_version), sid, digest_alg};
  if (options.signed_attributes) {
    std::string implicit = attrs_set;
    implicit[0] = static_cast<char>(der::ContextTag(0, true));  // [0] IMPLICIT
    if (t.corrupt_signed_attributes) implicit.back() ^= 0x01;
    si.push_back(implicit);
  }
  si.push_back(sig_alg);
  si.push_back(dw::OctetString(*signature));
  const std::string signer_info = dw::Seq(si);
  std::vector<std::string> signer_infos;
  for (int i = 0; i < t.signer_info_count; ++i) signer_infos.push_back(signer_info);

  ENLIST_ASSIGN_OR_RETURN(std::string econtent_type, OidOr(t.econtent_type, kOidData));
  std::vector<std::string> sd = {
      dw::Integer(t.signed_data_version),
      dw::Set({digest_alg}),
      dw::Seq(
          {econtent_type,
           dw::Context(0, {dw::OctetString(options.embedded_content.value_or(options.content))})}),
  };
  if (!options.certificates.empty()) {
    std::vector<std::string> certs;
    for (const X509* c : options.certificates) {
      ENLIST_ASSIGN_OR_RETURN(std::string d, CertDer(c));
      certs.push_back(std::move(d));
    }
    sd.push_back(dw::Context(0, certs));
  }
  sd.push_back(dw::Set(signer_infos));
  ENLIST_ASSIGN_OR_RETURN(std::string content_type, OidOr(t.content_type, kOidSignedData));
  return dw::Seq({content_type, dw::Context(0, {dw::Seq(sd)})});
}

}  // namespace enlist::crypto
