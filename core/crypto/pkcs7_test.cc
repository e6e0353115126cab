#include "core/crypto/pkcs7.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/crypto/testing/signed_data_builder.h"
#include "core/crypto/testing/test_pki.h"
#include "core/der/der.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::enlist::crypto::testing::BuildSignedData;
using ::enlist::crypto::testing::MakeTestPki;
using ::enlist::crypto::testing::SignedDataSpec;
using ::enlist::crypto::testing::TestPki;
using ::testing::HasSubstr;

namespace t = ::enlist::crypto::testing;

// Key generation is the slow part: one RSA and one EC hierarchy per binary.
const TestPki& Rsa() {
  static const TestPki* pki = new TestPki(MakeTestPki(/*ec=*/false));
  return *pki;
}
const TestPki& Ec() {
  static const TestPki* pki = new TestPki(MakeTestPki(/*ec=*/true));
  return *pki;
}

SignedDataSpec RsaSpec() {
  SignedDataSpec s;
  s.key = Rsa().leaf_key.get();
  s.signer_cert = Rsa().leaf.get();
  s.certificates = {Rsa().leaf.get()};
  return s;
}

SignedDataSpec EcSpec() {
  SignedDataSpec s;
  s.key = Ec().leaf_key.get();
  s.signer_cert = Ec().leaf.get();
  s.certificates = {Ec().intermediate.get(), Ec().leaf.get()};
  s.digest_oid = t::kOidSha256;
  s.signature_oid = t::kOidEcdsaWithSha256;
  return s;
}

bool SameCert(const X509* a, const X509* b) { return X509_cmp(a, b) == 0; }

TEST(Pkcs7Test, RsaWithoutAttributesAzureDigestQuirk) {
  SignedDataSpec spec = RsaSpec();
  const std::string der = BuildSignedData(spec);
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(der);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->content, spec.content);
  EXPECT_TRUE(SameCert(v->signer.get(), Rsa().leaf.get()));
  EXPECT_EQ(v->certificates.size(), 1u);
  EXPECT_EQ(v->digest_algorithm, DigestAlgorithm::kSha256);
  EXPECT_FALSE(v->had_signed_attributes);
  EXPECT_FALSE(v->signing_time.has_value());
}

TEST(Pkcs7Test, ReadUnverifiedReturnsTamperedContentThatVerifyRejects) {
  SignedDataSpec spec = RsaSpec();
  spec.embedded_content = "{\"nonce\":\"tampered\"}";
  const std::string der = BuildSignedData(spec);
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(der);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
  absl::StatusOr<VerifiedSignedData> r = ReadSignedDataUnverified(der);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->content, "{\"nonce\":\"tampered\"}");
  EXPECT_TRUE(SameCert(r->signer.get(), Rsa().leaf.get()));
  // Malformed input is still malformed.
  EXPECT_EQ(ReadSignedDataUnverified(der.substr(0, der.size() - 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Pkcs7Test, RsaWithSignedAttributesAndSigningTime) {
  SignedDataSpec spec = RsaSpec();
  spec.digest_oid = t::kOidSha256;
  spec.signature_oid = t::kOidSha256WithRsa;
  spec.signed_attributes = true;
  spec.signing_time = absl::FromUnixSeconds(1750000000);
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(BuildSignedData(spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->had_signed_attributes);
  ASSERT_TRUE(v->signing_time.has_value());
  EXPECT_EQ(*v->signing_time, absl::FromUnixSeconds(1750000000));
}

TEST(Pkcs7Test, RsaSha512) {
  SignedDataSpec spec = RsaSpec();
  spec.md = EVP_sha512();
  spec.digest_oid = t::kOidSha512;
  spec.signed_attributes = true;
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(BuildSignedData(spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->digest_algorithm, DigestAlgorithm::kSha512);
}

TEST(Pkcs7Test, EcdsaP256FindsSignerByIssuerAndSerialNotPosition) {
  SignedDataSpec spec = EcSpec();
  spec.signed_attributes = true;
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(BuildSignedData(spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->certificates.size(), 2u);
  EXPECT_TRUE(SameCert(v->signer.get(), Ec().leaf.get()));
}

TEST(Pkcs7Test, EcdsaP384WithoutAttributes) {
  EvpPkeyPtr key = t::NewEcKey(/*p384=*/true);
  t::CertSpec cs;
  cs.common_name = "p384.metadata.azure.com";
  cs.serial = 77;
  X509Ptr cert = t::IssueCert(cs, key.get(), Ec().intermediate.get(), Ec().intermediate_key.get());
  SignedDataSpec spec;
  spec.key = key.get();
  spec.signer_cert = cert.get();
  spec.certificates = {cert.get()};
  spec.md = EVP_sha384();
  spec.digest_oid = t::kOidSha384;
  spec.signature_oid = t::kOidEcdsaWithSha384;
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(BuildSignedData(spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->digest_algorithm, DigestAlgorithm::kSha384);
}

struct RejectCase {
  const char* name;
  std::function<void(SignedDataSpec&)> mutate;
  absl::StatusCode code;
  const char* message;
  Pkcs7Options options = Pkcs7Options();
};

class Pkcs7RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(Pkcs7RejectTest, Rejects) {
  const RejectCase& c = GetParam();
  SignedDataSpec spec = RsaSpec();
  c.mutate(spec);
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(BuildSignedData(spec), c.options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), c.code) << v.status();
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.message));
  EXPECT_THAT(std::string(v.status().message()), ::testing::StartsWith("pkcs7: "));
}

Pkcs7Options Tiny(size_t size, int depth) {
  Pkcs7Options o;
  o.max_input_size = size;
  o.max_depth = depth;
  return o;
}

constexpr absl::StatusCode kBad = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kUnauth = absl::StatusCode::kUnauthenticated;

INSTANTIATE_TEST_SUITE_P(
    Table, Pkcs7RejectTest,
    ::testing::Values(
        RejectCase{"wrong_signer_key",
                   [](SignedDataSpec& s) { s.key = Rsa().intermediate_key.get(); }, kUnauth,
                   "pkcs7: signature: verification failed"},
        RejectCase{"wrong_signer_key_with_attributes",
                   [](SignedDataSpec& s) {
                     s.key = Rsa().root_key.get();
                     s.signed_attributes = true;
                   },
                   kUnauth, "signature: verification failed"},
        RejectCase{"tampered_content",
                   [](SignedDataSpec& s) { s.embedded_content = "{\"nonce\":\"evil\"}"; }, kUnauth,
                   "signature: verification failed"},
        RejectCase{"tampered_content_with_attributes",
                   [](SignedDataSpec& s) {
                     s.signed_attributes = true;
                     s.embedded_content = "{\"nonce\":\"evil\"}";
                   },
                   kUnauth, "signed attributes: message digest mismatch"},
        RejectCase{"tampered_attributes",
                   [](SignedDataSpec& s) {
                     s.signed_attributes = true;
                     s.corrupt_attributes_after_signing = true;
                   },
                   kUnauth, "signature: verification failed"},
        RejectCase{"wrong_message_digest",
                   [](SignedDataSpec& s) {
                     s.signed_attributes = true;
                     s.attr_message_digest = std::string(32, 'x');
                   },
                   kUnauth, "signed attributes: message digest mismatch"},
        RejectCase{"wrong_content_type_attribute",
                   [](SignedDataSpec& s) {
                     s.signed_attributes = true;
                     s.attr_content_type = "1.2.840.113549.1.7.2";
                   },
                   kUnauth, "content type 1.2.840.113549.1.7.2 does not match"},
        RejectCase{"corrupt_signature", [](SignedDataSpec& s) { s.corrupt_signature = true; },
                   kUnauth, "signature: verification failed"},
        RejectCase{"signer_not_in_certificates",
                   [](SignedDataSpec& s) { s.certificates = {Rsa().intermediate.get()}; }, kUnauth,
                   "signer info: signer certificate not found in certificates"},
        RejectCase{"no_certificates", [](SignedDataSpec& s) { s.certificates.clear(); }, kUnauth,
                   "signer certificate not found"},
        RejectCase{"same_issuer_other_serial",
                   [](SignedDataSpec& s) { s.signer_cert = Rsa().intermediate.get(); }, kUnauth,
                   "signer certificate not found"},
        RejectCase{"duplicate_signer_cert",
                   [](SignedDataSpec& s) {
                     s.certificates = {Rsa().leaf.get(), Rsa().leaf.get()};
                   },
                   kBad, "signer certificate is ambiguous"},
        RejectCase{"unknown_digest", [](SignedDataSpec& s) { s.digest_oid = "1.2.3.4"; }, kBad,
                   "pkcs7: signer info: unsupported digest algorithm 1.2.3.4"},
        RejectCase{"md5_digest", [](SignedDataSpec& s) { s.digest_oid = "1.2.840.113549.2.5"; },
                   kBad, "unsupported digest algorithm 1.2.840.113549.2.5"},
        RejectCase{"sha1_with_rsa_as_digest",
                   [](SignedDataSpec& s) { s.digest_oid = "1.2.840.113549.1.1.5"; }, kBad,
                   "unsupported digest algorithm 1.2.840.113549.1.1.5"},
        RejectCase{"unknown_signature_alg",
                   [](SignedDataSpec& s) { s.signature_oid = "1.2.840.113549.1.1.5"; }, kBad,
                   "unsupported signature algorithm 1.2.840.113549.1.1.5"},
        RejectCase{"ecdsa_alg_rsa_key",
                   [](SignedDataSpec& s) {
                     s.digest_oid = t::kOidSha256;
                     s.signature_oid = t::kOidEcdsaWithSha256;
                   },
                   kBad, "ecdsa signature algorithm but signer key is not ec"},
        RejectCase{"digest_signature_mismatch",
                   [](SignedDataSpec& s) {
                     s.md = EVP_sha384();
                     s.digest_oid = t::kOidSha384;
                     s.signature_oid = t::kOidSha256WithRsa;
                   },
                   kBad, "does not match digest algorithm sha384"},
        RejectCase{"content_info_not_signed_data",
                   [](SignedDataSpec& s) { s.content_info_type = t::kOidData; }, kBad,
                   "content info: unsupported content type 1.2.840.113549.1.7.1"},
        RejectCase{"econtent_not_data",
                   [](SignedDataSpec& s) { s.econtent_type = "1.2.840.113549.1.9.16.1.4"; }, kBad,
                   "encapsulated content: unsupported content type 1.2.840.113549.1.9.16.1.4"},
        RejectCase{"signed_data_version", [](SignedDataSpec& s) { s.signed_data_version = 2; },
                   kBad, "signed data: unsupported version 2"},
        RejectCase{"signer_info_version", [](SignedDataSpec& s) { s.signer_info_version = 3; },
                   kBad, "signer info: unsupported version 3"},
        RejectCase{"two_signer_infos", [](SignedDataSpec& s) { s.signer_info_count = 2; }, kBad,
                   "exactly one signer info is supported"},
        RejectCase{"no_signer_infos", [](SignedDataSpec& s) { s.signer_info_count = 0; }, kBad,
                   "signer infos: no signer info"},
        RejectCase{"input_too_large", [](SignedDataSpec&) {}, kBad, "input: ", Tiny(100, 16)},
        RejectCase{"too_deep", [](SignedDataSpec&) {}, kBad, "nesting deeper than 3",
                   Tiny(64 * 1024, 3)}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

TEST(Pkcs7Test, InputTooLargeMessage) {
  const std::string der = BuildSignedData(RsaSpec());
  Pkcs7Options o;
  o.max_input_size = 100;
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(der, o);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), kBad);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("exceeds limit of 100"));
}

TEST(Pkcs7Test, TooManyCertificates) {
  SignedDataSpec spec = RsaSpec();
  spec.certificates = {Rsa().root.get(), Rsa().intermediate.get(), Rsa().leaf.get()};
  Pkcs7Options o;
  o.max_certificates = 2;
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(BuildSignedData(spec), o);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), kBad);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("certificates: more than 2"));
}

// Every strict prefix of a valid document is malformed.
TEST(Pkcs7Test, EveryTruncationIsMalformed) {
  for (bool attrs : {false, true}) {
    SignedDataSpec spec = RsaSpec();
    spec.signed_attributes = attrs;
    const std::string der = BuildSignedData(spec);
    for (size_t n = 0; n < der.size(); ++n) {
      absl::StatusOr<VerifiedSignedData> v = VerifySignedData(der.substr(0, n));
      ASSERT_FALSE(v.ok()) << "prefix " << n;
      ASSERT_EQ(v.status().code(), kBad) << "prefix " << n << ": " << v.status();
    }
  }
}

TEST(Pkcs7Test, TrailingDataIsMalformed) {
  const std::string der = BuildSignedData(RsaSpec()) + std::string(1, '\0');
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(der);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), kBad);
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("content info: der: input: trailing data"));
}

// Offsets of the last length octet of every element header, found by
// walking the DER tree (down to, not into, the certificates).
void CollectLengthOffsets(absl::string_view all, absl::string_view region, int depth,
                          std::vector<size_t>* out) {
  absl::StatusOr<der::Reader> r = der::Reader::Create(region);
  ASSERT_TRUE(r.ok());
  while (!r->empty()) {
    absl::StatusOr<der::Element> e = r->ReadAny();
    ASSERT_TRUE(e.ok()) << e.status();
    const size_t start = static_cast<size_t>(e->tlv.data() - all.data());
    const size_t header = e->tlv.size() - e->value.size();
    out->push_back(start + header - 1);
    if ((e->tag & der::kConstructed) != 0 && depth < 6) {
      CollectLengthOffsets(all, e->value, depth + 1, out);
    }
  }
}

// Every length at every level made one larger (overlong: claims bytes its
// parent does not have) or one smaller (leaves a stray byte in the parent).
TEST(Pkcs7Test, EveryLengthOffByOneIsMalformed) {
  for (bool attrs : {false, true}) {
    SignedDataSpec spec = RsaSpec();
    spec.signed_attributes = attrs;
    const std::string der = BuildSignedData(spec);
    std::vector<size_t> offsets;
    CollectLengthOffsets(der, der, 0, &offsets);
    ASSERT_GT(offsets.size(), 20u);
    for (size_t off : offsets) {
      for (int delta : {+1, -1}) {
        std::string bad = der;
        const uint8_t b = static_cast<uint8_t>(bad[off]);
        if ((delta < 0 && b == 0) || (delta > 0 && b == 0xff)) continue;
        bad[off] = static_cast<char>(b + delta);
        absl::StatusOr<VerifiedSignedData> v = VerifySignedData(bad);
        ASSERT_FALSE(v.ok()) << "offset " << off << " delta " << delta;
        ASSERT_EQ(v.status().code(), kBad) << "offset " << off << ": " << v.status();
      }
    }
  }
}

TEST(Pkcs7Test, IndefiniteLengthIsMalformed) {
  const std::string der = BuildSignedData(RsaSpec());
  // Outer header is 30 82 hh ll: rewrite as 30 80 ... 00 00.
  ASSERT_EQ(static_cast<uint8_t>(der[1]), 0x82);
  const std::string bad = std::string("\x30\x80", 2) + der.substr(4) + std::string(2, '\0');
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(bad);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), kBad);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("indefinite length not allowed"));
}

TEST(Pkcs7Test, NonMinimalLengthIsMalformed) {
  const std::string der = BuildSignedData(RsaSpec());
  const std::string bad = std::string("\x30\x83\x00", 3) + der.substr(2);
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(bad);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), kBad);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("non-minimal length encoding"));
}

}  // namespace
}  // namespace enlist::crypto
