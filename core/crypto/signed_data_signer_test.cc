#include "core/crypto/signed_data_signer.h"

#include <string>

#include "core/crypto/pkcs7.h"
#include "core/crypto/testing/test_pki.h"
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
                         ::testing::Values(std::make_pair(true, false), std::make_pair(false, false),
                                           std::make_pair(true, true), std::make_pair(false, true)));

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

}  // namespace
}  // namespace enlist::crypto
