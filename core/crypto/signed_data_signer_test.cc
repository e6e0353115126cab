#include "core/crypto/signed_data_signer.h"

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "core/crypto/pkcs7.h"
#include "core/crypto/testing/test_pki.h"
#include "core/der/der_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::testing::HasSubstr;

class SignedDataSignerTest : public ::testing::TestWithParam<std::pair<bool, bool>> {
 protected:
  testing::TestPki pki_ = testing::MakeTestPki();
};

TEST_P(SignedDataSignerTest, OurVerifierAcceptsEveryShape) {
  SignedDataOptions o;
  o.content = R"({"nonce":"abc"})";
  o.key = pki_.leaf_key.get();
  o.signer_cert = pki_.leaf.get();
  o.certificates = {pki_.intermediate.get(), pki_.leaf.get()};
  o.azure_digest_oid = GetParam().first;
  o.signed_attributes = GetParam().second;
  absl::StatusOr<std::string> der = SignSignedData(o);
  ASSERT_TRUE(der.ok()) << der.status();
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(*der);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->content, o.content);
  EXPECT_EQ(X509_cmp(v->signer.get(), pki_.leaf.get()), 0);
  EXPECT_EQ(v->had_signed_attributes, o.signed_attributes);
  EXPECT_EQ(v->certificates.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SignedDataSignerTest,
                         ::testing::Values(std::make_pair(true, false),
                                           std::make_pair(false, false), std::make_pair(true, true),
                                           std::make_pair(false, true)));

struct DigestCase {
  const char* name;
  bool ec;
  const EVP_MD* (*md)();
  DigestAlgorithm want;
  // pkcs7.h's refusal, for a combination it does not accept.
  const char* refused = nullptr;
};

class SignedDataSignerDigestTest : public ::testing::TestWithParam<DigestCase> {};

TEST_P(SignedDataSignerDigestTest, SignsAndNamesTheDigest) {
  const DigestCase& c = GetParam();
  static const testing::TestPki* rsa = new testing::TestPki(testing::MakeTestPki(/*ec=*/false));
  static const testing::TestPki* ec = new testing::TestPki(testing::MakeTestPki(/*ec=*/true));
  const testing::TestPki& pki = c.ec ? *ec : *rsa;
  for (bool attrs : {false, true}) {
    SignedDataOptions o;
    o.content = R"({"nonce":"abc"})";
    o.key = pki.leaf_key.get();
    o.signer_cert = pki.leaf.get();
    o.certificates = {pki.leaf.get()};
    o.digest = c.md();
    o.azure_digest_oid = false;
    o.signed_attributes = attrs;
    absl::StatusOr<std::string> der = SignSignedData(o);
    ASSERT_TRUE(der.ok()) << der.status();
    absl::StatusOr<VerifiedSignedData> v = VerifySignedData(*der);
    if (c.refused != nullptr) {
      EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << v.status();
      EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.refused));
      continue;
    }
    ASSERT_TRUE(v.ok()) << c.name << " attrs=" << attrs << ": " << v.status();
    EXPECT_EQ(v->digest_algorithm, c.want) << c.name;
    EXPECT_EQ(v->had_signed_attributes, attrs);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Digests, SignedDataSignerDigestTest,
    ::testing::Values(DigestCase{"rsa_sha256", false, EVP_sha256, DigestAlgorithm::kSha256},
                      DigestCase{"rsa_sha384", false, EVP_sha384, DigestAlgorithm::kSha384},
                      DigestCase{"rsa_sha512", false, EVP_sha512, DigestAlgorithm::kSha512},
                      DigestCase{"ec_sha256", true, EVP_sha256, DigestAlgorithm::kSha256},
                      DigestCase{"ec_sha384", true, EVP_sha384, DigestAlgorithm::kSha384},
                      // Written as ecdsa-with-SHA512 (RFC 5758), which the
                      // verifier does not take.
                      DigestCase{"ec_sha512", true, EVP_sha512, DigestAlgorithm::kSha512,
                                 "unsupported signature algorithm 1.2.840.10045.4.3.4"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SignedDataSignerTamperingTest, ExtraSignedAttributesAreSignedInOrder) {
  testing::TestPki pki = testing::MakeTestPki();
  SignedDataOptions o;
  o.content = R"({"nonce":"abc"})";
  o.key = pki.leaf_key.get();
  o.signer_cert = pki.leaf.get();
  o.certificates = {pki.leaf.get()};
  o.signed_attributes = true;
  // signing-time (RFC 5652 section 11.3), 2024-01-01T00:00:00Z.
  const std::string signing_time =
      der::write::Seq({*der::write::Oid("1.2.840.113549.1.9.5"),
                       der::write::Set({der::write::UtcTime(absl::FromUnixSeconds(1704067200))})});
  o.extra_signed_attributes = {signing_time};
  absl::StatusOr<std::string> der = SignSignedData(o);
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_THAT(*der, HasSubstr(signing_time));
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(*der);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->had_signed_attributes);
}

struct TamperCase {
  const char* name;
  std::function<void(SignedDataOptions&)> tamper;
  absl::StatusCode code;
  const char* message;
};

class SignedDataSignerTamperTest : public ::testing::TestWithParam<TamperCase> {};

// Each knob yields the document the verifier refuses for that reason (the
// full table over every field is pkcs7_test's, through the builder).
TEST_P(SignedDataSignerTamperTest, VerifierRefusesForThatReason) {
  const TamperCase& c = GetParam();
  static const testing::TestPki* pki = new testing::TestPki(testing::MakeTestPki());
  SignedDataOptions o;
  o.content = R"({"nonce":"abc"})";
  o.key = pki->leaf_key.get();
  o.signer_cert = pki->leaf.get();
  o.certificates = {pki->leaf.get()};
  c.tamper(o);
  absl::StatusOr<std::string> der = SignSignedData(o);
  ASSERT_TRUE(der.ok()) << der.status();
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(*der);
  EXPECT_EQ(v.status().code(), c.code) << v.status();
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.message));
}

constexpr absl::StatusCode kBad = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kUnauth = absl::StatusCode::kUnauthenticated;

INSTANTIATE_TEST_SUITE_P(
    Knobs, SignedDataSignerTamperTest,
    ::testing::Values(
        TamperCase{"corrupt_signature",
                   [](SignedDataOptions& o) { o.tampering.corrupt_signature = true; }, kUnauth,
                   "signature: verification failed"},
        TamperCase{"corrupt_signed_attributes",
                   [](SignedDataOptions& o) {
                     o.signed_attributes = true;
                     o.tampering.corrupt_signed_attributes = true;
                   },
                   kUnauth, "pkcs7: "},
        TamperCase{"message_digest_attribute",
                   [](SignedDataOptions& o) {
                     o.signed_attributes = true;
                     o.tampering.message_digest_attribute = std::string(32, 'x');
                   },
                   kUnauth, "signed attributes: message digest mismatch"},
        TamperCase{"content_type_attribute",
                   [](SignedDataOptions& o) {
                     o.signed_attributes = true;
                     o.tampering.content_type_attribute = "1.2.840.113549.1.7.2";
                   },
                   kUnauth, "content type 1.2.840.113549.1.7.2 does not match"},
        TamperCase{"content_type",
                   [](SignedDataOptions& o) { o.tampering.content_type = "1.2.840.113549.1.7.1"; },
                   kBad, "content info: unsupported content type 1.2.840.113549.1.7.1"},
        TamperCase{
            "econtent_type",
            [](SignedDataOptions& o) { o.tampering.econtent_type = "1.2.840.113549.1.9.16.1.4"; },
            kBad, "encapsulated content: unsupported content type 1.2.840.113549.1.9.16.1.4"},
        TamperCase{"digest_algorithm",
                   [](SignedDataOptions& o) { o.tampering.digest_algorithm = "1.2.3.4"; }, kBad,
                   "unsupported digest algorithm 1.2.3.4"},
        TamperCase{
            "signature_algorithm",
            [](SignedDataOptions& o) { o.tampering.signature_algorithm = "1.2.840.113549.1.1.5"; },
            kBad, "unsupported signature algorithm 1.2.840.113549.1.1.5"},
        TamperCase{"signed_data_version",
                   [](SignedDataOptions& o) { o.tampering.signed_data_version = 2; }, kBad,
                   "signed data: unsupported version 2"},
        TamperCase{"signer_info_version",
                   [](SignedDataOptions& o) { o.tampering.signer_info_version = 3; }, kBad,
                   "signer info: unsupported version 3"},
        TamperCase{"two_signer_infos",
                   [](SignedDataOptions& o) { o.tampering.signer_info_count = 2; }, kBad,
                   "exactly one signer info is supported"},
        TamperCase{"no_signer_info",
                   [](SignedDataOptions& o) { o.tampering.signer_info_count = 0; }, kBad,
                   "signer infos: no signer info"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SignedDataSignerErrorsTest, TamperedContentFailsVerification) {
  testing::TestPki pki = testing::MakeTestPki();
  SignedDataOptions o;
  o.content = R"({"nonce":"abc"})";
  o.key = pki.leaf_key.get();
  o.signer_cert = pki.leaf.get();
  o.certificates = {pki.leaf.get()};
  o.embedded_content = R"({"nonce":"abd"})";
  absl::StatusOr<std::string> der = SignSignedData(o);
  ASSERT_TRUE(der.ok()) << der.status();
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(*der);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated) << v.status();
}

TEST(SignedDataSignerErrorsTest, RejectsUnusableOptions) {
  SignedDataOptions o;
  absl::StatusOr<std::string> der = SignSignedData(o);
  EXPECT_EQ(der.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(der.status().message(), HasSubstr("key and signer certificate required"));

  testing::TestPki ec = testing::MakeTestPki(/*ec=*/true);
  o.key = ec.leaf_key.get();
  o.signer_cert = ec.leaf.get();
  o.certificates = {ec.leaf.get()};
  der = SignSignedData(o);
  EXPECT_EQ(der.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(der.status().message(), HasSubstr("needs an RSA key"));
  o.azure_digest_oid = false;
  der = SignSignedData(o);
  ASSERT_TRUE(der.ok()) << der.status();
  absl::StatusOr<VerifiedSignedData> v = VerifySignedData(*der);
  EXPECT_TRUE(v.ok()) << v.status();
}

TEST(SignedDataSignerErrorsTest, RejectsUnusableDigestsAndOids) {
  testing::TestPki pki = testing::MakeTestPki();
  SignedDataOptions o;
  o.key = pki.leaf_key.get();
  o.signer_cert = pki.leaf.get();
  o.digest = EVP_sha1();
  absl::StatusOr<std::string> der = SignSignedData(o);
  EXPECT_EQ(der.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(der.status().message(), "signed data: digest must be SHA-256, SHA-384 or SHA-512");

  o.digest = EVP_sha384();  // with the Azure digest OID, which names SHA-256
  der = SignSignedData(o);
  EXPECT_EQ(der.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(der.status().message(),
            "signed data: the Azure digest OID needs an RSA key and SHA-256");

  o.digest = nullptr;
  o.tampering.signature_algorithm = "1.2.x";
  der = SignSignedData(o);
  EXPECT_EQ(der.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(der.status().message(), "signed data: tampering: not an OID: \"1.2.x\"");
}

}  // namespace
}  // namespace enlist::crypto
