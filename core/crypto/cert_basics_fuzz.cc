// Fuzz target: ReadCertificateBasics on the whole input and on each of its
// top-level elements (the seeds are concatenated chains). It must never
// crash, hang or read out of bounds, the key it returns must lie inside the
// certificate, and when libcrypto parses the same bytes the two must agree
// on the validity: agent/identity.cc takes either answer.
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/crypto/cert.h"
#include "core/der/der.h"

namespace ec = ::enlist::crypto;

namespace {

void Check(absl::string_view der) {
  absl::StatusOr<ec::CertificateBasics> basics = ec::ReadCertificateBasics(der);
  if (!basics.ok()) return;
  const absl::string_view spki = basics->subject_public_key_info;
  if (spki.empty() || spki.data() < der.data() ||
      spki.data() + spki.size() > der.data() + der.size()) {
    abort();
  }
  absl::StatusOr<ec::X509Ptr> cert = ec::ParseCertificateDer(der);
  if (!cert.ok()) return;
  absl::StatusOr<absl::Time> not_before = ec::Asn1TimeToTime(X509_get0_notBefore(cert->get()));
  absl::StatusOr<absl::Time> not_after = ec::Asn1TimeToTime(X509_get0_notAfter(cert->get()));
  if (!not_before.ok() || !not_after.ok() || *not_before != basics->not_before ||
      *not_after != basics->not_after) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in);
  enlist::der::Limits limits;
  limits.max_input_size = 1 << 20;
  absl::StatusOr<enlist::der::Reader> r = enlist::der::Reader::Create(in, limits);
  if (!r.ok()) return 0;
  while (!r->empty()) {
    absl::StatusOr<enlist::der::Element> e = r->ReadAny();
    if (!e.ok()) break;
    Check(e->tlv);
  }
  return 0;
}
