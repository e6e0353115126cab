// WriteProxyIdentity on disk, and IsProxyPeer through a real TLS handshake:
// an in-process gRPC server on 127.0.0.1:<OS port> that verifies client
// certificates against the cluster CA, as an auth server does.
#include "auth/proxy_identity.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/ca/cluster_ca.h"
#include "auth/ca/x509_issuer.h"
#include "auth/storage/backend_testing.h"
#include "core/crypto/cert.h"
#include "core/util/clock.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist::auth {
namespace {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

int Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileCapped(path, 1 << 16);
  return s.ok() ? *s : "";
}

class WriteProxyIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = storage::MakeTestDir("proxy_identity");
    auto ca = ca::ClusterCa::LoadOrCreate(root_ + "/data", "test", clock_);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
  }

  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
  std::string root_;
  std::unique_ptr<ca::ClusterCa> ca_;
};

TEST_F(WriteProxyIdentityTest, WritesCertificateKeyAndCaPrivately) {
  const std::string dir = root_ + "/data/proxy";
  ASSERT_TRUE(
      WriteProxyIdentity(*ca_, dir, "edge-1", {"join.example.com", "10.0.0.7", "0.0.0.0"}, clock_)
          .ok());
  EXPECT_EQ(Mode(dir), 0700);
  for (const char* f : {kProxyCertFile, kProxyKeyFile, kProxyCaFile}) {
    EXPECT_EQ(Mode(absl::StrCat(dir, "/", f)), 0600) << f;
  }
  EXPECT_EQ(Read(absl::StrCat(dir, "/", kProxyCaFile)), ca_->tls_cert_pem());
  EXPECT_THAT(Read(absl::StrCat(dir, "/", kProxyKeyFile)), HasSubstr("PRIVATE KEY"));

  // Leaf, then the CA (agents verify their pin through it).
  auto chain = crypto::ParseCertificatesPem(Read(absl::StrCat(dir, "/", kProxyCertFile)));
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ(crypto::CertificateDer(*(*chain)[1]).value(), ca_->tls_cert_der());
  const X509& leaf = *(*chain)[0];
  EXPECT_THAT(crypto::UriNames(leaf), ::testing::ElementsAre("urn:enlist:proxy:edge-1"));
  std::vector<std::string> dns = crypto::DnsNames(leaf);
  EXPECT_THAT(dns, Contains("localhost"));
  EXPECT_THAT(dns, Contains("join.example.com"));
  EXPECT_THAT(dns, Not(Contains("10.0.0.7")));  // an IP SAN, not a DNS one
  EXPECT_THAT(dns, Not(Contains("0.0.0.0")));
}

TEST_F(WriteProxyIdentityTest, AnExistingIdentityIsKept) {
  const std::string dir = root_ + "/data/proxy";
  ASSERT_TRUE(WriteProxyIdentity(*ca_, dir, "first", {}, clock_).ok());
  const std::string cert = Read(absl::StrCat(dir, "/", kProxyCertFile));
  const std::string key = Read(absl::StrCat(dir, "/", kProxyKeyFile));
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(WriteProxyIdentity(*ca_, dir, "second", {"other.example.com"}, clock_).ok());
  EXPECT_EQ(Read(absl::StrCat(dir, "/", kProxyCertFile)), cert);
  EXPECT_EQ(Read(absl::StrCat(dir, "/", kProxyKeyFile)), key);
}

class BadProxyNameTest : public WriteProxyIdentityTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(BadProxyNameTest, IsInvalidArgumentAndWritesNothing) {
  const std::string dir = root_ + "/data/proxy";
  ENLIST_EXPECT_STATUS(WriteProxyIdentity(*ca_, dir, GetParam(), {}, clock_),
                       absl::StatusCode::kInvalidArgument, "proxy identity: name \"");
  EXPECT_EQ(Mode(dir), -1);
}

INSTANTIATE_TEST_SUITE_P(Names, BadProxyNameTest,
                         ::testing::Values("", "a/b", "../up", "has space", "proxy:x",
                                           std::string(52, 'a'), std::string("nul\0x", 5)));

TEST_F(WriteProxyIdentityTest, TheLongestNameFitsTheCertificate) {
  const std::string dir = root_ + "/data/proxy";
  absl::Status s = WriteProxyIdentity(*ca_, dir, std::string(51, 'a'), {}, clock_);
  EXPECT_TRUE(s.ok()) << s;
}

// Which client identity a peer presents.
struct PeerCase {
  std::string name;
  enum Kind { kProxyIdentity, kIssued, kNone, kOtherCa } kind;
  std::vector<std::string> uris;  // kIssued / kOtherCa
  bool expect_proxy;
};

// A JoinService that only answers whether its peer is a proxy.
class PeerProbe final : public enlist::join::v1::JoinService::Service {
 public:
  grpc::Status Join(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<JoinResponse, JoinRequest>*) override {
    return grpc::Status(grpc::StatusCode::ABORTED, IsProxyPeer(*context) ? "proxy" : "not proxy");
  }
};

class IsProxyPeerTest : public WriteProxyIdentityTest,
                        public ::testing::WithParamInterface<PeerCase> {
 protected:
  void SetUp() override {
    WriteProxyIdentityTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    // The auth server's listener: server cert from the CA, client certs
    // optional but verified against it.
    auto key = ca::GenerateP256Key();
    ASSERT_TRUE(key.ok());
    auto cert = Issue({}, /*server=*/true, **key, *ca_);
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = ca_->tls_cert_pem();
    ssl.pem_key_cert_pairs.push_back({ca::PrivateKeyPem(**key).value(), cert});
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port_);
    b.RegisterService(&probe_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }

  std::string Issue(const std::vector<std::string>& uris, bool server, EVP_PKEY& key,
                    const ca::ClusterCa& ca) {
    ca::CertProfile p;
    p.common_name = server ? "auth" : "client";
    p.dns_names = {"localhost"};
    p.ip_addresses = {"127.0.0.1"};
    p.uris = uris;
    p.server_auth = server;
    p.client_auth = !server;
    p.not_before = absl::Now() - absl::Minutes(5);
    p.not_after = absl::Now() + absl::Hours(1);
    auto cert = ca::IssueCertificate(p, key, &ca.tls_cert(), ca.tls_key());
    EXPECT_TRUE(cert.ok()) << cert.status();
    return ca::CertificatePem(**cert).value();
  }

  // What the probe answered the client presenting `c`'s identity.
  grpc::Status Ask(const PeerCase& c) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca_->tls_cert_pem();
    std::unique_ptr<ca::ClusterCa> other;
    switch (c.kind) {
      case PeerCase::kProxyIdentity: {
        const std::string dir = root_ + "/data/proxy";
        EXPECT_TRUE(WriteProxyIdentity(*ca_, dir, "edge", {}, RealClock::Get()).ok());
        ssl.pem_cert_chain = Read(absl::StrCat(dir, "/", kProxyCertFile));
        ssl.pem_private_key = Read(absl::StrCat(dir, "/", kProxyKeyFile));
        break;
      }
      case PeerCase::kIssued:
      case PeerCase::kOtherCa: {
        const ca::ClusterCa* issuer = ca_.get();
        if (c.kind == PeerCase::kOtherCa) {
          other = ca::ClusterCa::LoadOrCreate(root_ + "/other", "other", RealClock::Get()).value();
          issuer = other.get();
        }
        auto key = ca::GenerateP256Key();
        EXPECT_TRUE(key.ok());
        ssl.pem_cert_chain = Issue(c.uris, /*server=*/false, **key, *issuer);
        ssl.pem_private_key = ca::PrivateKeyPem(**key).value();
        break;
      }
      case PeerCase::kNone:
        break;
    }
    auto stub = enlist::join::v1::JoinService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::SslCredentials(ssl)));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return stub->Join(&ctx)->Finish();
  }

  PeerProbe probe_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_P(IsProxyPeerTest, OnlyAProxyUriFromTheClusterCaCounts) {
  grpc::Status s = Ask(GetParam());
  if (GetParam().kind == PeerCase::kOtherCa) {
    // Never reaches the service: the handshake fails.
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    return;
  }
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  EXPECT_EQ(s.error_message(), GetParam().expect_proxy ? "proxy" : "not proxy");
}

INSTANTIATE_TEST_SUITE_P(
    Peers, IsProxyPeerTest,
    ::testing::Values(
        PeerCase{"ProxyIdentity", PeerCase::kProxyIdentity, {}, true},
        PeerCase{"IssuedProxyUri", PeerCase::kIssued, {"urn:enlist:proxy:edge-2"}, true},
        PeerCase{"HostCertificate", PeerCase::kIssued, {}, false},
        PeerCase{"NoClientCertificate", PeerCase::kNone, {}, false},
        PeerCase{"AdminUri", PeerCase::kIssued, {"urn:enlist:admin:admin"}, false},
        PeerCase{"PrefixWithoutName", PeerCase::kIssued, {"urn:enlist:proxy:"}, false},
        PeerCase{"LookalikeScheme", PeerCase::kIssued, {"urn:enlist:proxyx:edge"}, false},
        PeerCase{"UpperCase", PeerCase::kIssued, {"URN:ENLIST:PROXY:edge"}, false},
        PeerCase{"PrefixInsideAnotherUri",
                 PeerCase::kIssued,
                 {"https://evil.example/urn:enlist:proxy:edge"},
                 false},
        PeerCase{"ProxyUriFromAnotherCa", PeerCase::kOtherCa, {"urn:enlist:proxy:edge"}, false}),
    [](const ::testing::TestParamInfo<PeerCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::auth
