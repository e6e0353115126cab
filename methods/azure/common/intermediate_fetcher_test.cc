#include "methods/azure/common/intermediate_fetcher.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/crypto/cert.h"
#include "core/crypto/testing/test_pki.h"
#include "core/http/fake_http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::azure {
namespace {

namespace ct = ::enlist::crypto::testing;
using ::testing::HasSubstr;

constexpr char kInter[] = "http://www.microsoft.com/pkiops/certs/intermediate.crt";
constexpr char kInter2[] = "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt";
constexpr char kRoot[] = "http://www.microsoft.com/pkiops/certs/root.crt";

class FetcherTest : public ::testing::Test {
 protected:
  ct::TestPki pki_ = ct::MakeTestPki();
  http::FakeHttpClient http_;
};

TEST_F(FetcherTest, WalksToSelfSignedRootAndStops) {
  http_.SetResponse(kInter, 200, ct::CertDer(pki_.intermediate.get()));
  http_.SetResponse(kRoot, 200, ct::CertPem(pki_.root.get()));  // PEM accepted too
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*pki_.leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);  // the self-signed root is not returned
  EXPECT_EQ(X509_cmp(out->at(0).get(), pki_.intermediate.get()), 0);
  EXPECT_EQ(http_.CallCount(kRoot), 1);
}

TEST_F(FetcherTest, SecondUrlUsedWhenFirstFails) {
  http_.SetError(kInter, http::FakeHttpClient::UnavailableError(kInter));
  http_.SetResponse(kInter2, 200, ct::CertDer(pki_.intermediate.get()));
  http_.SetResponse(kRoot, 200, ct::CertDer(pki_.root.get()));
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*pki_.leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 1u);
}

TEST_F(FetcherTest, ErrorsReadLikeTheSeed) {
  http_.SetError(kInter, absl::UnavailableError(absl::StrCat(
                             "Get \"", kInter,
                             "\": context deadline exceeded (Client.Timeout exceeded while "
                             "awaiting headers)")));
  http_.SetResponse(kInter2, 404, "not found");
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*pki_.leaf);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(out.status().message(),
            absl::StrCat("fetching intermediate certificate: Get \"", kInter,
                         "\": context deadline exceeded (Client.Timeout exceeded while awaiting "
                         "headers)"));
  absl::StatusOr<crypto::X509Ptr> one = f.Fetch(kInter2);
  EXPECT_EQ(one.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(one.status().message()), HasSubstr("unexpected HTTP status 404"));
  http_.SetResponse(kInter2, 200, "garbage");
  EXPECT_EQ(f.Fetch(kInter2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FetcherTest, ForeignHostStopsWithoutFetching) {
  ct::CertSpec spec;
  spec.common_name = "metadata.azure.com";
  spec.ca_issuer_urls = {"http://evil.example.com/pkiops/certs/intermediate.crt"};
  crypto::EvpPkeyPtr key = ct::NewRsaKey();
  crypto::X509Ptr leaf =
      ct::IssueCert(spec, key.get(), pki_.intermediate.get(), pki_.intermediate_key.get());
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->empty());
  EXPECT_TRUE(http_.calls().empty());
}

TEST_F(FetcherTest, CycleStops) {
  crypto::EvpPkeyPtr kx = ct::NewRsaKey(), ky = ct::NewRsaKey(), kl = ct::NewRsaKey();
  const std::string x_url = "http://www.microsoft.com/pkiops/certs/x.crt";
  const std::string y_url = "http://www.microsoft.com/pkiops/certs/y.crt";
  ct::CertSpec y_spec;
  y_spec.common_name = "Y";
  y_spec.is_ca = true;
  y_spec.serial = 10;
  crypto::X509Ptr y_self = ct::IssueCert(y_spec, ky.get(), nullptr, ky.get());
  ct::CertSpec x_spec;
  x_spec.common_name = "X";
  x_spec.is_ca = true;
  x_spec.serial = 11;
  x_spec.ca_issuer_urls = {y_url};
  crypto::X509Ptr x = ct::IssueCert(x_spec, kx.get(), y_self.get(), ky.get());
  y_spec.ca_issuer_urls = {x_url};
  y_spec.serial = 12;
  crypto::X509Ptr y = ct::IssueCert(y_spec, ky.get(), x.get(), kx.get());
  ct::CertSpec l_spec;
  l_spec.common_name = "metadata.azure.com";
  l_spec.ca_issuer_urls = {x_url};
  crypto::X509Ptr leaf = ct::IssueCert(l_spec, kl.get(), x.get(), kx.get());
  http_.SetResponse(x_url, 200, ct::CertDer(x.get()));
  http_.SetResponse(y_url, 200, ct::CertDer(y.get()));
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 2u);
  EXPECT_EQ(http_.CallCount(x_url), 2);
  EXPECT_EQ(http_.CallCount(y_url), 1);
}

TEST_F(FetcherTest, WrongCertificateStopsTheWalk) {
  ct::TestPki other = ct::MakeTestPki();
  http_.SetResponse(kInter, 200, ct::CertDer(other.intermediate.get()));
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*pki_.leaf);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->empty());
}

TEST_F(FetcherTest, MaxHopsAndCache) {
  http_.SetResponse(kInter, 200, ct::CertDer(pki_.intermediate.get()));
  http_.SetResponse(kRoot, 200, ct::CertDer(pki_.root.get()));
  IntermediateFetchOptions o;
  o.max_hops = 1;
  o.cache_ttl = absl::Hours(1);
  IntermediateFetcher f(&http_, o);
  ASSERT_EQ(f.Walk(*pki_.leaf)->size(), 1u);
  ASSERT_EQ(f.Walk(*pki_.leaf)->size(), 1u);
  EXPECT_EQ(http_.CallCount(kInter), 1);  // second walk from cache
  EXPECT_EQ(http_.CallCount(kRoot), 0);   // one hop only
  EXPECT_EQ(f.fetches(), 1);
}

TEST_F(FetcherTest, DeadlinePassed) {
  http_.SetResponse(kInter, 200, ct::CertDer(pki_.intermediate.get()));
  IntermediateFetcher f(&http_, {});
  absl::StatusOr<std::vector<crypto::X509Ptr>> out =
      f.Walk(*pki_.leaf, absl::Now() - absl::Seconds(1));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(out.status().message(),
            absl::StrCat("fetching intermediate certificate: Get \"", kInter,
                         "\": context deadline exceeded"));
  EXPECT_TRUE(http_.calls().empty());
}

TEST_F(FetcherTest, OverridePrefixes) {
  IntermediateFetchOptions o;
  o.allowed_prefixes = {"http://127.0.0.1:1/certs/"};
  IntermediateFetcher f(&http_, o);
  absl::StatusOr<std::vector<crypto::X509Ptr>> out = f.Walk(*pki_.leaf);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_TRUE(http_.calls().empty());
}

}  // namespace
}  // namespace enlist::azure
