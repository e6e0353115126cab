#include "core/crypto/trust_store.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "core/crypto/testing/test_pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::crypto::testing;

const t::TestPki& Pki() {
  static const t::TestPki* pki = new t::TestPki(t::MakeTestPki(/*ec=*/true));
  return *pki;
}

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/" + name;
  std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return dir;
}

void Write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

TEST(TrustStoreTest, FromPemDeduplicatesAndHasStableId) {
  const std::string root = t::CertPem(Pki().root.get());
  const std::string inter = t::CertPem(Pki().intermediate.get());
  auto a = TrustStore::FromPem(root + inter + root);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->size(), 2u);
  auto b = TrustStore::FromPem(inter + root);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*a)->id(), (*b)->id());
  auto c = TrustStore::FromPem(root);
  ASSERT_TRUE(c.ok());
  EXPECT_NE((*a)->id(), (*c)->id());
  EXPECT_EQ((*a)->id().size(), 64u);
}

TEST(TrustStoreTest, FromPemFile) {
  const std::string dir = TempDir("pemfile");
  Write(dir + "/roots.pem", t::CertPem(Pki().root.get()));
  auto ts = TrustStore::FromPemFile(dir + "/roots.pem");
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_EQ((*ts)->size(), 1u);
}

TEST(TrustStoreTest, FromDirectorySkipsNonPem) {
  const std::string dir = TempDir("pemdir");
  Write(dir + "/a.pem", t::CertPem(Pki().root.get()));
  Write(dir + "/b.crt", t::CertPem(Pki().intermediate.get()) + t::CertPem(Pki().root.get()));
  Write(dir + "/README", "not a certificate\n");
  Write(dir + "/binary.der", t::CertDer(Pki().leaf.get()));
  auto ts = TrustStore::FromPemDirectory(dir);
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_EQ((*ts)->size(), 2u);
}

TEST(TrustStoreTest, SystemStoreLoadsWhenPresent) {
  std::ifstream probe("/etc/ssl/certs/ca-certificates.crt");
  if (!probe) GTEST_SKIP() << "no /etc/ssl/certs on this machine";
  auto ts = TrustStore::FromPemDirectory("/etc/ssl/certs");
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_GT((*ts)->size(), 50u);
}

struct RejectCase {
  const char* name;
  std::function<absl::Status()> run;
  absl::StatusCode code;
  const char* message;
};

class TrustStoreRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(TrustStoreRejectTest, Rejects) {
  absl::Status st = GetParam().run();
  EXPECT_EQ(st.code(), GetParam().code) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Table, TrustStoreRejectTest,
    ::testing::Values(
        RejectCase{"empty_pem", [] { return TrustStore::FromPem("").status(); },
                   absl::StatusCode::kInvalidArgument,
                   "x509: trust store: pem: no certificate found"},
        RejectCase{"no_certs", [] { return TrustStore::FromCertificates({}).status(); },
                   absl::StatusCode::kInvalidArgument, "x509: trust store: no certificates"},
        RejectCase{"missing_file",
                   [] { return TrustStore::FromPemFile("/nonexistent/roots.pem").status(); },
                   absl::StatusCode::kNotFound, "cannot read /nonexistent/roots.pem"},
        RejectCase{"missing_dir",
                   [] { return TrustStore::FromPemDirectory("/nonexistent-dir").status(); },
                   absl::StatusCode::kNotFound, "cannot read directory /nonexistent-dir"},
        RejectCase{"dir_without_pem",
                   [] {
                     const std::string dir = TempDir("nopem");
                     Write(dir + "/x.txt", "hello");
                     return TrustStore::FromPemDirectory(dir).status();
                   },
                   absl::StatusCode::kInvalidArgument, "no certificates in"},
        RejectCase{"dir_bad_pem",
                   [] {
                     const std::string dir = TempDir("badpem");
                     Write(dir + "/bad.pem",
                           "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
                     return TrustStore::FromPemDirectory(dir).status();
                   },
                   absl::StatusCode::kInvalidArgument,
                   "bad.pem: pem: certificate 0: malformed block"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::crypto
