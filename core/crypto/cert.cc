#include "core/crypto/cert.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/der/der.h"
#include "core/util/status_macros.h"

namespace enlist::crypto {
namespace {

using internal::Mut;

absl::Status Malformed(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("x509: ", msg));
}

std::string NameToString(const X509_NAME* name) {
  if (name == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return "";
  if (X509_NAME_print_ex(bio.get(), const_cast<X509_NAME*>(name), 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return "";
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return "";
  return std::string(data, static_cast<size_t>(len));
}

std::string Asn1StringUtf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  const int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) {
    ERR_clear_error();
    return "";
  }
  std::string r(reinterpret_cast<const char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return r;
}

std::string Ia5(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

}  // namespace

namespace {

// Parsed certificates by their exact DER. OpenSSL 3's d2i_X509 decodes the
// public key through its provider decoder chain (OSSL_DECODER_CTX_new_for_pkey),
// which costs more than an RSA signature check; the same certificates (IMDS
// leaves, Azure intermediates, cluster CAs) come back join after join.
// Bounded: cleared when full. X509 objects are reference counted and
// callers only read them.
class CertificateCache {
 public:
  static CertificateCache& Get() {
    static CertificateCache* cache = new CertificateCache();
    return *cache;
  }
  X509Ptr Find(absl::string_view der) {
    absl::MutexLock l(&mu_);
    auto it = certs_.find(der);
    if (it == certs_.end()) return nullptr;
    X509_up_ref(it->second.get());
    return X509Ptr(it->second.get());
  }
  void Add(absl::string_view der, X509* cert) {
    absl::MutexLock l(&mu_);
    if (certs_.size() >= kMaxEntries) certs_.clear();
    X509_up_ref(cert);
    certs_.emplace(std::string(der), X509Ptr(cert));
  }

 private:
  static constexpr size_t kMaxEntries = 256;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, X509Ptr> certs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<X509Ptr> ParseCertificateDer(absl::string_view der) {
  if (X509Ptr cached = CertificateCache::Get().Find(der)) return cached;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr) {
    ERR_clear_error();
    return Malformed("certificate: unparsable der");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Malformed("certificate: trailing data after der");
  }
  CertificateCache::Get().Add(der, cert.get());
  return cert;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificatesDer(absl::string_view concatenated,
                                                          size_t max_certificates) {
  std::vector<X509Ptr> out;
  der::Limits limits;
  limits.max_input_size = concatenated.size();
  absl::StatusOr<der::Reader> r = der::Reader::Create(concatenated, limits);
  if (!r.ok()) return Malformed(absl::StrCat("certificates: ", r.status().message()));
  while (!r->empty()) {
    if (out.size() >= max_certificates) {
      return Malformed(absl::StrCat("certificates: more than ", max_certificates));
    }
    // Split on the outer TLV (a Certificate is a SEQUENCE, RFC 5280 4.1).
    absl::StatusOr<der::Element> e = r->ReadElement(der::kSequence);
    if (!e.ok()) {
      return Malformed(
          absl::StrCat("certificates: certificate ", out.size(), ": ", e.status().message()));
    }
    absl::StatusOr<X509Ptr> cert = ParseCertificateDer(e->tlv);
    if (!cert.ok()) {
      return Malformed(absl::StrCat("certificates: certificate ", out.size(), ": unparsable der"));
    }
    out.push_back(*std::move(cert));
  }
  return out;
}

namespace {

// Prefixes an error of the DER layer with "x509: certificate: <field>: "
// (no field for the certificate's own framing).
absl::Status InCertificate(absl::string_view field, const absl::Status& s) {
  if (s.ok()) return s;
  if (field.empty()) return Malformed(absl::StrCat("certificate: ", s.message()));
  return Malformed(absl::StrCat("certificate: ", field, ": ", s.message()));
}

template <typename T>
absl::StatusOr<T> InCertificate(absl::string_view field, absl::StatusOr<T> v) {
  if (!v.ok()) return InCertificate(field, v.status());
  return v;
}

}  // namespace

absl::StatusOr<CertificateBasics> ReadCertificateBasics(absl::string_view cert_der) {
  using der::ContextTag;
  using der::Reader;
  der::Limits limits;
  limits.max_input_size = kMaxCertificateBasicsDer;
  ENLIST_ASSIGN_OR_RETURN(Reader top, InCertificate("", Reader::Create(cert_der, limits)));
  // RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
  // signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }.
  ENLIST_ASSIGN_OR_RETURN(Reader cert, InCertificate("", top.ReadConstructed(der::kSequence)));
  if (!top.empty()) return Malformed("certificate: trailing data after der");
  ENLIST_ASSIGN_OR_RETURN(Reader tbs,
                          InCertificate("tbs certificate", cert.ReadConstructed(der::kSequence)));
  // RFC 5280 4.1.2.1: version [0] EXPLICIT Version DEFAULT v1, where
  // Version ::= INTEGER { v1(0), v2(1), v3(2) }. An explicit v1, which DER
  // would leave out, is accepted as libcrypto accepts it.
  ENLIST_ASSIGN_OR_RETURN(
      std::optional<Reader> version,
      InCertificate("version", tbs.ReadOptionalConstructed(ContextTag(0, /*constructed=*/true))));
  if (version.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(int64_t v,
                            InCertificate("version", version->ReadSmallNonNegativeInteger()));
    ENLIST_RETURN_IF_ERROR(InCertificate("", version->ExpectEnd("version")));
    if (v > 2) return Malformed(absl::StrCat("certificate: version: unknown version ", v));
  }
  // RFC 5280 4.1.2.2: serialNumber CertificateSerialNumber (INTEGER). Taken
  // as raw contents: non-minimal serials exist in the wild.
  ENLIST_RETURN_IF_ERROR(InCertificate("serial number", tbs.ReadElement(der::kInteger)).status());
  // RFC 5280 4.1.2.3, 4.1.2.4: signature AlgorithmIdentifier, issuer Name
  // (an RDNSequence: a SEQUENCE).
  ENLIST_RETURN_IF_ERROR(InCertificate("signature", tbs.ReadElement(der::kSequence)).status());
  ENLIST_RETURN_IF_ERROR(InCertificate("issuer", tbs.ReadElement(der::kSequence)).status());
  // RFC 5280 4.1.2.5: Validity ::= SEQUENCE { notBefore Time, notAfter Time },
  // Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }, both
  // in the Z form with seconds (ReadTime; UTCTime YY >= 50 is 19YY). The
  // rule that dates before 2050 use UTCTime is not enforced: libcrypto does
  // not enforce it either and the instant is unambiguous.
  CertificateBasics out;
  ENLIST_ASSIGN_OR_RETURN(Reader validity,
                          InCertificate("validity", tbs.ReadConstructed(der::kSequence)));
  ENLIST_ASSIGN_OR_RETURN(out.not_before,
                          InCertificate("validity: not before", validity.ReadTime()));
  ENLIST_ASSIGN_OR_RETURN(out.not_after, InCertificate("validity: not after", validity.ReadTime()));
  ENLIST_RETURN_IF_ERROR(InCertificate("", validity.ExpectEnd("validity")));
  // RFC 5280 4.1.2.6: subject Name.
  ENLIST_ASSIGN_OR_RETURN(der::Element subject,
                          InCertificate("subject", tbs.ReadElement(der::kSequence)));
  out.subject = subject.tlv;
  // RFC 5280 4.1.2.7: SubjectPublicKeyInfo ::= SEQUENCE { algorithm
  // AlgorithmIdentifier, subjectPublicKey BIT STRING }.
  ENLIST_ASSIGN_OR_RETURN(
      Reader spki,
      InCertificate("subject public key info",
                    tbs.ReadConstructed(der::kSequence, &out.subject_public_key_info)));
  ENLIST_RETURN_IF_ERROR(
      InCertificate("subject public key info: algorithm", spki.ReadElement(der::kSequence))
          .status());
  ENLIST_RETURN_IF_ERROR(
      InCertificate("subject public key info: key", spki.ReadElement(der::kBitString)).status());
  ENLIST_RETURN_IF_ERROR(InCertificate("", spki.ExpectEnd("subject public key info")));
  // RFC 5280 4.1.2.8, 4.1.2.9: issuerUniqueID [1] IMPLICIT and
  // subjectUniqueID [2] IMPLICIT UniqueIdentifier (BIT STRING, primitive),
  // extensions [3] EXPLICIT Extensions, each OPTIONAL and in this order.
  ENLIST_RETURN_IF_ERROR(
      InCertificate("issuer unique id", tbs.ReadOptional(ContextTag(1, /*constructed=*/false)))
          .status());
  ENLIST_RETURN_IF_ERROR(
      InCertificate("subject unique id", tbs.ReadOptional(ContextTag(2, /*constructed=*/false)))
          .status());
  ENLIST_RETURN_IF_ERROR(
      InCertificate("extensions", tbs.ReadOptional(ContextTag(3, /*constructed=*/true))).status());
  ENLIST_RETURN_IF_ERROR(InCertificate("", tbs.ExpectEnd("tbs certificate")));
  ENLIST_RETURN_IF_ERROR(
      InCertificate("signature algorithm", cert.ReadElement(der::kSequence)).status());
  ENLIST_RETURN_IF_ERROR(
      InCertificate("signature value", cert.ReadElement(der::kBitString)).status());
  ENLIST_RETURN_IF_ERROR(InCertificate("", cert.ExpectEnd("certificate")));
  return out;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificatesPem(absl::string_view pem,
                                                          size_t max_certificates) {
  if (pem.size() > static_cast<size_t>(INT32_MAX)) return Malformed("pem: input too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("x509: pem: out of memory");
  std::vector<X509Ptr> out;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) {
      const unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      // "no start line" at the end of input is the normal way out.
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) break;
      return Malformed(absl::StrCat("pem: certificate ", out.size(), ": malformed block"));
    }
    if (out.size() >= max_certificates) {
      return Malformed(absl::StrCat("pem: more than ", max_certificates, " certificates"));
    }
    out.push_back(std::move(cert));
  }
  if (out.empty()) return Malformed("pem: no certificate found");
  return out;
}

absl::StatusOr<std::string> CertificateDer(const X509& cert) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(Mut(cert), &buf);
  if (len <= 0 || buf == nullptr) {
    ERR_clear_error();
    return absl::InternalError("x509: cannot encode certificate");
  }
  std::string out(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

absl::StatusOr<Sha256Digest> CertificateFingerprint(const X509& cert) {
  absl::StatusOr<std::string> der = CertificateDer(cert);
  if (!der.ok()) return der.status();
  return Sha256(*der);
}

absl::StatusOr<absl::Time> Asn1TimeToTime(const ASN1_TIME* t) {
  if (t == nullptr) return Malformed("time: missing");
  // ASN1_TIME_diff is the conversion both libraries share (ASN1_TIME_to_tm
  // and ASN1_TIME_to_posix are not common to both).
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  if (epoch == nullptr) return absl::InternalError("x509: time: out of memory");
  int days = 0;
  int secs = 0;
  const int ok = ASN1_TIME_diff(&days, &secs, epoch, t);
  ASN1_TIME_free(epoch);
  if (ok != 1) {
    ERR_clear_error();
    return Malformed("time: malformed");
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(days) * 86400 + secs);
}

absl::StatusOr<CertificateInfo> DescribeCertificate(const X509& cert) {
  CertificateInfo info;
  info.subject = NameToString(X509_get_subject_name(&cert));
  info.issuer = NameToString(X509_get_issuer_name(&cert));
  absl::StatusOr<absl::Time> nb = Asn1TimeToTime(X509_get0_notBefore(&cert));
  if (!nb.ok()) return nb.status();
  absl::StatusOr<absl::Time> na = Asn1TimeToTime(X509_get0_notAfter(&cert));
  if (!na.ok()) return na.status();
  info.not_before = *nb;
  info.not_after = *na;
  absl::StatusOr<Sha256Digest> fp = CertificateFingerprint(cert);
  if (!fp.ok()) return fp.status();
  info.sha256_hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(fp->data()), fp->size()));
  return info;
}

namespace {
// The IA5String SAN entries of `type` (GEN_DNS, GEN_URI), in order.
std::vector<std::string> SanStrings(const X509& cert, int type) {
  std::vector<std::string> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
  ERR_clear_error();
  if (names == nullptr) return out;
  for (size_t i = 0; i < static_cast<size_t>(sk_GENERAL_NAME_num(names.get())); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == type) out.push_back(Ia5(type == GEN_DNS ? gn->d.dNSName : gn->d.uniformResourceIdentifier));
  }
  return out;
}
}  // namespace

std::vector<std::string> DnsNames(const X509& cert) { return SanStrings(cert, GEN_DNS); }

std::vector<std::string> UriNames(const X509& cert) { return SanStrings(cert, GEN_URI); }

std::optional<std::string> CommonName(const X509& cert) {
  const X509_NAME* name = X509_get_subject_name(&cert);
  if (name == nullptr) return std::nullopt;
  int last = -1;
  for (int i = X509_NAME_get_index_by_NID(const_cast<X509_NAME*>(name), NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(const_cast<X509_NAME*>(name), NID_commonName, i)) {
    last = i;
  }
  if (last < 0) return std::nullopt;
  const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, last);
  return Asn1StringUtf8(X509_NAME_ENTRY_get_data(e));
}

std::vector<std::string> CaIssuerUrls(const X509& cert) {
  std::vector<std::string> out;
  AuthorityInfoAccessPtr aia(static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(&cert, NID_info_access, nullptr, nullptr)));
  ERR_clear_error();
  if (aia == nullptr) return out;
  for (size_t i = 0; i < static_cast<size_t>(sk_ACCESS_DESCRIPTION_num(aia.get())); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
    if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location != nullptr &&
        ad->location->type == GEN_URI) {
      out.push_back(Ia5(ad->location->d.uniformResourceIdentifier));
    }
  }
  return out;
}

}  // namespace enlist::crypto
