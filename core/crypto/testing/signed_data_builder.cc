#include "core/crypto/testing/signed_data_builder.h"

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

#include "core/crypto/ptr.h"
#include "core/crypto/testing/test_pki.h"
#include "core/der/der.h"
#include "core/der/testing/der_writer.h"

namespace enlist::crypto::testing {
namespace {

namespace dw = ::enlist::der::testing;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "signed_data_builder: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    std::abort();
  }
}

std::string Digest(const EVP_MD* md, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Check(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) == 1, "EVP_Digest");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sign(EVP_PKEY* key, const EVP_MD* md, const std::string& data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Check(ctx && EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) == 1, "EVP_DigestSignInit");
  size_t len = 0;
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(data.data()),
                       data.size()) == 1,
        "EVP_DigestSign");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &len,
                       reinterpret_cast<const uint8_t*>(data.data()), data.size()) == 1,
        "EVP_DigestSign");
  sig.resize(len);
  return sig;
}

// Issuer Name TLV and serial INTEGER TLV of `cert`, from its own DER.
void IssuerAndSerial(const X509* cert, std::string* issuer, std::string* serial) {
  const std::string der = CertDer(cert);
  auto top = der::Reader::Create(der);
  Check(top.ok(), "reader");
  auto c = top->ReadConstructed(der::kSequence);
  Check(c.ok(), "cert");
  auto tbs = c->ReadConstructed(der::kSequence);
  Check(tbs.ok(), "tbs");
  Check(tbs->ReadOptional(der::ContextTag(0, true)).ok(), "version");
  auto s = tbs->ReadElement(der::kInteger);
  Check(s.ok(), "serial");
  Check(tbs->ReadAny().ok(), "sigalg");
  auto i = tbs->ReadElement(der::kSequence);
  Check(i.ok(), "issuer");
  *issuer = std::string(i->tlv);
  *serial = std::string(s->tlv);
}

std::string AlgId(const std::string& oid) {
  // RSA algorithms carry NULL parameters, ECDSA none (RFC 4055, RFC 5758).
  if (oid.rfind("1.2.840.10045.", 0) == 0) return dw::Seq({dw::Oid(oid)});
  return dw::Seq({dw::Oid(oid), dw::Null()});
}

}  // namespace

std::string BuildSignedData(const SignedDataSpec& spec) {
  Check(spec.key != nullptr && spec.signer_cert != nullptr, "spec key/signer");
  std::string attrs_set;  // SET OF Attribute encoded with tag 0x31
  std::string to_sign = spec.content;
  if (spec.signed_attributes) {
    const std::string md = spec.attr_message_digest.value_or(Digest(spec.md, spec.content));
    std::vector<std::string> attrs = {
        dw::Seq({dw::Oid("1.2.840.113549.1.9.3"), dw::Set({dw::Oid(spec.attr_content_type)})}),
        dw::Seq({dw::Oid("1.2.840.113549.1.9.4"), dw::Set({dw::OctetString(md)})}),
    };
    if (spec.signing_time) {
      attrs.push_back(
          dw::Seq({dw::Oid("1.2.840.113549.1.9.5"), dw::Set({dw::UtcTime(*spec.signing_time)})}));
    }
    // An attribute the verifier does not interpret, last, so that
    // corrupt_attributes_after_signing changes bytes that still parse.
    attrs.push_back(
        dw::Seq({dw::Oid("1.3.6.1.4.1.99999.1"), dw::Set({dw::OctetString("enlist")})}));
    attrs_set = dw::Set(attrs);
    to_sign = attrs_set;
  }
  std::string signature = Sign(spec.key, spec.md, to_sign);
  if (spec.corrupt_signature) signature[signature.size() / 2] ^= 0x01;

  std::string issuer, serial;
  IssuerAndSerial(spec.signer_cert, &issuer, &serial);
  std::vector<std::string> si_parts = {dw::Integer(spec.signer_info_version),
                                       dw::Seq({issuer, serial}), AlgId(spec.digest_oid)};
  if (spec.signed_attributes) {
    std::string implicit = attrs_set;
    implicit[0] = static_cast<char>(der::ContextTag(0, true));  // [0] IMPLICIT
    if (spec.corrupt_attributes_after_signing) implicit.back() ^= 0x01;
    si_parts.push_back(implicit);
  }
  si_parts.push_back(AlgId(spec.signature_oid));
  si_parts.push_back(dw::OctetString(signature));
  const std::string signer_info = dw::Seq(si_parts);
  std::vector<std::string> signer_infos;
  for (int i = 0; i < spec.signer_info_count; ++i) signer_infos.push_back(signer_info);

  std::vector<std::string> sd_parts = {
      dw::Integer(spec.signed_data_version),
      dw::Set({AlgId(spec.digest_oid)}),
      dw::Seq({dw::Oid(spec.econtent_type),
               dw::Context(0, {dw::OctetString(spec.embedded_content.value_or(spec.content))})}),
  };
  if (!spec.certificates.empty()) {
    std::vector<std::string> certs;
    for (const X509* c : spec.certificates) certs.push_back(CertDer(c));
    sd_parts.push_back(dw::Context(0, certs));
  }
  sd_parts.push_back(dw::Set(signer_infos));
  return dw::Seq({dw::Oid(spec.content_info_type), dw::Context(0, {dw::Seq(sd_parts)})});
}

}  // namespace enlist::crypto::testing
