#include "agent/testing/test_auth_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/ca/x509_issuer.h"
#include "core/token/token_resource.h"
#include "core/util/status_macros.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::agent::testing {

const char kTestTokens[] =
    "kind: token\nversion: v2\nmetadata: {name: boot}\n"
    "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n"
    "---\nkind: token\nversion: v2\nmetadata: {name: proxy-only}\n"
    "spec: {roles: [Proxy], join_method: token, token: {secret: correct-horse-battery-staple}}\n";

absl::StatusOr<std::unique_ptr<TestAuthServer>> TestAuthServer::Start(
    const std::string& ca_dir, TestAuthServerOptions options) {
  std::unique_ptr<TestAuthServer> s(new TestAuthServer());
  s->options_ = options;
  ENLIST_ASSIGN_OR_RETURN(s->ca_, ca::ClusterCa::LoadOrCreate(ca_dir, "test", RealClock::Get()));

  ca::HostIssuerOptions issuer_options;
  issuer_options.ttl = options.ttl;
  bool keep = options.keep_host_id;
  absl::Status renewal_error = options.renewal_error;
  issuer_options.may_keep_host_id = [keep, renewal_error](const std::string&,
                                                          const join::IssueRequest&) {
    if (!renewal_error.ok()) return absl::StatusOr<bool>(renewal_error);
    return absl::StatusOr<bool>(keep);
  };
  TestAuthServer* raw = s.get();
  issuer_options.on_issued = [raw](const ca::IssuedHost&) {
    raw->issued_.fetch_add(1);
    return absl::OkStatus();
  };
  s->issuer_ = std::make_unique<ca::CaHostIssuer>(s->ca_.get(), options.clock, issuer_options);

  ENLIST_RETURN_IF_ERROR(token_method::RegisterTokenAuth(s->methods_));
  ENLIST_ASSIGN_OR_RETURN(const join::AuthJoinMethod* method, s->methods_.Get("token"));
  ENLIST_ASSIGN_OR_RETURN(s->checkers_["token"], method->NewChecker(join::CheckerOptions()));
  ENLIST_ASSIGN_OR_RETURN(std::vector<token::TokenResource> tokens,
                          token::ParseTokens(options.tokens, "tokens.yaml", s->methods_));
  s->tokens_ = std::make_unique<token::MemoryTokenStore>();
  for (const auto& t : tokens) ENLIST_RETURN_IF_ERROR(s->tokens_->PutToken(t, false));

  join::ServerSessionDeps deps;
  deps.methods = &s->methods_;
  deps.checkers = &s->checkers_;
  deps.tokens = s->tokens_.get();
  deps.issuer = s->issuer_.get();
  s->pool_ = std::make_unique<ThreadPool>(2);
  s->service_ = std::make_unique<auth::JoinService>(deps, s->pool_.get());

  // The server's own certificate, issued by the cluster CA.
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, ca::GenerateP256Key());
  ca::CertProfile profile;
  profile.common_name = "enlist-auth";
  profile.dns_names = {"localhost"};
  profile.ip_addresses = {"127.0.0.1"};
  profile.server_auth = true;
  profile.not_before = absl::Now() - absl::Minutes(5);
  profile.not_after = absl::Now() + absl::Hours(24);
  ENLIST_ASSIGN_OR_RETURN(
      crypto::X509Ptr leaf,
      ca::IssueCertificate(profile, *key, &s->ca_->tls_cert(), s->ca_->tls_key()));
  ENLIST_ASSIGN_OR_RETURN(std::string leaf_pem, ca::CertificatePem(*leaf));
  ENLIST_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyPem(*key));
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({key_pem, leaf_pem + s->ca_->tls_cert_pem()});

  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", options.port),
                           grpc::SslServerCredentials(ssl), &s->port_);
  builder.RegisterService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("test auth server: cannot listen on 127.0.0.1:", options.port));
  }
  return s;
}

TestAuthServer::~TestAuthServer() { Shutdown(); }

std::string TestAuthServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

void TestAuthServer::Shutdown() {
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    server_->Wait();
    server_.reset();
  }
}

absl::StatusOr<std::unique_ptr<ReservedPort>> ReservedPort::Bind() {
  std::unique_ptr<ReservedPort> p(new ReservedPort());
  p->fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (p->fd_ < 0) return absl::UnavailableError("reserved port: socket failed");
  int one = 1;
  setsockopt(p->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(p->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(p->fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::UnavailableError("reserved port: bind failed");
  }
  p->port_ = ntohs(addr.sin_port);
  return p;
}

ReservedPort::~ReservedPort() { Release(); }

void ReservedPort::Release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace enlist::agent::testing
