#include "auth/public/join_server.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "auth/ca/cluster_ca.h"
#include "auth/ca/host_issuer.h"
#include "auth/ca/x509_issuer.h"
#include "auth/join_service.h"
#include "auth/storage/event_store.h"
#include "auth/storage/host_store.h"
#include "auth/storage/sqlite_backend.h"
#include "auth/storage/token_store.h"
#include "core/rpc/keepalive.h"
#include "core/token/token_resource.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "grpcpp/security/server_credentials.h"

namespace enlist::auth {
namespace {

// Sends each event to the audit log and to the embedder's sink.
class FanOutAudit final : public join::AuditSink {
 public:
  FanOutAudit(join::AuditSink* first, join::AuditSink* second) : first_(first), second_(second) {}
  void Record(const join::JoinEvent& e) override {
    if (first_ != nullptr) first_->Record(e);
    if (second_ != nullptr) second_->Record(e);
  }

 private:
  join::AuditSink* first_;
  join::AuditSink* second_;
};

}  // namespace

class JoinServer::Impl {
 public:
  AuthConfig config;
  JoinServerDeps deps;
  std::unique_ptr<ca::ClusterCa> ca;
  std::unique_ptr<storage::SqliteBackend> own_backend;
  storage::Backend* backend = nullptr;
  std::unique_ptr<storage::BackendTokenStore> own_tokens;
  token::TokenStore* tokens = nullptr;
  std::unique_ptr<storage::HostStore> hosts;
  std::unique_ptr<storage::EventStore> events;
  std::unique_ptr<FanOutAudit> audit;
  std::map<std::string, std::shared_ptr<join::Checker>> checkers;
  std::unique_ptr<ca::CaHostIssuer> own_issuer;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<JoinService> service;
  const std::string empty;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;

  absl::Status Init();
  absl::Status OpenStorage();
  absl::Status BuildCheckers();
  void BuildIssuer();
};

absl::Status JoinServer::Impl::OpenStorage() {
  backend = deps.backend;
  const bool needs_backend = deps.tokens == nullptr || deps.issuer == nullptr;
  if (backend == nullptr && needs_backend) {
    ENLIST_RETURN_IF_ERROR(MakeDirs(config.data_dir, 0700));
    storage::SqliteOptions so;
    so.data_dir = config.data_dir;
    so.clock = deps.clock;
    ENLIST_ASSIGN_OR_RETURN(own_backend, storage::SqliteBackend::Open(so));
    backend = own_backend.get();
  }
  tokens = deps.tokens;
  if (tokens == nullptr) {
    storage::TokenStoreOptions to;
    to.clock = deps.clock;
    own_tokens = std::make_unique<storage::BackendTokenStore>(backend, deps.methods, to);
    tokens = own_tokens.get();
  }
  if (backend != nullptr) {
    hosts = std::make_unique<storage::HostStore>(backend);
    storage::EventStoreOptions eo;
    eo.clock = deps.clock;
    log::Logger* logger = deps.logger;
    eo.on_error = [logger](const absl::Status& s) {
      logger->Error("Failed to store audit event", {{"error", std::string(s.message())}});
    };
    events = std::make_unique<storage::EventStore>(backend, eo);
  }
  audit = std::make_unique<FanOutAudit>(events.get(), deps.audit);
  return absl::OkStatus();
}

absl::Status JoinServer::Impl::BuildCheckers() {
  // Enabled methods: those configured, or all registered ones.
  std::vector<std::string> enabled;
  if (config.methods.empty()) {
    enabled = deps.methods->Names();
  } else {
    for (const auto& kv : config.methods) enabled.push_back(kv.first);
  }
  for (const std::string& name : enabled) {
    absl::StatusOr<const join::AuthJoinMethod*> m = deps.methods->Get(name);
    if (!m.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config: methods: ", m.status().message()));
    }
    join::CheckerOptions co;
    co.clock = deps.clock;
    auto it = config.methods.find(name);
    if (it != config.methods.end()) co.settings = it->second;
    absl::StatusOr<std::shared_ptr<join::Checker>> checker = (*m)->NewChecker(co);
    if (!checker.ok()) {
      return absl::Status(checker.status().code(), absl::StrCat("config: methods.", name, ": ",
                                                                checker.status().message()));
    }
    checkers[name] = *std::move(checker);
  }
  return absl::OkStatus();
}

void JoinServer::Impl::BuildIssuer() {
  ca::HostIssuerOptions io;
  io.ttl = config.host_cert_ttl;
  storage::HostStore* host_store = hosts.get();
  const Clock* clock = deps.clock;
  // A renewing agent keeps its id when the same token admitted it before.
  io.may_keep_host_id = [host_store](const std::string& prev,
                                     const join::IssueRequest& r) -> absl::StatusOr<bool> {
    absl::StatusOr<storage::HostRecord> h = host_store->Get(prev);
    if (absl::IsNotFound(h.status())) return false;
    if (!h.ok()) return h.status();
    return h->token_name == r.token_name && h->join_method == r.join_method;
  };
  io.on_issued = [host_store, clock](const ca::IssuedHost& issued) -> absl::Status {
    storage::HostJoin j;
    j.host_id = issued.host_id;
    j.host_name = issued.request->host->host_name();
    j.join_method = issued.request->join_method;
    j.token_name = issued.request->token_name;
    j.role = issued.request->role;
    j.attributes = issued.request->attributes;
    j.time = clock->Now();
    j.cert_serial = issued.tls_serial;
    j.new_host_id = !issued.renewed;
    return host_store->RecordJoin(j).status();
  };
  own_issuer = std::make_unique<ca::CaHostIssuer>(ca.get(), clock, io);
}

absl::Status JoinServer::Impl::Init() {
  if (deps.methods == nullptr) return absl::InvalidArgumentError("join server: methods is required");
  if (deps.logger == nullptr) deps.logger = &log::Logger::Discard();
  if (deps.clock == nullptr) deps.clock = &RealClock::Get();
  if (deps.issuer == nullptr) {
    ENLIST_RETURN_IF_ERROR(MakeDirs(config.data_dir, 0700));
    ENLIST_ASSIGN_OR_RETURN(
        ca, ca::ClusterCa::LoadOrCreate(config.data_dir, config.cluster_name, *deps.clock));
    if (ca->created()) {
      deps.logger->Info("Created cluster certificate authority", {{"ca_pin", ca->pin()}});
    }
  }
  ENLIST_RETURN_IF_ERROR(OpenStorage());
  ENLIST_RETURN_IF_ERROR(BuildCheckers());
  if (deps.issuer == nullptr) BuildIssuer();

  pool = std::make_unique<ThreadPool>(config.join_workers);
  join::ServerSessionDeps sd;
  sd.methods = deps.methods;
  sd.checkers = &checkers;
  sd.tokens = tokens;
  sd.issuer = deps.issuer != nullptr ? deps.issuer : own_issuer.get();
  sd.audit = audit.get();
  sd.logger = deps.logger;
  sd.clock = deps.clock;
  sd.limits.stream_deadline = config.join_deadline;
  JoinServiceOptions jo;
  jo.max_concurrent_streams = config.max_concurrent_joins;
  jo.per_peer_rate = config.per_peer_rate;
  jo.per_peer_burst = config.per_peer_burst;
  jo.is_trusted_proxy = deps.is_trusted_proxy;
  if (backend != nullptr) {
    jo.sync = [b = backend](std::function<void(absl::Status)> done) { b->Sync(std::move(done)); };
  }
  service = std::make_unique<JoinService>(sd, pool.get(), jo);
  return absl::OkStatus();
}

JoinServer::JoinServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

JoinServer::~JoinServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<JoinServer>> JoinServer::Create(const AuthConfig& config,
                                                               JoinServerDeps deps) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->deps = std::move(deps);
  ENLIST_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<JoinServer>(new JoinServer(std::move(impl)));
}

void JoinServer::Register(grpc::ServerBuilder& builder) {
  // enlist-proxy pings during streams every rpc::kProxyKeepaliveTime; gRPC's
  // default policy (one ping per 5 minutes without data) would answer with
  // GOAWAY "too_many_pings" and fail every join on the connection.
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(rpc::kMinPermittedPingInterval)));
  builder.RegisterService(impl_->service.get());
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> JoinServer::ServerCredentials(
    const std::vector<std::string>& names) const {
  const ca::ClusterCa* ca = impl_->ca.get();
  if (ca == nullptr) {
    return absl::FailedPreconditionError(
        "join server: server credentials: no cluster CA (a custom issuer is in use)");
  }
  // A fresh server key each time; the certificate names every address the
  // server may be reached by.
  ENLIST_ASSIGN_OR_RETURN(ca::ServerTlsPem tls,
                          ca::IssueServerTls(*ca, absl::StrCat(impl_->config.cluster_name, " auth"),
                                             names, *impl_->deps.clock));
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = ca->tls_cert_pem();
  opts.pem_key_cert_pairs.push_back({tls.key_pem, tls.chain_pem});
  return grpc::SslServerCredentials(opts);
}

absl::StatusOr<IssuedCredential> JoinServer::IssueClientCertificate(const std::string& common_name,
                                                                    const std::string& uri,
                                                                    absl::Duration ttl) const {
  const ca::ClusterCa* ca = impl_->ca.get();
  if (ca == nullptr) {
    return absl::FailedPreconditionError(
        "join server: client certificate: no cluster CA (a custom issuer is in use)");
  }
  const Clock& clock = *impl_->deps.clock;
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, ca::GenerateP256Key());
  ca::CertProfile p;
  p.common_name = common_name;
  if (!uri.empty()) p.uris = {uri};
  p.client_auth = true;
  p.not_before = clock.Now() - absl::Minutes(5);
  p.not_after = clock.Now() + ttl;
  ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert,
                          ca::IssueCertificate(p, *key, &ca->tls_cert(), ca->tls_key()));
  IssuedCredential out;
  ENLIST_ASSIGN_OR_RETURN(out.cert_pem, ca::CertificatePem(*cert));
  ENLIST_ASSIGN_OR_RETURN(out.key_pem, ca::PrivateKeyPem(*key));
  return out;
}

absl::Status JoinServer::PutTokens(absl::string_view yaml, absl::string_view source) {
  ENLIST_ASSIGN_OR_RETURN(std::vector<token::TokenResource> parsed,
                          token::ParseTokens(yaml, source, *impl_->deps.methods));
  for (const token::TokenResource& t : parsed) {
    ENLIST_RETURN_IF_ERROR(impl_->tokens->PutToken(t, /*overwrite=*/true));
  }
  return absl::OkStatus();
}

token::TokenStore* JoinServer::tokens() const { return impl_->tokens; }

const std::string& JoinServer::ca_pin() const {
  return impl_->ca != nullptr ? impl_->ca->pin() : impl_->empty;
}
const std::string& JoinServer::ca_cert_pem() const {
  return impl_->ca != nullptr ? impl_->ca->tls_cert_pem() : impl_->empty;
}
const std::string& JoinServer::ssh_ca_public_key() const {
  return impl_->ca != nullptr ? impl_->ca->ssh_public_key() : impl_->empty;
}

int JoinServer::active_streams() const { return impl_->service->active_streams(); }

int64_t JoinServer::refused_streams() const { return impl_->service->refused_streams(); }

void JoinServer::Shutdown() {
  {
    absl::MutexLock l(&impl_->mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  // Runs the checks still queued, then joins the workers.
  impl_->pool.reset();
}

}  // namespace enlist::auth
