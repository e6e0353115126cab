#include "auth/ca/cluster_ca.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/crypto/cert.h"
#include "core/util/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using ::testing::ElementsAre;

TEST(ClusterCaTest, ANameTooLongForTheCaCertificateIsRefusedAndNoCaIsWritten) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/long-name";
  absl::StatusOr<std::unique_ptr<ClusterCa>> ca =
      ClusterCa::LoadOrCreate(dir, std::string(55, 'c'), RealClock::Get());
  EXPECT_EQ(ca.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ca.status().message(),
            "ca: cluster_name is 55 characters; a new CA needs at most 54 (its common name is "
            "\"<cluster_name> Enlist CA\")");
  EXPECT_NE(access((dir + "/ca/tls-ca.crt").c_str(), F_OK), 0);
  EXPECT_TRUE(ClusterCa::LoadOrCreate(dir, std::string(54, 'c'), RealClock::Get()).ok());
}

TEST(IssueServerTlsTest, NamesEveryAddressAndChainsToTheCa) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/server-tls";
  absl::StatusOr<std::unique_ptr<ClusterCa>> ca =
      ClusterCa::LoadOrCreate(dir, "test", RealClock::Get());
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<ServerTlsPem> tls = IssueServerTls(
      **ca, "test auth", {"auth.example.com", "10.0.0.5", "0.0.0.0", "", "::", "localhost"},
      RealClock::Get());
  ASSERT_TRUE(tls.ok()) << tls.status();

  absl::StatusOr<std::vector<crypto::X509Ptr>> chain = crypto::ParseCertificatesPem(tls->chain_pem, 4);
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 2u);
  X509* leaf = (*chain)[0].get();
  X509* issuer = (*chain)[1].get();
  EXPECT_EQ(X509_cmp(issuer, const_cast<X509*>(&(*ca)->tls_cert())), 0);
  EXPECT_EQ(X509_check_issued(issuer, leaf), X509_V_OK);
  // "localhost" once; wildcard listen addresses and "" never.
  EXPECT_THAT(crypto::DnsNames(*leaf), ElementsAre("localhost", "auth.example.com"));
  EXPECT_EQ(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf, "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf, "10.0.0.5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf, "0.0.0.0", 0), 0);
  EXPECT_EQ(X509_check_ip_asc(leaf, "::", 0), 0);
  EXPECT_EQ(X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0), 1);

  // The key is the certificate's, and fresh for every call.
  BIO* bio = BIO_new_mem_buf(tls->key_pem.data(), static_cast<int>(tls->key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(leaf, key), 1);
  EVP_PKEY_free(key);
  absl::StatusOr<ServerTlsPem> again = IssueServerTls(**ca, "test auth", {}, RealClock::Get());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->key_pem, tls->key_pem);
  // Without options: a server certificate only, no URIs.
  EXPECT_EQ(X509_check_purpose(leaf, X509_PURPOSE_SSL_CLIENT, 0), 0);
  EXPECT_TRUE(crypto::UriNames(*leaf).empty());
}

TEST(IssueServerTlsTest, OptionsAddUrisAndClientUse) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/server-tls-options";
  absl::StatusOr<std::unique_ptr<ClusterCa>> ca =
      ClusterCa::LoadOrCreate(dir, "test", RealClock::Get());
  ASSERT_TRUE(ca.ok()) << ca.status();
  ServerTlsOptions o;
  o.uris = {"urn:enlist:proxy:edge-1"};
  o.client_auth = true;
  absl::StatusOr<ServerTlsPem> tls = IssueServerTls(**ca, "edge", {}, RealClock::Get(), o);
  ASSERT_TRUE(tls.ok()) << tls.status();
  absl::StatusOr<std::vector<crypto::X509Ptr>> chain = crypto::ParseCertificatesPem(tls->chain_pem, 4);
  ASSERT_TRUE(chain.ok()) << chain.status();
  X509* leaf = (*chain)[0].get();
  EXPECT_THAT(crypto::UriNames(*leaf), ElementsAre("urn:enlist:proxy:edge-1"));
  EXPECT_EQ(X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(leaf, X509_PURPOSE_SSL_CLIENT, 0), 1);
}

}  // namespace
}  // namespace enlist::ca
