#include "agent/server_trust.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/testing/test_auth_server.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "grpcpp/channel.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using ::testing::HasSubstr;
using testing::ReservedPort;
using testing::TestAuthServer;

constexpr char kOtherPin[] =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

std::string NewDir() {
  std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR"), "/trust-XXXXXX");
  return mkdtemp(tmpl.data());
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(20); }

class ServerTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestAuthServer::Start(NewDir());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::unique_ptr<TestAuthServer> server_;
};

TEST_F(ServerTrustTest, FetchesLeafAndCa) {
  auto chain = FetchServerCertificates("127.0.0.1", server_->port(), "", Deadline());
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[1], server_->ca().tls_cert_der());
}

TEST_F(ServerTrustTest, PinSelectsTheCa) {
  auto chain = FetchServerCertificates("127.0.0.1", server_->port(), "localhost", Deadline());
  ASSERT_TRUE(chain.ok()) << chain.status();
  auto pem = SelectPinnedCa(*chain, {kOtherPin, server_->pin()});
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(*pem, server_->ca().tls_cert_pem());
}

TEST_F(ServerTrustTest, PinMismatchNamesExpectedAndOffered) {
  auto chain = FetchServerCertificates("127.0.0.1", server_->port(), "", Deadline());
  ASSERT_TRUE(chain.ok()) << chain.status();
  auto pem = SelectPinnedCa(*chain, {kOtherPin});
  EXPECT_EQ(pem.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(pem.status().message(), HasSubstr(absl::StrCat("expected ", kOtherPin)));
  EXPECT_THAT(pem.status().message(), HasSubstr(server_->pin()));
}

TEST_F(ServerTrustTest, PinnedCertificateMustHaveSignedTheLeaf) {
  auto chain = FetchServerCertificates("127.0.0.1", server_->port(), "", Deadline());
  ASSERT_TRUE(chain.ok()) << chain.status();
  // A chain that carries some other CA (pinned) next to the real leaf.
  auto other = ca::ClusterCa::LoadOrCreate(NewDir(), "other", RealClock::Get());
  ASSERT_TRUE(other.ok());
  std::vector<std::string> forged = {(*chain)[0], (*other)->tls_cert_der()};
  auto pem = SelectPinnedCa(forged, {(*other)->pin()});
  EXPECT_EQ(pem.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(pem.status().message(), HasSubstr("did not sign the server's certificate"));
}

TEST_F(ServerTrustTest, RefusedConnectionIsUnavailable) {
  auto port = ReservedPort::Bind();
  ASSERT_TRUE(port.ok());
  auto chain = FetchServerCertificates("127.0.0.1", (*port)->port(), "", Deadline());
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(chain.status().message(),
              HasSubstr(absl::StrCat("dial 127.0.0.1:", (*port)->port(), ": Connection refused")));
}

TEST_F(ServerTrustTest, CachesThePinnedCaAndReusesIt) {
  std::string data_dir = NewDir();
  ServerTrustOptions o;
  o.server = server_->address();
  o.ca_pins = {server_->pin()};
  o.data_dir = data_dir;
  ServerTrust trust(o, &log::Logger::Discard());
  auto roots = trust.Roots(Deadline());
  ASSERT_TRUE(roots.ok()) << roots.status();
  EXPECT_EQ(*roots, server_->ca().tls_cert_pem());
  const std::string cache = absl::StrCat(data_dir, "/", kCaCacheFile);
  struct stat st;
  ASSERT_EQ(stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  // A gRPC channel built on the pinned root connects (TLS verified by gRPC).
  auto channel = trust.Dial(Deadline());
  ASSERT_TRUE(channel.ok());
  EXPECT_TRUE((*channel)->WaitForConnected(absl::ToChronoTime(Deadline())));

  // Later start, server down: the cache is enough.
  server_->Shutdown();
  ServerTrust again(o, &log::Logger::Discard());
  auto cached = again.Roots(Deadline());
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(*cached, *roots);

  // A cache that no longer matches the pin is not trusted: it needs the
  // server again (down here).
  o.ca_pins = {kOtherPin};
  ServerTrust repinned(o, &log::Logger::Discard());
  EXPECT_EQ(repinned.Roots(Deadline()).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ServerTrustTest, TlsServerNameOverride) {
  ServerTrustOptions o;
  // Addressed by a name that is not in the certificate.
  o.server = absl::StrCat("127.0.0.1:", server_->port());
  o.ca_pins = {server_->pin()};
  o.tls_server_name = "localhost";
  ServerTrust trust(o, &log::Logger::Discard());
  auto channel = trust.Dial(Deadline());
  ASSERT_TRUE(channel.ok()) << channel.status();
  EXPECT_TRUE((*channel)->WaitForConnected(absl::ToChronoTime(Deadline())));

  o.tls_server_name = "not-in-the-cert.example.com";
  ServerTrust wrong(o, &log::Logger::Discard());
  auto bad = wrong.Dial(Deadline());
  ASSERT_TRUE(bad.ok());
  // The handshake fails name verification: the channel never gets ready.
  grpc_connectivity_state state = (*bad)->GetState(true);
  absl::Time deadline = Deadline();
  while (state != GRPC_CHANNEL_TRANSIENT_FAILURE && absl::Now() < deadline) {
    ASSERT_NE(state, GRPC_CHANNEL_READY);
    (*bad)->WaitForStateChange(state, absl::ToChronoTime(deadline));
    state = (*bad)->GetState(true);
  }
  EXPECT_EQ(state, GRPC_CHANNEL_TRANSIENT_FAILURE);
}

TEST_F(ServerTrustTest, CaFile) {
  const std::string path = absl::StrCat(NewDir(), "/ca.pem");
  ASSERT_TRUE(WriteFileAtomic(path, server_->ca().tls_cert_pem()).ok());
  ServerTrustOptions o;
  o.server = server_->address();
  o.ca_file = path;
  ServerTrust trust(o, &log::Logger::Discard());
  auto roots = trust.Roots(Deadline());
  ASSERT_TRUE(roots.ok()) << roots.status();
  EXPECT_EQ(*roots, server_->ca().tls_cert_pem());

  o.ca_pins = {kOtherPin};
  ServerTrust mismatched(o, &log::Logger::Discard());
  auto bad = mismatched.Roots(Deadline());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bad.status().message(), HasSubstr("no certificate matches ca_pin"));

  o.ca_pins.clear();
  o.ca_file = absl::StrCat(path, ".missing");
  ServerTrust missing(o, &log::Logger::Discard());
  EXPECT_EQ(missing.Roots(Deadline()).status().code(), absl::StatusCode::kNotFound);
}

TEST(SplitHostPortTest, Forms) {
  struct Case {
    const char* in;
    const char* host;
    int port;
  };
  const Case kCases[] = {
      {"auth.example.com:3025", "auth.example.com", 3025},
      {"auth.example.com", "auth.example.com", 443},
      {"127.0.0.1:1", "127.0.0.1", 1},
      {"[::1]:3025", "::1", 3025},
      {"[::1]", "::1", 443},
  };
  for (const Case& c : kCases) {
    auto hp = SplitHostPort(c.in, 443);
    ASSERT_TRUE(hp.ok()) << c.in << ": " << hp.status();
    EXPECT_EQ(hp->first, c.host);
    EXPECT_EQ(hp->second, c.port);
  }
  for (const char* bad : {"", ":3025", "host:", "host:0", "host:70000", "host:x", "[::1"}) {
    EXPECT_EQ(SplitHostPort(bad, 443).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace enlist::agent
