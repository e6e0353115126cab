#include "tools/azure_emulator/pki.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/ca/x509_issuer.h"
#include "core/jwt/signer.h"
#include "core/util/status_macros.h"

namespace enlist::azure_emulator {
namespace {

absl::StatusOr<std::string> Der(const X509* cert) {
  uint8_t* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0) return absl::InternalError("pki: encoding certificate failed");
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

ca::CertProfile Profile(std::string cn, bool is_ca, absl::Time now) {
  ca::CertProfile p;
  p.common_name = std::move(cn);
  p.is_ca = is_ca;
  p.not_before = now - absl::Hours(24);
  p.not_after = now + absl::Hours(24 * 365);
  return p;
}

}  // namespace

absl::StatusOr<Pki> Pki::Create(absl::string_view base_url, absl::string_view region,
                                absl::Time now) {
  Pki p;
  const std::string pkiops = absl::StrCat(base_url, "/pkiops/certs/");
  const std::string leaf_name = absl::StrCat(region, ".metadata.azure.com");
  for (crypto::EvpPkeyPtr* k : {&p.root_key_, &p.issuing_key_, &p.untrusted_root_key_,
                                &p.untrusted_issuing_key_, &p.good_.key, &p.foreign_.key,
                                &p.untrusted_.key}) {
    ENLIST_ASSIGN_OR_RETURN(*k, jwt::GenerateRsaKey(2048));
  }
  // Trusted: root -> issuing CA -> <region>.metadata.azure.com (+ foreign).
  ENLIST_ASSIGN_OR_RETURN(
      p.root_, ca::IssueCertificate(Profile("Enlist Emulated Azure Root CA 2026", true, now),
                                    *p.root_key_, nullptr, *p.root_key_));
  ENLIST_ASSIGN_OR_RETURN(
      p.issuing_,
      ca::IssueCertificate(Profile("Enlist Emulated Azure RSA TLS Issuing CA 01", true, now),
                           *p.issuing_key_, p.root_.get(), *p.root_key_));
  ca::CertProfile leaf = Profile(leaf_name, false, now);
  leaf.dns_names = {leaf_name};
  leaf.server_auth = true;
  leaf.ca_issuer_urls = {absl::StrCat(pkiops, kIssuingCaFile)};
  ENLIST_ASSIGN_OR_RETURN(p.good_.cert, ca::IssueCertificate(leaf, *p.good_.key, p.issuing_.get(),
                                                            *p.issuing_key_));
  ca::CertProfile foreign = leaf;
  foreign.common_name = "www.example.com";
  foreign.dns_names = {"www.example.com"};
  ENLIST_ASSIGN_OR_RETURN(p.foreign_.cert, ca::IssueCertificate(foreign, *p.foreign_.key,
                                                               p.issuing_.get(), *p.issuing_key_));
  // Untrusted: another root with the right leaf name.
  ENLIST_ASSIGN_OR_RETURN(
      p.untrusted_root_,
      ca::IssueCertificate(Profile("Enlist Emulated Untrusted Root", true, now),
                           *p.untrusted_root_key_, nullptr, *p.untrusted_root_key_));
  ENLIST_ASSIGN_OR_RETURN(
      p.untrusted_issuing_,
      ca::IssueCertificate(Profile("Enlist Emulated Untrusted Issuing CA", true, now),
                           *p.untrusted_issuing_key_, p.untrusted_root_.get(),
                           *p.untrusted_root_key_));
  ca::CertProfile untrusted = leaf;
  untrusted.ca_issuer_urls = {absl::StrCat(pkiops, kUntrustedCaFile)};
  ENLIST_ASSIGN_OR_RETURN(
      p.untrusted_.cert, ca::IssueCertificate(untrusted, *p.untrusted_.key,
                                              p.untrusted_issuing_.get(), *p.untrusted_issuing_key_));
  p.good_.intermediate = p.issuing_.get();
  p.foreign_.intermediate = p.issuing_.get();
  p.untrusted_.intermediate = p.untrusted_issuing_.get();
  ENLIST_ASSIGN_OR_RETURN(p.root_pem_, ca::CertificatePem(*p.root_));
  ENLIST_ASSIGN_OR_RETURN(p.issuing_der_, Der(p.issuing_.get()));
  ENLIST_ASSIGN_OR_RETURN(p.untrusted_issuing_der_, Der(p.untrusted_issuing_.get()));
  return p;
}

std::string Pki::PkiopsFile(absl::string_view name) const {
  if (name == kIssuingCaFile) return issuing_der_;
  if (name == kUntrustedCaFile) return untrusted_issuing_der_;
  return "";
}

}  // namespace enlist::azure_emulator
