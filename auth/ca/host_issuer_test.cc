#include "auth/ca/host_issuer.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/time/civil_time.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using ::testing::HasSubstr;

class HostIssuerTest : public ::testing::Test {
 protected:
  HostIssuerTest() : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto ca = ClusterCa::LoadOrCreate(dir_, "test", clock_);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    host_tls_ = *GenerateP256Key();
    host_ssh_ = *GenerateEd25519Key();
    host_.set_tls_public_key(*PublicKeyDer(*host_tls_));
    host_.set_ssh_public_key(*SshPublicKeyLine(*host_ssh_, "vm-1"));
    host_.set_host_name("vm-1");
    host_.add_dns_names("vm-1.internal");
    host_.add_additional_principals("10.0.0.4");
    req_.host = &host_;
    req_.join_method = "azure";
    req_.token_name = "azure-token";
    req_.role = "Node";
    req_.attributes = {{"azure.subscription", "s-1"}};
  }

  ManualClock clock_;
  std::string dir_;
  std::unique_ptr<ClusterCa> ca_;
  crypto::EvpPkeyPtr host_tls_, host_ssh_;
  enlist::join::v1::HostParams host_;
  join::IssueRequest req_;
};

TEST_F(HostIssuerTest, IssuesBothCertificatesSignedByTheCa) {
  IssuedHost seen;
  HostIssuerOptions opts;
  opts.on_issued = [&](const IssuedHost& h) {
    seen = h;
    return absl::OkStatus();
  };
  CaHostIssuer issuer(ca_.get(), &clock_, opts);
  auto r = issuer.Issue(req_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->host_id().size(), 36u);
  EXPECT_EQ(seen.host_id, r->host_id());
  EXPECT_FALSE(seen.renewed);
  ASSERT_EQ(r->tls_cert_chain_size(), 1);
  auto cert = crypto::ParseCertificateDer(r->tls_cert_chain(0));
  ASSERT_TRUE(cert.ok());
  crypto::EvpPkeyPtr ca_pub(X509_get_pubkey(const_cast<X509*>(&ca_->tls_cert())));
  EXPECT_EQ(X509_verify(cert->get(), ca_pub.get()), 1);
  EXPECT_THAT(crypto::DnsNames(**cert), ::testing::ElementsAre("vm-1", "vm-1.internal"));
  EXPECT_EQ(crypto::CommonName(**cert), r->host_id());
  EXPECT_THAT(crypto::UriNames(**cert), ::testing::ElementsAre("urn:enlist:host:" + r->host_id()));
  EXPECT_EQ(SerialHex(**cert), seen.tls_serial);
  EXPECT_EQ(r->expires().seconds(), absl::ToUnixSeconds(clock_.Now() + absl::Hours(8)));
  EXPECT_THAT(r->ssh_host_cert(), ::testing::StartsWith("ssh-ed25519-cert-v01@openssh.com "));
  EXPECT_EQ(r->tls_ca_certs(0), ca_->tls_cert_der());
  EXPECT_EQ(r->ssh_ca_public_keys(0), ca_->ssh_public_key());
}

TEST_F(HostIssuerTest, HostNameThatIsNoDnsNameStaysOutOfSans) {
  CaHostIssuer issuer(ca_.get(), &clock_, {});
  host_.set_host_name("web-vmss_3");
  auto r = issuer.Issue(req_);
  ASSERT_TRUE(r.ok()) << r.status();
  auto cert = crypto::ParseCertificateDer(r->tls_cert_chain(0));
  EXPECT_THAT(crypto::DnsNames(**cert), ::testing::ElementsAre("vm-1.internal"));
  EXPECT_THAT(r->ssh_host_cert(), ::testing::StartsWith("ssh-ed25519-cert-v01@openssh.com"));
  // An explicitly requested DNS name must be valid.
  host_.add_dns_names("bad name");
  EXPECT_EQ(issuer.Issue(req_).status().message(), "ca: invalid DNS name \"bad name\"");
}

TEST_F(HostIssuerTest, KeepsHostIdOnlyWhenPolicyAllows) {
  HostIssuerOptions opts;
  opts.may_keep_host_id = [](const std::string& prev, const join::IssueRequest& r) -> absl::StatusOr<bool> {
    return prev == "11111111-2222-4333-8444-555555555555" && r.token_name == "azure-token";
  };
  CaHostIssuer issuer(ca_.get(), &clock_, opts);
  host_.set_previous_host_id("11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(issuer.Issue(req_)->host_id(), "11111111-2222-4333-8444-555555555555");
  host_.set_previous_host_id("99999999-2222-4333-8444-555555555555");
  EXPECT_NE(issuer.Issue(req_)->host_id(), "99999999-2222-4333-8444-555555555555");
  host_.set_previous_host_id("../../etc/passwd");
  EXPECT_EQ(issuer.Issue(req_)->host_id().size(), 36u);
}

TEST_F(HostIssuerTest, RejectsBadKeysAndRegistryFailure) {
  CaHostIssuer issuer(ca_.get(), &clock_, {});
  host_.set_tls_public_key("not a key");
  auto r = issuer.Issue(req_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "ca: host TLS public key: not a DER SubjectPublicKeyInfo");

  host_.set_tls_public_key(*PublicKeyDer(*host_tls_));
  host_.set_ssh_public_key("ssh-dss AAAA");
  r = issuer.Issue(req_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("ssh key:"));

  host_.set_ssh_public_key(*SshPublicKeyLine(*host_ssh_, "vm-1"));
  HostIssuerOptions opts;
  opts.on_issued = [](const IssuedHost&) { return absl::UnavailableError("storage: down"); };
  CaHostIssuer failing(ca_.get(), &clock_, opts);
  EXPECT_EQ(failing.Issue(req_).status().message(), "storage: down");
}

TEST_F(HostIssuerTest, CaSurvivesRestartWithSamePin) {
  auto again = ClusterCa::LoadOrCreate(dir_, "test", clock_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE((*again)->created());
  EXPECT_TRUE(ca_->created());
  EXPECT_EQ((*again)->pin(), ca_->pin());
  EXPECT_EQ((*again)->ssh_public_key(), ca_->ssh_public_key());
  EXPECT_THAT(ca_->pin(), ::testing::StartsWith("sha256:"));
}

TEST_F(HostIssuerTest, IncompleteCaDirectoryIsNotReplaced) {
  ASSERT_EQ(::unlink((dir_ + "/ca/ssh-host-ca.key").c_str()), 0);
  auto again = ClusterCa::LoadOrCreate(dir_, "test", clock_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("is incomplete"));
}

}  // namespace
}  // namespace enlist::ca
