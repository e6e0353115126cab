#include "tools/proxy/fake_upstream.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/ca/cluster_ca.h"
#include "auth/ca/x509_issuer.h"
#include "auth/proxy_identity.h"
#include "core/util/clock.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::proxy::testing {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

absl::StatusOr<TestPki> MakeTestPki(const std::string& dir) {
  const Clock& clock = RealClock::Get();
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<ca::ClusterCa> ca,
                          ca::ClusterCa::LoadOrCreate(dir, "proxy-test", clock));
  const std::string proxy_dir = absl::StrCat(dir, "/", auth::kProxyDir);
  ENLIST_RETURN_IF_ERROR(auth::WriteProxyIdentity(*ca, proxy_dir, "test", {}, clock));
  TestPki pki;
  pki.ca_pem = ca->tls_cert_pem();
  ENLIST_ASSIGN_OR_RETURN(
      pki.proxy_cert_pem,
      ReadFileCapped(absl::StrCat(proxy_dir, "/", auth::kProxyCertFile), 1 << 16));
  ENLIST_ASSIGN_OR_RETURN(
      pki.proxy_key_pem,
      ReadFileCapped(absl::StrCat(proxy_dir, "/", auth::kProxyKeyFile), 1 << 16));
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, ca::GenerateP256Key());
  ca::CertProfile p;
  p.common_name = "fake auth";
  p.dns_names = {"localhost"};
  p.ip_addresses = {"127.0.0.1"};
  p.server_auth = true;
  p.not_before = clock.Now() - absl::Minutes(5);
  p.not_after = clock.Now() + absl::Hours(1);
  ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert,
                          ca::IssueCertificate(p, *key, &ca->tls_cert(), ca->tls_key()));
  ENLIST_ASSIGN_OR_RETURN(pki.server_cert_pem, ca::CertificatePem(*cert));
  ENLIST_ASSIGN_OR_RETURN(pki.server_key_pem, ca::PrivateKeyPem(*key));
  return pki;
}

bool FakeStream::Read(JoinRequest* request) {
  if (!stream_->Read(request)) return false;
  absl::MutexLock l(&owner_->mu_);
  owner_->streams_[index_].received.push_back(*request);
  return true;
}

absl::StatusOr<std::unique_ptr<FakeUpstream>> FakeUpstream::Start(const TestPki& pki,
                                                                  Handler handler) {
  auto fake = std::unique_ptr<FakeUpstream>(new FakeUpstream(std::move(handler)));
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = pki.ca_pem;
  ssl.pem_key_cert_pairs.push_back({pki.server_key_pem, pki.server_cert_pem + pki.ca_pem});
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
  builder.RegisterService(fake.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr || port == 0) {
    return absl::UnavailableError("fake upstream: cannot bind 127.0.0.1:0");
  }
  fake->address_ = absl::StrCat("127.0.0.1:", port);
  return fake;
}

void FakeUpstream::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

std::vector<SeenStream> FakeUpstream::streams() const {
  absl::MutexLock l(&mu_);
  return streams_;
}

bool FakeUpstream::AwaitEnded(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto done = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return ended_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool FakeUpstream::AwaitStarted(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto done = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(streams_.size()) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

grpc::Status FakeUpstream::Join(grpc::ServerContext* context,
                                grpc::ServerReaderWriter<JoinResponse, JoinRequest>* stream) {
  size_t index;
  {
    absl::MutexLock l(&mu_);
    index = streams_.size();
    SeenStream seen;
    seen.proxy_peer = auth::IsProxyPeer(*context);
    seen.deadline = context->deadline();
    streams_.push_back(std::move(seen));
  }
  FakeStream fs(this, index, context, stream);
  grpc::Status status = handler_(fs);
  absl::MutexLock l(&mu_);
  ++ended_;
  return status;
}

namespace {

JoinResponse Challenge(const std::string& value) {
  JoinResponse r;
  r.mutable_challenge()->mutable_payload()->set_type_url("type.googleapis.com/test.Challenge");
  r.mutable_challenge()->mutable_payload()->set_value(value);
  return r;
}

JoinResponse ServerInit(const JoinRequest& first) {
  JoinResponse r;
  r.mutable_init()->set_join_method(first.init().join_method());
  return r;
}

}  // namespace

FakeUpstream::Handler ChallengeRounds(int rounds) {
  return [rounds](FakeStream& s) {
    JoinRequest req;
    if (!s.Read(&req)) return grpc::Status(grpc::StatusCode::CANCELLED, "fake: no ClientInit");
    s.Write(ServerInit(req));
    s.Write(Challenge("c1"));
    for (int i = 1; i <= rounds; ++i) {
      if (!s.Read(&req)) return grpc::Status(grpc::StatusCode::CANCELLED, "fake: no Solution");
      if (i < rounds) s.Write(Challenge(absl::StrCat("c", i + 1)));
    }
    JoinResponse result;
    result.mutable_result()->set_host_id("host-1");
    s.Write(result);
    return grpc::Status::OK;
  };
}

FakeUpstream::Handler AnswerThenHang() {
  return [](FakeStream& s) {
    JoinRequest req;
    if (!s.Read(&req)) return grpc::Status(grpc::StatusCode::CANCELLED, "fake: no ClientInit");
    s.Write(ServerInit(req));
    s.Write(Challenge("c1"));
    while (s.Read(&req)) {
    }
    return grpc::Status(grpc::StatusCode::CANCELLED, "fake: stream ended");
  };
}

FakeUpstream::Handler Refuse(grpc::Status status) {
  return [status](FakeStream& s) {
    JoinRequest req;
    s.Read(&req);
    return status;
  };
}

FakeUpstream::Handler BigChallenge(size_t bytes) {
  return [bytes](FakeStream& s) {
    JoinRequest req;
    if (!s.Read(&req)) return grpc::Status(grpc::StatusCode::CANCELLED, "fake: no ClientInit");
    s.Write(ServerInit(req));
    s.Write(Challenge(std::string(bytes, 'x')));
    while (s.Read(&req)) {
    }
    return grpc::Status::OK;
  };
}

}  // namespace enlist::proxy::testing
