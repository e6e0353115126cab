#include "core/crypto/testing/signed_data_builder.h"

#include <cstdio>
#include <cstdlib>

#include "absl/status/statusor.h"
#include "core/crypto/signed_data_signer.h"
#include "core/der/testing/der_writer.h"

namespace enlist::crypto::testing {
namespace {

namespace dw = ::enlist::der::testing;

constexpr char kOidSigningTime[] = "1.2.840.113549.1.9.5";
// An attribute the verifier does not interpret, last, so that
// corrupt_attributes_after_signing changes bytes that still parse.
constexpr char kOidPrivateAttribute[] = "1.3.6.1.4.1.99999.1";

}  // namespace

std::string BuildSignedData(const SignedDataSpec& spec) {
  SignedDataOptions o;
  o.content = spec.content;
  o.key = spec.key;
  o.signer_cert = spec.signer_cert;
  o.certificates = spec.certificates;
  o.digest = spec.md;
  // The spec names every OID itself (the quirk is its default digest_oid).
  o.azure_digest_oid = false;
  o.signed_attributes = spec.signed_attributes;
  if (spec.signed_attributes) {
    if (spec.signing_time) {
      o.extra_signed_attributes.push_back(
          dw::Seq({dw::Oid(kOidSigningTime), dw::Set({dw::UtcTime(*spec.signing_time)})}));
    }
    o.extra_signed_attributes.push_back(
        dw::Seq({dw::Oid(kOidPrivateAttribute), dw::Set({dw::OctetString("enlist")})}));
  }
  o.embedded_content = spec.embedded_content;
  SignedDataTampering& t = o.tampering;
  t.content_type = spec.content_info_type;
  t.econtent_type = spec.econtent_type;
  t.digest_algorithm = spec.digest_oid;
  t.signature_algorithm = spec.signature_oid;
  t.signed_data_version = spec.signed_data_version;
  t.signer_info_version = spec.signer_info_version;
  t.signer_info_count = spec.signer_info_count;
  t.content_type_attribute = spec.attr_content_type;
  t.message_digest_attribute = spec.attr_message_digest;
  t.corrupt_signature = spec.corrupt_signature;
  t.corrupt_signed_attributes = spec.corrupt_attributes_after_signing;
  absl::StatusOr<std::string> der = SignSignedData(o);
  if (!der.ok()) {
    std::fprintf(stderr, "signed_data_builder: %s\n", der.status().ToString().c_str());
    std::abort();
  }
  return *std::move(der);
}

}  // namespace enlist::crypto::testing
