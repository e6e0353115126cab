#include "core/crypto/cert.h"

#include <dirent.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/testing/azure_fixtures.h"
#include "core/crypto/testing/test_pki.h"
#include "core/der/der.h"
#include "core/der/testing/der_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::enlist::crypto::testing::CertDer;
using ::enlist::crypto::testing::CertPem;
using ::enlist::crypto::testing::CertSpec;
using ::enlist::crypto::testing::IssueCert;
using ::enlist::crypto::testing::MakeTestPki;
using ::enlist::crypto::testing::TestPki;
namespace dw = ::enlist::der::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TestPki& Pki() {
  static const TestPki* pki = new TestPki(MakeTestPki(/*ec=*/true));
  return *pki;
}

TEST(CertTest, DerRoundTripAndDescribe) {
  const std::string der = CertDer(Pki().leaf.get());
  absl::StatusOr<X509Ptr> cert = ParseCertificateDer(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(*CertificateDer(**cert), der);
  absl::StatusOr<CertificateInfo> info = DescribeCertificate(**cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->subject, "CN=metadata.azure.com");
  EXPECT_EQ(info->issuer, "CN=Enlist Test Intermediate,O=Enlist Test");
  EXPECT_EQ(info->not_before, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(info->not_after, absl::FromUnixSeconds(1900000000));
  EXPECT_EQ(info->sha256_hex, Sha256Hex(der));
}

TEST(CertTest, NamesAndAia) {
  EXPECT_THAT(DnsNames(*Pki().leaf),
              ElementsAre("eastus.metadata.azure.com", "metadata.azure.com"));
  EXPECT_EQ(CommonName(*Pki().leaf), "metadata.azure.com");
  EXPECT_THAT(CaIssuerUrls(*Pki().leaf),
              ElementsAre("http://www.microsoft.com/pkiops/certs/intermediate.crt",
                          "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt"));
  EXPECT_TRUE(CaIssuerUrls(*Pki().root).empty());
  EXPECT_TRUE(DnsNames(*Pki().root).empty());
}

TEST(CertTest, ConcatenatedDer) {
  const std::string both = CertDer(Pki().intermediate.get()) + CertDer(Pki().root.get());
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesDer(both);
  ASSERT_TRUE(certs.ok()) << certs.status();
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ(X509_cmp((*certs)[1].get(), Pki().root.get()), 0);
  absl::StatusOr<std::vector<X509Ptr>> none = ParseCertificatesDer("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(CertTest, Pem) {
  const std::string pem =
      "junk before\n" + CertPem(Pki().root.get()) + "between\n" + CertPem(Pki().leaf.get());
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesPem(pem);
  ASSERT_TRUE(certs.ok()) << certs.status();
  EXPECT_EQ(certs->size(), 2u);
}

struct RejectCase {
  const char* name;
  std::function<absl::Status()> run;
  const char* message;
};

class CertRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(CertRejectTest, Rejects) {
  absl::Status st = GetParam().run();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().message));
}

std::string LeafDer() { return CertDer(Pki().leaf.get()); }

INSTANTIATE_TEST_SUITE_P(
    Table, CertRejectTest,
    ::testing::Values(
        RejectCase{"garbage", [] { return ParseCertificateDer("garbage").status(); },
                   "x509: certificate: unparsable der"},
        RejectCase{"truncated",
                   [] { return ParseCertificateDer(LeafDer().substr(0, 100)).status(); },
                   "unparsable der"},
        RejectCase{"trailing", [] { return ParseCertificateDer(LeafDer() + "x").status(); },
                   "trailing data after der"},
        RejectCase{"concat_truncated",
                   [] {
                     const std::string d = LeafDer() + LeafDer();
                     return ParseCertificatesDer(d.substr(0, d.size() - 1)).status();
                   },
                   "certificates: certificate 1: der: "},
        RejectCase{
            "concat_not_sequence",
            [] {
              return ParseCertificatesDer(LeafDer() + std::string("\x02\x01\x00", 3)).status();
            },
            "certificate 1: der: expected tag 0x30"},
        RejectCase{"concat_too_many",
                   [] { return ParseCertificatesDer(LeafDer() + LeafDer(), 1).status(); },
                   "certificates: more than 1"},
        RejectCase{"pem_none", [] { return ParseCertificatesPem("hello").status(); },
                   "pem: no certificate found"},
        RejectCase{"pem_bad_base64",
                   [] {
                     return ParseCertificatesPem(
                                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
                         .status();
                   },
                   "pem: certificate 0: malformed block"},
        RejectCase{"pem_too_many",
                   [] {
                     const std::string p = CertPem(Pki().root.get());
                     return ParseCertificatesPem(p + p, 1).status();
                   },
                   "pem: more than 1 certificates"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// libcrypto's view of a certificate, to hold ReadCertificateBasics against.
struct Decoded {
  std::string spki;
  absl::Time not_before;
  absl::Time not_after;
};

Decoded Decode(const X509& cert) {
  Decoded d;
  unsigned char* buf = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(&cert), &buf);
  EXPECT_GT(len, 0);
  if (len > 0) d.spki.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  d.not_before = *Asn1TimeToTime(X509_get0_notBefore(&cert));
  d.not_after = *Asn1TimeToTime(X509_get0_notAfter(&cert));
  return d;
}

void ExpectBasicsMatchLibcrypto(const X509& cert, const std::string& name) {
  const std::string der = *CertificateDer(cert);
  absl::StatusOr<CertificateBasics> b = ReadCertificateBasics(der);
  ASSERT_TRUE(b.ok()) << name << ": " << b.status();
  const Decoded d = Decode(cert);
  EXPECT_EQ(b->subject_public_key_info, d.spki) << name;
  EXPECT_EQ(b->not_before, d.not_before) << name;
  EXPECT_EQ(b->not_after, d.not_after) << name;
  uint8_t* subject = nullptr;
  const int subject_len = i2d_X509_NAME(X509_get_subject_name(&cert), &subject);
  ASSERT_GT(subject_len, 0) << name;
  EXPECT_EQ(b->subject, std::string(reinterpret_cast<char*>(subject), subject_len)) << name;
  OPENSSL_free(subject);
  // A view into the input, not a copy.
  EXPECT_GE(b->subject_public_key_info.data(), der.data()) << name;
  EXPECT_LE(b->subject_public_key_info.data() + b->subject_public_key_info.size(),
            der.data() + der.size())
      << name;
}

TEST(CertificateBasicsTest, TestPkiCertificates) {
  const TestPki& ec = Pki();
  const TestPki rsa = MakeTestPki(/*ec=*/false);
  for (const TestPki* pki : {&ec, &rsa}) {
    ExpectBasicsMatchLibcrypto(*pki->root, "root");
    ExpectBasicsMatchLibcrypto(*pki->intermediate, "intermediate");
    ExpectBasicsMatchLibcrypto(*pki->leaf, "leaf");
  }
  // The basics point into the DER they were read from: keep it alive.
  const std::string leaf_der = LeafDer();
  absl::StatusOr<CertificateBasics> b = ReadCertificateBasics(leaf_der);
  ASSERT_TRUE(b.ok()) << b.status();
  unsigned char* buf = nullptr;
  const int len = i2d_PUBKEY(Pki().leaf_key.get(), &buf);
  ASSERT_GT(len, 0);
  EXPECT_EQ(b->subject_public_key_info,
            std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(len)));
  OPENSSL_free(buf);
  EXPECT_EQ(b->not_before, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(b->not_after, absl::FromUnixSeconds(1900000000));
}

// Real CA certificates (testdata/azure-real/SOURCES.md): RSA and EC keys,
// v3 extensions as public CAs write them.
TEST(CertificateBasicsTest, RealCertificatesMatchLibcrypto) {
  const std::string dir = absl::StrCat(testing::kAzureRealDir, "/certs");
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir;
  int checked = 0;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() < 4 || name.substr(name.size() - 4) != ".pem") continue;
    absl::StatusOr<std::string> pem = testing::ReadFileBytes(absl::StrCat(dir, "/", name));
    ASSERT_TRUE(pem.ok()) << name;
    absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesPem(*pem);
    ASSERT_TRUE(certs.ok()) << name << ": " << certs.status();
    for (const X509Ptr& c : *certs) {
      ExpectBasicsMatchLibcrypto(*c, name);
      ++checked;
    }
  }
  closedir(d);
  EXPECT_GE(checked, 10);
}

// RFC 5280 4.1.2.5: UTCTime through 2049 (YY >= 50 is 19YY), GeneralizedTime
// outside 1950..2049, as ASN1_TIME_set writes them.
TEST(CertificateBasicsTest, UtcTimeAndGeneralizedTime) {
  struct Case {
    const char* name;
    absl::Time not_before, not_after;
    int not_before_type, not_after_type;
  };
  const absl::TimeZone utc = absl::UTCTimeZone();
  const Case kCases[] = {
      {"utc_pivot", absl::FromCivil(absl::CivilSecond(1950, 1, 1, 0, 0, 0), utc),
       absl::FromCivil(absl::CivilSecond(2049, 12, 31, 23, 59, 59), utc), V_ASN1_UTCTIME,
       V_ASN1_UTCTIME},
      {"generalized", absl::FromCivil(absl::CivilSecond(1949, 12, 31, 23, 59, 59), utc),
       absl::FromCivil(absl::CivilSecond(2050, 1, 1, 0, 0, 0), utc), V_ASN1_GENERALIZEDTIME,
       V_ASN1_GENERALIZEDTIME},
      {"mixed", absl::FromUnixSeconds(1700000000),
       absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), utc), V_ASN1_UTCTIME,
       V_ASN1_GENERALIZEDTIME},
  };
  for (const Case& c : kCases) {
    CertSpec spec;
    spec.common_name = "times";
    spec.not_before = c.not_before;
    spec.not_after = c.not_after;
    X509Ptr cert = IssueCert(spec, Pki().leaf_key.get(), nullptr, Pki().leaf_key.get());
    ASSERT_EQ(ASN1_STRING_type(X509_get0_notBefore(cert.get())), c.not_before_type) << c.name;
    ASSERT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert.get())), c.not_after_type) << c.name;
    absl::StatusOr<CertificateBasics> b = ReadCertificateBasics(CertDer(cert.get()));
    ASSERT_TRUE(b.ok()) << c.name << ": " << b.status();
    EXPECT_EQ(b->not_before, c.not_before) << c.name;
    EXPECT_EQ(b->not_after, c.not_after) << c.name;
  }
}

// A certificate assembled from parts, so each case changes exactly one. The
// signature is not a signature: ReadCertificateBasics does not check it.
struct CertParts {
  std::string version = dw::Context(0, {dw::Integer(2)});
  std::string serial = dw::Integer(7);
  std::string signature = dw::Seq({dw::Oid("1.2.840.10045.4.3.2")});
  std::string issuer = Name("issuer");
  std::string validity = dw::Seq(
      {dw::Tlv(der::kUtcTime, "231114221320Z"), dw::Tlv(der::kGeneralizedTime, "20510101000000Z")});
  std::string subject = Name("subject");
  std::string spki =
      dw::Seq({dw::Seq({dw::Oid("1.2.840.10045.2.1"), dw::Oid("1.2.840.10045.3.1.7")}),
               dw::Tlv(der::kBitString, std::string("\x00\x04pointbytes", 12))});
  std::string after_spki = dw::Context(3, {dw::Seq({})});
  std::string signature_algorithm = dw::Seq({dw::Oid("1.2.840.10045.4.3.2")});
  std::string signature_value = dw::Tlv(der::kBitString, std::string("\x00sig", 4));
  std::string after_certificate;

  static std::string Name(const std::string& cn) {
    return dw::Seq({dw::Set({dw::Seq({dw::Oid("2.5.4.3"), dw::Tlv(der::kUtf8String, cn)})})});
  }
  std::string Der() const {
    return dw::Seq(
               {dw::Seq({version, serial, signature, issuer, validity, subject, spki, after_spki}),
                signature_algorithm, signature_value}) +
           after_certificate;
  }
};

TEST(CertificateBasicsTest, AssembledCertificates) {
  const absl::Time not_before = absl::FromUnixSeconds(1700000000);
  const absl::Time not_after =
      absl::FromCivil(absl::CivilSecond(2051, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  struct Case {
    const char* name;
    void (*change)(CertParts*);
  };
  const Case kCases[] = {
      {"v3", [](CertParts*) {}},
      // v1: no version, no extensions (RFC 5280 4.1.2.1).
      {"v1",
       [](CertParts* p) {
         p->version.clear();
         p->after_spki.clear();
       }},
      {"explicit_v1", [](CertParts* p) { p->version = dw::Context(0, {dw::Integer(0)}); }},
      {"unique_ids_and_extensions",
       [](CertParts* p) {
         p->version = dw::Context(0, {dw::Integer(1)});
         p->after_spki = dw::Tlv(der::ContextTag(1, false), std::string("\x00\x01", 2)) +
                         dw::Tlv(der::ContextTag(2, false), std::string("\x00\x02", 2)) +
                         dw::Context(3, {dw::Seq({})});
       }},
      // Serials in the wild are not always minimal INTEGERs.
      {"non_minimal_serial",
       [](CertParts* p) { p->serial = dw::IntegerBytes(std::string("\x00\x01", 2)); }},
  };
  for (const Case& c : kCases) {
    CertParts parts;
    c.change(&parts);
    const std::string der = parts.Der();
    absl::StatusOr<CertificateBasics> b = ReadCertificateBasics(der);
    ASSERT_TRUE(b.ok()) << c.name << ": " << b.status();
    EXPECT_EQ(b->subject_public_key_info, parts.spki) << c.name;
    EXPECT_EQ(b->not_before, not_before) << c.name;
    EXPECT_EQ(b->not_after, not_after) << c.name;
  }
}

struct BasicsRejectCase {
  const char* name;
  std::function<std::string()> der;
  const char* message;
};

class CertificateBasicsRejectTest : public ::testing::TestWithParam<BasicsRejectCase> {};

TEST_P(CertificateBasicsRejectTest, Rejects) {
  absl::StatusOr<CertificateBasics> b = ReadCertificateBasics(GetParam().der());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << b.status();
  EXPECT_THAT(std::string(b.status().message()), HasSubstr(GetParam().message));
}

// Returns CertParts().Der() after `change`.
std::string With(void (*change)(CertParts*)) {
  CertParts p;
  change(&p);
  return p.Der();
}

INSTANTIATE_TEST_SUITE_P(
    Table, CertificateBasicsRejectTest,
    ::testing::Values(
        BasicsRejectCase{"empty", [] { return std::string(); },
                         "x509: certificate: der: expected tag 0x30: unexpected end of data"},
        BasicsRejectCase{"truncated", [] { return LeafDer().substr(0, 100); },
                         "x509: certificate: der: tag 0x30: length"},
        BasicsRejectCase{"trailing", [] { return LeafDer() + "x"; },
                         "x509: certificate: trailing data after der"},
        BasicsRejectCase{"oversize",
                         [] {
                           return With([](CertParts* p) {
                             p->after_spki = dw::Context(
                                 3, {dw::Seq({dw::OctetString(std::string(65536, 'x'))})});
                           });
                         },
                         "x509: certificate: der: input of 65"},
        BasicsRejectCase{"not_a_sequence",
                         [] {
                           return dw::Set({dw::Seq({}), dw::Seq({}), dw::Seq({})});
                         },
                         "x509: certificate: der: expected tag 0x30, got 0x31"},
        BasicsRejectCase{"tbs_not_a_sequence",
                         [] {
                           return dw::Seq({dw::OctetString("tbs"), dw::Seq({}),
                                           dw::Tlv(der::kBitString, std::string(1, '\0'))});
                         },
                         "x509: certificate: tbs certificate: der: expected tag 0x30, got 0x04"},
        BasicsRejectCase{"unknown_version",
                         [] {
                           return With(
                               [](CertParts* p) { p->version = dw::Context(0, {dw::Integer(3)}); });
                         },
                         "x509: certificate: version: unknown version 3"},
        BasicsRejectCase{"version_not_integer",
                         [] {
                           return With([](CertParts* p) {
                             p->version = dw::Context(0, {dw::OctetString("2")});
                           });
                         },
                         "x509: certificate: version: der: "},
        BasicsRejectCase{"version_trailing",
                         [] {
                           return With([](CertParts* p) {
                             p->version = dw::Context(0, {dw::Integer(2), dw::Integer(2)});
                           });
                         },
                         "x509: certificate: der: version: trailing data"},
        BasicsRejectCase{
            "serial_not_integer",
            [] { return With([](CertParts* p) { p->serial = dw::OctetString("7"); }); },
            "x509: certificate: serial number: der: expected tag 0x02, got 0x04"},
        BasicsRejectCase{"issuer_not_a_sequence",
                         [] { return With([](CertParts* p) { p->issuer = dw::Set({}); }); },
                         "x509: certificate: issuer: der: expected tag 0x30, got 0x31"},
        BasicsRejectCase{"time_wrong_tag",
                         [] {
                           return With([](CertParts* p) {
                             p->validity = dw::Seq({dw::OctetString("231114221320Z"),
                                                    dw::Tlv(der::kUtcTime, "231114221320Z")});
                           });
                         },
                         "x509: certificate: validity: not before: der: time: expected utctime "
                         "or generalizedtime, got 0x04"},
        BasicsRejectCase{"utctime_without_seconds",
                         [] {
                           return With([](CertParts* p) {
                             p->validity = dw::Seq({dw::Tlv(der::kUtcTime, "231114221320Z"),
                                                    dw::Tlv(der::kUtcTime, "3001010000Z")});
                           });
                         },
                         "x509: certificate: validity: not after: der: time: utctime must be "
                         "yymmddhhmmssz"},
        BasicsRejectCase{"utctime_with_offset",
                         [] {
                           return With([](CertParts* p) {
                             p->validity = dw::Seq({dw::Tlv(der::kUtcTime, "231114221320+0100"),
                                                    dw::Tlv(der::kUtcTime, "300101000000Z")});
                           });
                         },
                         "x509: certificate: validity: not before: der: time: utctime must be "
                         "yymmddhhmmssz"},
        BasicsRejectCase{"generalizedtime_with_fraction",
                         [] {
                           return With([](CertParts* p) {
                             p->validity =
                                 dw::Seq({dw::Tlv(der::kUtcTime, "231114221320Z"),
                                          dw::Tlv(der::kGeneralizedTime, "20510101000000.5Z")});
                           });
                         },
                         "x509: certificate: validity: not after: der: time: generalizedtime "
                         "must be yyyymmddhhmmssz"},
        BasicsRejectCase{"time_out_of_range",
                         [] {
                           return With([](CertParts* p) {
                             p->validity = dw::Seq({dw::Tlv(der::kUtcTime, "230230000000Z"),
                                                    dw::Tlv(der::kUtcTime, "300101000000Z")});
                           });
                         },
                         "x509: certificate: validity: not before: der: time: field out of range"},
        BasicsRejectCase{"validity_three_times",
                         [] {
                           return With([](CertParts* p) {
                             p->validity = dw::Seq({dw::Tlv(der::kUtcTime, "231114221320Z"),
                                                    dw::Tlv(der::kUtcTime, "300101000000Z"),
                                                    dw::Tlv(der::kUtcTime, "300101000000Z")});
                           });
                         },
                         "x509: certificate: der: validity: trailing data"},
        BasicsRejectCase{
            "spki_not_a_sequence",
            [] { return With([](CertParts* p) { p->spki = dw::OctetString("key"); }); },
            "x509: certificate: subject public key info: der: expected tag 0x30, got 0x04"},
        BasicsRejectCase{"spki_without_key",
                         [] {
                           return With([](CertParts* p) {
                             p->spki = dw::Seq({dw::Seq({dw::Oid("1.3.101.112")})});
                           });
                         },
                         "x509: certificate: subject public key info: key: der: expected tag "
                         "0x03: unexpected end of data"},
        BasicsRejectCase{"spki_trailing",
                         [] {
                           return With([](CertParts* p) {
                             p->spki = dw::Seq({dw::Seq({dw::Oid("1.3.101.112")}),
                                                dw::Tlv(der::kBitString, std::string(1, '\0')),
                                                dw::Null()});
                           });
                         },
                         "x509: certificate: der: subject public key info: trailing data"},
        BasicsRejectCase{"no_subject",
                         [] {
                           return dw::Seq({dw::Seq({dw::Integer(7), CertParts().signature,
                                                    CertParts().issuer, CertParts().validity}),
                                           CertParts().signature_algorithm,
                                           CertParts().signature_value});
                         },
                         "x509: certificate: subject: der: expected tag 0x30: unexpected end"},
        // RFC 5280 4.1: the unique IDs come before the extensions.
        BasicsRejectCase{"extensions_out_of_order",
                         [] {
                           return With([](CertParts* p) {
                             p->after_spki =
                                 dw::Context(3, {dw::Seq({})}) +
                                 dw::Tlv(der::ContextTag(1, false), std::string("\x00\x01", 2));
                           });
                         },
                         "x509: certificate: der: tbs certificate: trailing data"},
        BasicsRejectCase{
            "no_signature_value",
            [] { return With([](CertParts* p) { p->signature_value.clear(); }); },
            "x509: certificate: signature value: der: expected tag 0x03: unexpected end of data"},
        BasicsRejectCase{
            "element_after_signature",
            [] { return With([](CertParts* p) { p->signature_value += dw::Null(); }); },
            "x509: certificate: der: certificate: trailing data"},
        BasicsRejectCase{"indefinite_length",
                         [] {
                           std::string d = CertParts().Der();
                           d[1] = '\x80';
                           return d;
                         },
                         "x509: certificate: der: tag 0x30: indefinite length not allowed"}),
    [](const ::testing::TestParamInfo<BasicsRejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::crypto
