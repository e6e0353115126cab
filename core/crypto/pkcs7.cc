#include "core/crypto/pkcs7.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/crypto/digest.h"
#include "core/crypto/rsa_pkcs1.h"
#include "core/der/der.h"
#include "core/util/status_macros.h"

namespace enlist::crypto {
namespace {

using ::enlist::der::ContextTag;
using ::enlist::der::Element;
using ::enlist::der::Reader;

// OID contents octets (X.690 8.19), spelled out so comparisons are byte-wise.
constexpr absl::string_view kOidSignedData("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 9);
constexpr absl::string_view kOidData("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01", 9);
constexpr absl::string_view kOidContentType("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03", 9);
constexpr absl::string_view kOidMessageDigest("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04", 9);
constexpr absl::string_view kOidSigningTime("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05", 9);
constexpr absl::string_view kOidSha256("\x60\x86\x48\x01\x65\x03\x04\x02\x01", 9);
constexpr absl::string_view kOidSha384("\x60\x86\x48\x01\x65\x03\x04\x02\x02", 9);
constexpr absl::string_view kOidSha512("\x60\x86\x48\x01\x65\x03\x04\x02\x03", 9);
constexpr absl::string_view kOidRsaEncryption("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 9);
constexpr absl::string_view kOidSha256WithRsa("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9);
constexpr absl::string_view kOidSha384WithRsa("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", 9);
constexpr absl::string_view kOidSha512WithRsa("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", 9);
constexpr absl::string_view kOidEcdsaWithSha256("\x2a\x86\x48\xce\x3d\x04\x03\x02", 8);
constexpr absl::string_view kOidEcdsaWithSha384("\x2a\x86\x48\xce\x3d\x04\x03\x03", 8);

absl::Status Malformed(absl::string_view context, const absl::Status& cause) {
  return absl::InvalidArgumentError(absl::StrCat("pkcs7: ", context, ": ", cause.message()));
}

absl::Status Malformed(absl::string_view context, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("pkcs7: ", context, ": ", msg));
}

// Prefixes errors from the DER layer with "pkcs7: <context>: ".
template <typename T>
absl::StatusOr<T> In(absl::string_view context, absl::StatusOr<T> v) {
  if (!v.ok()) return Malformed(context, v.status());
  return v;
}

absl::Status In(absl::string_view context, const absl::Status& s) {
  if (!s.ok()) return Malformed(context, s);
  return s;
}

const EVP_MD* Md(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha256:
      return EVP_sha256();
    case DigestAlgorithm::kSha384:
      return EVP_sha384();
    case DigestAlgorithm::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
// (RFC 5280 4.1.1.2). The algorithms accepted here take absent or NULL
// parameters (RFC 4055 2.1 for RSA, RFC 5758 3.2 for ECDSA); anything else
// is rejected.
absl::StatusOr<absl::string_view> ReadAlgorithmIdentifier(Reader& r, absl::string_view context) {
  ENLIST_ASSIGN_OR_RETURN(Reader alg, In(context, r.ReadConstructed(der::kSequence)));
  ENLIST_ASSIGN_OR_RETURN(absl::string_view oid, In(context, alg.ReadOid()));
  if (!alg.empty()) ENLIST_RETURN_IF_ERROR(In(context, alg.ReadNull()));
  ENLIST_RETURN_IF_ERROR(In(context, alg.ExpectEnd("algorithm identifier")));
  return oid;
}

// RFC 5652 5.3 digestAlgorithm. The Azure quirk: IMDS writes the signature
// OID sha256WithRSAEncryption here; it can only mean SHA-256.
absl::StatusOr<DigestAlgorithm> MapDigestOid(absl::string_view oid) {
  if (oid == kOidSha256 || oid == kOidSha256WithRsa) return DigestAlgorithm::kSha256;
  if (oid == kOidSha384) return DigestAlgorithm::kSha384;
  if (oid == kOidSha512) return DigestAlgorithm::kSha512;
  return Malformed("signer info",
                   absl::StrCat("unsupported digest algorithm ", der::OidToString(oid)));
}

enum class KeyKind { kRsa, kEc };

struct SignatureAlgorithm {
  KeyKind kind;
  // The digest implied by the signature OID, when it names one.
  std::optional<DigestAlgorithm> implied_digest;
};

// RFC 5652 5.3 signatureAlgorithm; RFC 3370 3.2 (rsaEncryption), RFC 4056
// (shaNNNWithRSAEncryption), RFC 5753 7.1.3 / RFC 5758 3.2 (ecdsa-with-SHAnnn).
absl::StatusOr<SignatureAlgorithm> MapSignatureOid(absl::string_view oid) {
  if (oid == kOidRsaEncryption) return SignatureAlgorithm{KeyKind::kRsa, std::nullopt};
  if (oid == kOidSha256WithRsa) return SignatureAlgorithm{KeyKind::kRsa, DigestAlgorithm::kSha256};
  if (oid == kOidSha384WithRsa) return SignatureAlgorithm{KeyKind::kRsa, DigestAlgorithm::kSha384};
  if (oid == kOidSha512WithRsa) return SignatureAlgorithm{KeyKind::kRsa, DigestAlgorithm::kSha512};
  if (oid == kOidEcdsaWithSha256) return SignatureAlgorithm{KeyKind::kEc, DigestAlgorithm::kSha256};
  if (oid == kOidEcdsaWithSha384) return SignatureAlgorithm{KeyKind::kEc, DigestAlgorithm::kSha384};
  return Malformed("signer info",
                   absl::StrCat("unsupported signature algorithm ", der::OidToString(oid)));
}

// IssuerAndSerialNumber of a certificate, read from its own DER:
// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] EXPLICIT version
// OPTIONAL, serialNumber INTEGER, signature AlgorithmIdentifier, issuer Name,
// ... } } (RFC 5280 4.1). Comparing encodings avoids any re-encoding.
struct IssuerSerial {
  absl::string_view issuer_tlv;
  absl::string_view serial;
};

absl::StatusOr<IssuerSerial> CertIssuerSerial(absl::string_view cert_der,
                                              const der::Limits& limits) {
  ENLIST_ASSIGN_OR_RETURN(Reader top, Reader::Create(cert_der, limits));
  ENLIST_ASSIGN_OR_RETURN(Reader cert, top.ReadConstructed(der::kSequence));
  ENLIST_ASSIGN_OR_RETURN(Reader tbs, cert.ReadConstructed(der::kSequence));
  ENLIST_ASSIGN_OR_RETURN(std::optional<Element> version,
                          tbs.ReadOptional(ContextTag(0, /*constructed=*/true)));
  (void)version;
  // Serial numbers in the wild are sometimes non-minimal; d2i_X509 accepted
  // the certificate, so read the serial as raw contents here.
  ENLIST_ASSIGN_OR_RETURN(Element serial, tbs.ReadElement(der::kInteger));
  ENLIST_ASSIGN_OR_RETURN(Element sig_alg, tbs.ReadElement(der::kSequence));
  (void)sig_alg;
  ENLIST_ASSIGN_OR_RETURN(Element issuer, tbs.ReadElement(der::kSequence));
  return IssuerSerial{issuer.tlv, serial.value};
}

// Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue }
// (RFC 5652 5.3). content-type, message-digest and signing-time must have
// exactly one value and appear at most once (RFC 5652 11.1, 11.2, 11.3).
struct SignedAttributes {
  std::optional<absl::string_view> content_type;
  std::optional<absl::string_view> message_digest;
  std::optional<absl::Time> signing_time;
};

absl::StatusOr<SignedAttributes> ParseSignedAttributes(Reader attrs) {
  constexpr absl::string_view kCtx = "signed attributes";
  SignedAttributes out;
  if (attrs.empty()) return Malformed(kCtx, "empty set");  // SIZE (1..MAX)
  while (!attrs.empty()) {
    ENLIST_ASSIGN_OR_RETURN(Reader attr, In(kCtx, attrs.ReadConstructed(der::kSequence)));
    ENLIST_ASSIGN_OR_RETURN(absl::string_view type, In(kCtx, attr.ReadOid()));
    ENLIST_ASSIGN_OR_RETURN(Reader values, In(kCtx, attr.ReadConstructed(der::kSet)));
    ENLIST_RETURN_IF_ERROR(In(kCtx, attr.ExpectEnd("attribute")));
    const bool known =
        type == kOidContentType || type == kOidMessageDigest || type == kOidSigningTime;
    if (!known) continue;  // Other attributes are covered by the signature, not interpreted.
    const std::string name = der::OidToString(type);
    if ((type == kOidContentType && out.content_type) ||
        (type == kOidMessageDigest && out.message_digest) ||
        (type == kOidSigningTime && out.signing_time)) {
      return Malformed(kCtx, absl::StrCat("duplicate attribute ", name));
    }
    if (type == kOidContentType) {
      ENLIST_ASSIGN_OR_RETURN(absl::string_view v, In(kCtx, values.ReadOid()));
      out.content_type = v;
    } else if (type == kOidMessageDigest) {
      ENLIST_ASSIGN_OR_RETURN(absl::string_view v, In(kCtx, values.ReadOctetString()));
      out.message_digest = v;
    } else {
      ENLIST_ASSIGN_OR_RETURN(absl::Time v, In(kCtx, values.ReadTime()));
      out.signing_time = v;
    }
    if (!values.empty()) {
      return Malformed(kCtx, absl::StrCat("attribute ", name, " must have exactly one value"));
    }
  }
  // RFC 5652 5.3: with signed attributes, content-type and message-digest
  // MUST be present.
  if (!out.content_type) return Malformed(kCtx, "missing content-type attribute");
  if (!out.message_digest) return Malformed(kCtx, "missing message-digest attribute");
  return out;
}

absl::StatusOr<std::string> Digest(DigestAlgorithm alg, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, Md(alg), nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("pkcs7: digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

absl::Status VerifySignature(X509* signer, const SignatureAlgorithm& sig_alg,
                             DigestAlgorithm digest, absl::string_view signed_bytes,
                             absl::string_view signature) {
  EvpPkeyPtr key(X509_get_pubkey(signer));
  if (key == nullptr) {
    ERR_clear_error();
    return Malformed("signer certificate", "unreadable public key");
  }
  const int type = EVP_PKEY_id(key.get());
  if (sig_alg.kind == KeyKind::kRsa && type != EVP_PKEY_RSA) {
    return Malformed("signer info", "rsa signature algorithm but signer key is not rsa");
  }
  if (sig_alg.kind == KeyKind::kEc && type != EVP_PKEY_EC) {
    return Malformed("signer info", "ecdsa signature algorithm but signer key is not ec");
  }
  if (sig_alg.kind == KeyKind::kRsa) {
    // PKCS#1 v1.5 (RFC 8017 8.2), as EVP's default RSA padding would be.
    RsaPkcs1Hash hash = RsaPkcs1Hash::kSha256;
    if (digest == DigestAlgorithm::kSha384) hash = RsaPkcs1Hash::kSha384;
    if (digest == DigestAlgorithm::kSha512) hash = RsaPkcs1Hash::kSha512;
    if (!VerifyRsaPkcs1(key.get(), hash, signed_bytes, signature)) {
      return absl::UnauthenticatedError("pkcs7: signature: verification failed");
    }
    return absl::OkStatus();
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return absl::InternalError("pkcs7: out of memory");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, Md(digest), nullptr, key.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("pkcs7: signature: cannot initialise verification");
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const uint8_t*>(signature.data()), signature.size(),
      reinterpret_cast<const uint8_t*>(signed_bytes.data()), signed_bytes.size());
  ERR_clear_error();
  if (ok != 1) return absl::UnauthenticatedError("pkcs7: signature: verification failed");
  return absl::OkStatus();
}

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view der) {
  // Shares cert.h's cache of parsed certificates (IMDS signs with one leaf
  // for weeks).
  absl::StatusOr<X509Ptr> cert = ParseCertificateDer(der);
  if (!cert.ok()) return Malformed("certificates", "unparsable certificate");
  return cert;
}

}  // namespace

absl::string_view DigestAlgorithmName(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha256:
      return "sha256";
    case DigestAlgorithm::kSha384:
      return "sha384";
    case DigestAlgorithm::kSha512:
      return "sha512";
  }
  return "unknown";
}

namespace {

// The whole parse; with `verify` false the signed attributes and the
// signature are left unchecked (ReadSignedDataUnverified).
absl::StatusOr<VerifiedSignedData> ParseSignedData(absl::string_view input,
                                                   const Pkcs7Options& options, bool verify) {
  if (input.size() > options.max_input_size) {
    return Malformed(
        "input", absl::StrCat(input.size(), " bytes exceeds limit of ", options.max_input_size));
  }
  der::Limits limits;
  limits.max_input_size = options.max_input_size;
  limits.max_depth = options.max_depth;
  ENLIST_ASSIGN_OR_RETURN(Reader top, In("input", Reader::Create(input, limits)));

  // RFC 5652 3: ContentInfo ::= SEQUENCE { contentType ContentType,
  //   content [0] EXPLICIT ANY DEFINED BY contentType }
  ENLIST_ASSIGN_OR_RETURN(Reader content_info,
                          In("content info", top.ReadConstructed(der::kSequence)));
  ENLIST_RETURN_IF_ERROR(In("content info", top.ExpectEnd("input")));
  ENLIST_ASSIGN_OR_RETURN(absl::string_view content_type,
                          In("content info", content_info.ReadOid()));
  if (content_type != kOidSignedData) {
    return Malformed("content info",
                     absl::StrCat("unsupported content type ", der::OidToString(content_type)));
  }
  ENLIST_ASSIGN_OR_RETURN(Reader explicit_content,
                          In("content info", content_info.ReadConstructed(ContextTag(0, true))));
  ENLIST_RETURN_IF_ERROR(In("content info", content_info.ExpectEnd("content info")));

  // RFC 5652 5.1: SignedData ::= SEQUENCE { version CMSVersion,
  //   digestAlgorithms SET OF DigestAlgorithmIdentifier,
  //   encapContentInfo EncapsulatedContentInfo,
  //   certificates [0] IMPLICIT CertificateSet OPTIONAL,
  //   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
  //   signerInfos SET OF SignerInfo }
  constexpr absl::string_view kSd = "signed data";
  ENLIST_ASSIGN_OR_RETURN(Reader sd, In(kSd, explicit_content.ReadConstructed(der::kSequence)));
  ENLIST_RETURN_IF_ERROR(In(kSd, explicit_content.ExpectEnd("content")));
  ENLIST_ASSIGN_OR_RETURN(int64_t version, In(kSd, sd.ReadSmallNonNegativeInteger()));
  // RFC 5652 5.1: version 1 when only id-data and issuerAndSerialNumber are
  // used; 3 is allowed by writers that always emit it. Others imply features
  // (attribute certificates, other revocation formats) we do not handle.
  if (version != 1 && version != 3) {
    return Malformed(kSd, absl::StrCat("unsupported version ", version));
  }
  ENLIST_ASSIGN_OR_RETURN(Reader digest_algs, In(kSd, sd.ReadConstructed(der::kSet)));
  while (!digest_algs.empty()) {
    // Informational (one-pass processing, RFC 5652 5.1); parsed for
    // well-formedness only. The SignerInfo's own digestAlgorithm decides.
    ENLIST_ASSIGN_OR_RETURN(absl::string_view ignored,
                            ReadAlgorithmIdentifier(digest_algs, "digest algorithms"));
    (void)ignored;
  }

  // RFC 5652 5.2: EncapsulatedContentInfo ::= SEQUENCE { eContentType,
  //   eContent [0] EXPLICIT OCTET STRING OPTIONAL }
  constexpr absl::string_view kEci = "encapsulated content";
  ENLIST_ASSIGN_OR_RETURN(Reader eci, In(kEci, sd.ReadConstructed(der::kSequence)));
  ENLIST_ASSIGN_OR_RETURN(absl::string_view econtent_type, In(kEci, eci.ReadOid()));
  if (econtent_type != kOidData) {
    return Malformed(kEci,
                     absl::StrCat("unsupported content type ", der::OidToString(econtent_type)));
  }
  ENLIST_ASSIGN_OR_RETURN(std::optional<Reader> econtent,
                          In(kEci, eci.ReadOptionalConstructed(ContextTag(0, true))));
  if (!econtent) return Malformed(kEci, "detached content not supported");
  ENLIST_ASSIGN_OR_RETURN(absl::string_view content, In(kEci, econtent->ReadOctetString()));
  ENLIST_RETURN_IF_ERROR(In(kEci, econtent->ExpectEnd("content")));
  ENLIST_RETURN_IF_ERROR(In(kEci, eci.ExpectEnd("encapsulated content")));

  // RFC 5652 10.2.2: CertificateChoices; only the plain Certificate
  // alternative (a SEQUENCE) is supported.
  VerifiedSignedData out;
  std::vector<IssuerSerial> cert_ids;
  constexpr absl::string_view kCerts = "certificates";
  ENLIST_ASSIGN_OR_RETURN(std::optional<Reader> certs,
                          In(kCerts, sd.ReadOptionalConstructed(ContextTag(0, true))));
  if (certs) {
    while (!certs->empty()) {
      if (out.certificates.size() >= options.max_certificates) {
        return Malformed(kCerts, absl::StrCat("more than ", options.max_certificates));
      }
      ENLIST_ASSIGN_OR_RETURN(uint8_t tag, In(kCerts, certs->PeekTag()));
      if (tag != der::kSequence) {
        return Malformed(kCerts, absl::StrCat("unsupported certificate choice tag 0x",
                                              absl::Hex(tag, absl::kZeroPad2)));
      }
      ENLIST_ASSIGN_OR_RETURN(Element cert_el, In(kCerts, certs->ReadAny()));
      ENLIST_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(cert_el.tlv));
      ENLIST_ASSIGN_OR_RETURN(IssuerSerial id, In(kCerts, CertIssuerSerial(cert_el.tlv, limits)));
      cert_ids.push_back(id);
      out.certificates.push_back(std::move(cert));
    }
  }
  // RFC 5652 5.1 crls [1]: revocation is not checked from the message; the
  // element is skipped after a well-formedness check.
  ENLIST_ASSIGN_OR_RETURN(std::optional<Reader> crls,
                          In("crls", sd.ReadOptionalConstructed(ContextTag(1, true))));
  (void)crls;

  ENLIST_ASSIGN_OR_RETURN(Reader signer_infos, In("signer infos", sd.ReadConstructed(der::kSet)));
  ENLIST_RETURN_IF_ERROR(In(kSd, sd.ExpectEnd("signed data")));

  // RFC 5652 5.3: SignerInfo ::= SEQUENCE { version CMSVersion,
  //   sid SignerIdentifier, digestAlgorithm, signedAttrs [0] IMPLICIT
  //   OPTIONAL, signatureAlgorithm, signature OCTET STRING,
  //   unsignedAttrs [1] IMPLICIT OPTIONAL }
  constexpr absl::string_view kSi = "signer info";
  if (signer_infos.empty()) return Malformed("signer infos", "no signer info");
  ENLIST_ASSIGN_OR_RETURN(Reader si, In(kSi, signer_infos.ReadConstructed(der::kSequence)));
  if (!signer_infos.empty()) {
    return Malformed("signer infos", "exactly one signer info is supported");
  }
  ENLIST_ASSIGN_OR_RETURN(int64_t si_version, In(kSi, si.ReadSmallNonNegativeInteger()));
  // RFC 5652 5.3: version 1 goes with issuerAndSerialNumber; version 3 with
  // subjectKeyIdentifier, which is not supported.
  if (si_version != 1) {
    return Malformed(kSi, absl::StrCat("unsupported version ", si_version,
                                       " (only issuer and serial number signer ids)"));
  }
  // RFC 5652 10.2.4: IssuerAndSerialNumber ::= SEQUENCE { issuer Name,
  //   serialNumber CertificateSerialNumber }
  ENLIST_ASSIGN_OR_RETURN(Reader sid, In(kSi, si.ReadConstructed(der::kSequence)));
  ENLIST_ASSIGN_OR_RETURN(Element sid_issuer, In(kSi, sid.ReadElement(der::kSequence)));
  ENLIST_ASSIGN_OR_RETURN(absl::string_view sid_serial, In(kSi, sid.ReadInteger()));
  ENLIST_RETURN_IF_ERROR(In(kSi, sid.ExpectEnd("issuer and serial number")));

  ENLIST_ASSIGN_OR_RETURN(absl::string_view digest_oid, ReadAlgorithmIdentifier(si, kSi));
  ENLIST_ASSIGN_OR_RETURN(DigestAlgorithm digest, MapDigestOid(digest_oid));

  absl::string_view signed_attrs_tlv;
  ENLIST_ASSIGN_OR_RETURN(
      std::optional<Reader> signed_attrs,
      In(kSi, si.ReadOptionalConstructed(ContextTag(0, true), &signed_attrs_tlv)));
  ENLIST_ASSIGN_OR_RETURN(absl::string_view sig_oid, ReadAlgorithmIdentifier(si, kSi));
  ENLIST_ASSIGN_OR_RETURN(SignatureAlgorithm sig_alg, MapSignatureOid(sig_oid));
  if (sig_alg.implied_digest && *sig_alg.implied_digest != digest) {
    return Malformed(
        kSi, absl::StrCat("signature algorithm ", der::OidToString(sig_oid),
                          " does not match digest algorithm ", DigestAlgorithmName(digest)));
  }
  ENLIST_ASSIGN_OR_RETURN(absl::string_view signature, In(kSi, si.ReadOctetString()));
  ENLIST_ASSIGN_OR_RETURN(std::optional<Element> unsigned_attrs,
                          In(kSi, si.ReadOptional(ContextTag(1, true))));
  (void)unsigned_attrs;
  ENLIST_RETURN_IF_ERROR(In(kSi, si.ExpectEnd("signer info")));

  // Locate the signer by issuer + serial (RFC 5652 5.3 sid), never by
  // position in the set.
  int signer_index = -1;
  for (size_t i = 0; i < cert_ids.size(); ++i) {
    if (cert_ids[i].issuer_tlv == sid_issuer.tlv && cert_ids[i].serial == sid_serial) {
      if (signer_index >= 0) {
        return Malformed(kSi, "signer certificate is ambiguous (duplicate issuer and serial)");
      }
      signer_index = static_cast<int>(i);
    }
  }
  if (signer_index < 0) {
    return absl::UnauthenticatedError(
        "pkcs7: signer info: signer certificate not found in certificates");
  }
  X509* signer = out.certificates[signer_index].get();
  if (!verify) {
    X509_up_ref(signer);
    out.signer.reset(signer);
    out.content = std::string(content);
    out.digest_algorithm = digest;
    out.had_signed_attributes = signed_attrs.has_value();
    return out;
  }

  absl::string_view signed_bytes = content;
  std::string attrs_der;
  if (signed_attrs) {
    ENLIST_ASSIGN_OR_RETURN(SignedAttributes attrs, ParseSignedAttributes(*signed_attrs));
    // RFC 5652 11.1: content-type attribute equals eContentType.
    if (*attrs.content_type != econtent_type) {
      return absl::UnauthenticatedError(absl::StrCat(
          "pkcs7: signed attributes: content type ", der::OidToString(*attrs.content_type),
          " does not match encapsulated content type ", der::OidToString(econtent_type)));
    }
    // RFC 5652 11.2: message-digest attribute equals the content's digest.
    ENLIST_ASSIGN_OR_RETURN(std::string content_digest, Digest(digest, content));
    if (!ConstantTimeEquals(content_digest, *attrs.message_digest)) {
      return absl::UnauthenticatedError("pkcs7: signed attributes: message digest mismatch");
    }
    out.signing_time = attrs.signing_time;
    // RFC 5652 5.4: the signature covers the DER of the attributes with an
    // EXPLICIT SET OF tag (0x31) in place of the [0] IMPLICIT tag (0xa0);
    // length and contents are unchanged.
    attrs_der = std::string(signed_attrs_tlv);
    attrs_der[0] = static_cast<char>(der::kSet);
    signed_bytes = attrs_der;
    out.had_signed_attributes = true;
  }
  ENLIST_RETURN_IF_ERROR(VerifySignature(signer, sig_alg, digest, signed_bytes, signature));

  X509_up_ref(signer);
  out.signer.reset(signer);
  out.content = std::string(content);
  out.digest_algorithm = digest;
  return out;
}

}  // namespace

absl::StatusOr<VerifiedSignedData> VerifySignedData(absl::string_view input,
                                                    const Pkcs7Options& options) {
  return ParseSignedData(input, options, /*verify=*/true);
}

absl::StatusOr<VerifiedSignedData> ReadSignedDataUnverified(absl::string_view input,
                                                            const Pkcs7Options& options) {
  return ParseSignedData(input, options, /*verify=*/false);
}

}  // namespace enlist::crypto
