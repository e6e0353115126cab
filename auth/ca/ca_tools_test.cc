// The CA's output checked by the real tools: `openssl verify` for X.509 and
// `ssh-keygen -L` for the OpenSSH certificate.
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using ::testing::HasSubstr;

std::string RunTool(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  *exit_code = pclose(p);
  return out;
}

class CaToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::getenv("TEST_TMPDIR");
    ca_key_ = *GenerateP256Key();
    CertProfile ca;
    ca.common_name = "enlist test CA";
    ca.is_ca = true;
    ca.not_before = absl::Now() - absl::Hours(1);
    ca.not_after = absl::Now() + absl::Hours(24 * 365);
    auto c = IssueCertificate(ca, *ca_key_, nullptr, *ca_key_);
    ASSERT_TRUE(c.ok()) << c.status();
    ca_cert_ = *std::move(c);
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/ca.pem", *CertificatePem(*ca_cert_)).ok());
  }

  std::string dir_;
  crypto::EvpPkeyPtr ca_key_;
  crypto::X509Ptr ca_cert_;
};

TEST_F(CaToolsTest, OpensslVerifiesHostCertificate) {
  auto host_key = *GenerateP256Key();
  CertProfile p;
  p.common_name = "5b6e1c1e-0000-4000-8000-000000000001";
  p.dns_names = {"vm-1", "vm-1.internal"};
  p.uris = {"urn:enlist:host:5b6e1c1e-0000-4000-8000-000000000001"};
  p.server_auth = p.client_auth = true;
  p.not_before = absl::Now() - absl::Minutes(1);
  p.not_after = absl::Now() + absl::Hours(8);
  p.join_extension_json = R"({"host_id":"5b6e1c1e","role":"Node","join_method":"azure"})";
  auto cert = IssueCertificate(p, *host_key, ca_cert_.get(), *ca_key_);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/host.pem", *CertificatePem(**cert)).ok());
  int rc = 0;
  std::string out = RunTool("openssl verify -CAfile " + dir_ + "/ca.pem " + dir_ + "/host.pem", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr(": OK"));
  out = RunTool("openssl x509 -noout -text -in " + dir_ + "/host.pem", &rc);
  EXPECT_THAT(out, HasSubstr("DNS:vm-1, DNS:vm-1.internal"));
  EXPECT_THAT(out, HasSubstr("URI:urn:enlist:host:5b6e1c1e"));
  EXPECT_THAT(out, HasSubstr("\"join_method\":\"azure\""));
}

TEST_F(CaToolsTest, OpensslReadsAuthorityInfoAccess) {
  auto key = *GenerateP256Key();
  CertProfile p;
  p.common_name = "eastus.metadata.azure.com";
  p.dns_names = {"eastus.metadata.azure.com"};
  p.ca_issuer_urls = {"http://127.0.0.1:8080/pkiops/certs/issuing-ca.crt",
                      "http://www.microsoft.com/pkiops/certs/other.crt"};
  p.not_before = absl::Now() - absl::Minutes(1);
  p.not_after = absl::Now() + absl::Hours(8);
  auto cert = IssueCertificate(p, *key, ca_cert_.get(), *ca_key_);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/aia.pem", *CertificatePem(**cert)).ok());
  int rc = 0;
  std::string out = RunTool("openssl x509 -noout -text -in " + dir_ + "/aia.pem", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Authority Information Access"));
  EXPECT_THAT(out, HasSubstr("CA Issuers - URI:http://127.0.0.1:8080/pkiops/certs/issuing-ca.crt"));
  EXPECT_THAT(out, HasSubstr("CA Issuers - URI:http://www.microsoft.com/pkiops/certs/other.crt"));
  out = RunTool("openssl verify -CAfile " + dir_ + "/ca.pem " + dir_ + "/aia.pem", &rc);
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(CaToolsTest, OpensslRejectsCertificateFromAnotherCa) {
  auto other_key = *GenerateP256Key();
  CertProfile p;
  p.common_name = "h";
  p.not_before = absl::Now() - absl::Minutes(1);
  p.not_after = absl::Now() + absl::Hours(1);
  auto cert = IssueCertificate(p, *other_key, nullptr, *other_key);  // self-signed leaf
  ASSERT_TRUE(cert.ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/other.pem", *CertificatePem(**cert)).ok());
  int rc = 0;
  std::string out = RunTool("openssl verify -CAfile " + dir_ + "/ca.pem " + dir_ + "/other.pem", &rc);
  EXPECT_NE(rc, 0) << out;
}

TEST_F(CaToolsTest, SshKeygenReadsHostCertificate) {
  auto ssh_ca = *GenerateEd25519Key();
  auto host = *GenerateEd25519Key();
  SshCertRequest req;
  req.public_key_line = *SshPublicKeyLine(*host, "vm-1");
  req.key_id = "host-id-1";
  req.principals = {"host-id-1", "vm-1", "vm-1.internal"};
  req.serial = 42;
  req.valid_after = absl::Now() - absl::Minutes(1);
  req.valid_before = absl::Now() + absl::Hours(8);
  auto cert = SignSshHostCert(req, *ssh_ca);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/host-cert.pub", *cert + "\n").ok());
  int rc = 0;
  std::string out = RunTool("ssh-keygen -L -f " + dir_ + "/host-cert.pub", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("ssh-ed25519-cert-v01@openssh.com host certificate"));
  EXPECT_THAT(out, HasSubstr("Key ID: \"host-id-1\""));
  EXPECT_THAT(out, HasSubstr("Serial: 42"));
  EXPECT_THAT(out, HasSubstr("vm-1.internal"));
  EXPECT_THAT(out, HasSubstr("Signing CA: ED25519"));
}

TEST(SshKeyTest, RejectsUnsupportedAndMalformedKeys) {
  struct Case {
    const char* line;
    const char* want;
  } cases[] = {
      {"ssh-ed25519 !!!!", "ssh key: key data is not valid base64"},
      {"ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", "ssh key: key data does not match its type"},
      {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", "unsupported key type \"ssh-rsa\""},
      {"onlyone", "expected \"<type> <base64> [comment]\""},
      {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=", "malformed ssh-ed25519 key"},
  };
  for (const Case& c : cases) {
    auto k = ParseSshPublicKey(c.line);
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(std::string(k.status().message()), HasSubstr(c.want)) << c.line;
  }
}

TEST(HostKeyTest, RejectsWeakOrGarbageKeys) {
  EXPECT_EQ(ParseHostPublicKey("garbage").status().message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
  auto k = *GenerateP256Key();
  auto der = *PublicKeyDer(*k);
  EXPECT_TRUE(ParseHostPublicKey(der).ok());
  EXPECT_EQ(ParseHostPublicKey(der + "x").status().message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
}

TEST(HostKeyTest, ParsedKeyMatchesAndOffCurvePointIsRefused) {
  for (auto gen : {GenerateP256Key, GenerateEd25519Key}) {
    auto k = *gen();
    auto der = *PublicKeyDer(*k);
    auto parsed = ParseHostPublicKey(der);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*PublicKeyDer(**parsed), der);
  }
  // A P-256 point with its last coordinate byte changed is off the curve.
  auto k = *GenerateP256Key();
  std::string der = *PublicKeyDer(*k);
  der.back() ^= 0x01;
  EXPECT_EQ(ParseHostPublicKey(der).status().message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
}

}  // namespace
}  // namespace enlist::ca
