#include "core/crypto/signed_data_signer.h"

#include <openssl/crypto.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/crypto/ptr.h"
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
constexpr char kOidSha256[] = "2.16.840.1.101.3.4.2.1";
constexpr char kOidSha256WithRsa[] = "1.2.840.113549.1.1.11";
constexpr char kOidRsaEncryption[] = "1.2.840.113549.1.1.1";
constexpr char kOidEcdsaWithSha256[] = "1.2.840.10045.4.3.2";

absl::StatusOr<std::string> Sign(EVP_PKEY* key, const std::string& data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    return absl::InternalError("signed data: signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len, in, data.size()) !=
      1) {
    return absl::InternalError("signed data: signing failed");
  }
  sig.resize(len);
  return sig;
}

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

// AlgorithmIdentifier: RSA algorithms carry NULL parameters, ECDSA none
// (RFC 4055, RFC 5758); SHA-256 with NULL as many encoders write it.
absl::StatusOr<std::string> AlgId(absl::string_view oid) {
  ENLIST_ASSIGN_OR_RETURN(std::string o, dw::Oid(oid));
  if (oid == kOidEcdsaWithSha256) return dw::Seq({o});
  return dw::Seq({o, dw::Null()});
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
  if (options.azure_digest_oid && !rsa) {
    return absl::InvalidArgumentError("signed data: the Azure digest OID needs an RSA key");
  }
  std::string to_sign = options.content;
  std::string attrs_set;
  if (options.signed_attributes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(options.content.data(), options.content.size(), md, &md_len, EVP_sha256(),
                   nullptr) != 1) {
      return absl::InternalError("signed data: digest failed");
    }
    ENLIST_ASSIGN_OR_RETURN(std::string ct_oid, dw::Oid(kOidContentType));
    ENLIST_ASSIGN_OR_RETURN(std::string md_oid, dw::Oid(kOidMessageDigest));
    ENLIST_ASSIGN_OR_RETURN(std::string data_oid, dw::Oid(kOidData));
    // DER orders a SET OF by encoding: content-type (30 18 ...) sorts
    // before message-digest (30 2f ...).
    attrs_set = dw::Set({
        dw::Seq({ct_oid, dw::Set({data_oid})}),
        dw::Seq({md_oid, dw::Set({dw::OctetString(std::string(
                             reinterpret_cast<const char*>(md), md_len))})}),
    });
    to_sign = attrs_set;
  }
  ENLIST_ASSIGN_OR_RETURN(std::string signature, Sign(options.key, to_sign));
  ENLIST_ASSIGN_OR_RETURN(std::string sid, IssuerAndSerial(options.signer_cert));
  ENLIST_ASSIGN_OR_RETURN(std::string digest_alg,
                          AlgId(options.azure_digest_oid ? kOidSha256WithRsa : kOidSha256));
  ENLIST_ASSIGN_OR_RETURN(std::string sig_alg,
                          AlgId(rsa ? kOidRsaEncryption : kOidEcdsaWithSha256));

  std::vector<std::string> si = {dw::Integer(1), sid, digest_alg};
  if (options.signed_attributes) {
    std::string implicit = attrs_set;
    implicit[0] = static_cast<char>(der::ContextTag(0, true));  // [0] IMPLICIT
    si.push_back(implicit);
  }
  si.push_back(sig_alg);
  si.push_back(dw::OctetString(signature));

  ENLIST_ASSIGN_OR_RETURN(std::string data_oid, dw::Oid(kOidData));
  std::vector<std::string> sd = {
      dw::Integer(1),
      dw::Set({digest_alg}),
      dw::Seq({data_oid, dw::Context(0, {dw::OctetString(
                                            options.embedded_content.value_or(options.content))})}),
  };
  if (!options.certificates.empty()) {
    std::vector<std::string> certs;
    for (const X509* c : options.certificates) {
      ENLIST_ASSIGN_OR_RETURN(std::string d, CertDer(c));
      certs.push_back(std::move(d));
    }
    sd.push_back(dw::Context(0, certs));
  }
  sd.push_back(dw::Set({dw::Seq(si)}));
  ENLIST_ASSIGN_OR_RETURN(std::string sd_oid, dw::Oid(kOidSignedData));
  return dw::Seq({sd_oid, dw::Context(0, {dw::Seq(sd)})});
}

}  // namespace enlist::crypto
