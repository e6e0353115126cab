#include "auth/server.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "auth/admin_service.h"
#include "auth/diag_server.h"
#include "auth/join_metrics.h"
#include "auth/ca/cluster_ca.h"
#include "auth/ca/host_issuer.h"
#include "auth/ca/x509_issuer.h"
#include "auth/join_service.h"
#include "auth/storage/event_store.h"
#include "auth/storage/host_store.h"
#include "auth/storage/sqlite_backend.h"
#include "auth/storage/token_store.h"
#include "core/metrics/metrics.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"

namespace enlist::auth {
namespace {

constexpr char kVersion[] = "0.1.0";

// Host part of "host:port" / "[v6]:port".
std::string HostOf(const std::string& addr) {
  if (!addr.empty() && addr[0] == '[') {
    size_t end = addr.find(']');
    return end == std::string::npos ? addr : addr.substr(1, end - 1);
  }
  size_t colon = addr.rfind(':');
  return colon == std::string::npos ? addr : addr.substr(0, colon);
}

bool LooksLikeIp(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
         (s.find('.') != std::string::npos || s.find(':') != std::string::npos);
}

}  // namespace

class AuthServer::Impl {
 public:
  AuthConfig config;
  const join::AuthRegistry* methods = nullptr;
  log::Logger* logger = nullptr;
  const Clock* clock = nullptr;
  std::unique_ptr<ca::ClusterCa> ca;
  std::unique_ptr<storage::SqliteBackend> backend;
  std::unique_ptr<storage::BackendTokenStore> tokens;
  std::unique_ptr<storage::HostStore> hosts;
  std::unique_ptr<storage::EventStore> events;
  std::map<std::string, std::shared_ptr<join::Checker>> checkers;
  std::unique_ptr<ca::CaHostIssuer> issuer;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<JoinService> join_service;
  std::unique_ptr<AdminService> admin_service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  metrics::Registry registry;
  std::unique_ptr<JoinMetrics> join_metrics;
  std::unique_ptr<metrics::GaugeFunc> streams_gauge, refused_gauge, revision_gauge;
  std::unique_ptr<DiagServer> diag;
  std::thread maintenance;
  absl::Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;

  // Purges expired backend items and prunes old events every few minutes,
  // until Shutdown.
  void Maintain();

  ~Impl() {
    {
      absl::MutexLock l(&mu);
      stopped = true;
    }
    if (maintenance.joinable()) maintenance.join();
  }

  absl::Status Init();
  absl::Status WriteAdminIdentity();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials();
};

absl::Status AuthServer::Impl::Init() {
  ENLIST_RETURN_IF_ERROR(MakeDirs(config.data_dir, 0700));
  ENLIST_ASSIGN_OR_RETURN(ca, ca::ClusterCa::LoadOrCreate(config.data_dir, config.cluster_name, *clock));
  if (ca->created()) logger->Info("Created cluster certificate authority", {{"ca_pin", ca->pin()}});

  storage::SqliteOptions so;
  so.data_dir = config.data_dir;
  so.clock = clock;
  ENLIST_ASSIGN_OR_RETURN(backend, storage::SqliteBackend::Open(so));
  storage::TokenStoreOptions to;
  to.clock = clock;
  tokens = std::make_unique<storage::BackendTokenStore>(backend.get(), methods, to);
  hosts = std::make_unique<storage::HostStore>(backend.get());
  storage::EventStoreOptions eo;
  eo.clock = clock;
  eo.on_error = [this](const absl::Status& s) {
    logger->Error("Failed to store audit event", {{"error", std::string(s.message())}});
  };
  events = std::make_unique<storage::EventStore>(backend.get(), eo);

  // Enabled methods: those configured, or all registered ones.
  std::vector<std::string> enabled;
  if (config.methods.empty()) {
    enabled = methods->Names();
  } else {
    for (const auto& kv : config.methods) enabled.push_back(kv.first);
  }
  for (const std::string& name : enabled) {
    absl::StatusOr<const join::AuthJoinMethod*> m = methods->Get(name);
    if (!m.ok()) return absl::InvalidArgumentError(absl::StrCat("config: methods: ", m.status().message()));
    join::CheckerOptions co;
    co.clock = clock;
    auto it = config.methods.find(name);
    if (it != config.methods.end()) co.settings = it->second;
    absl::StatusOr<std::shared_ptr<join::Checker>> checker = (*m)->NewChecker(co);
    if (!checker.ok()) {
      return absl::Status(checker.status().code(),
                          absl::StrCat("config: methods.", name, ": ", checker.status().message()));
    }
    checkers[name] = *std::move(checker);
  }

  ca::HostIssuerOptions io;
  io.ttl = config.host_cert_ttl;
  // A renewing agent keeps its id when the same token admitted it before.
  io.may_keep_host_id = [this](const std::string& prev,
                               const join::IssueRequest& r) -> absl::StatusOr<bool> {
    absl::StatusOr<storage::HostRecord> h = hosts->Get(prev);
    if (absl::IsNotFound(h.status())) return false;
    if (!h.ok()) return h.status();
    return h->token_name == r.token_name && h->join_method == r.join_method;
  };
  io.on_issued = [this](const ca::IssuedHost& issued) -> absl::Status {
    storage::HostJoin j;
    j.host_id = issued.host_id;
    j.host_name = issued.request->host->host_name();
    j.join_method = issued.request->join_method;
    j.token_name = issued.request->token_name;
    j.role = issued.request->role;
    j.attributes = issued.request->attributes;
    j.time = clock->Now();
    j.cert_serial = issued.tls_serial;
    return hosts->RecordJoin(j).status();
  };
  issuer = std::make_unique<ca::CaHostIssuer>(ca.get(), clock, io);

  join_metrics = std::make_unique<JoinMetrics>(events.get());
  join_metrics->Register(&registry);

  pool = std::make_unique<ThreadPool>(config.join_workers);
  join::ServerSessionDeps deps;
  deps.methods = methods;
  deps.checkers = &checkers;
  deps.tokens = tokens.get();
  deps.issuer = issuer.get();
  deps.audit = join_metrics.get();
  deps.logger = logger;
  deps.clock = clock;
  deps.limits.stream_deadline = config.join_deadline;
  JoinServiceOptions jo;
  jo.max_concurrent_streams = config.max_concurrent_joins;
  jo.per_peer_rate = config.per_peer_rate;
  jo.per_peer_burst = config.per_peer_burst;
  join_service = std::make_unique<JoinService>(deps, pool.get(), jo);

  AdminDeps ad;
  ad.methods = methods;
  ad.tokens = tokens.get();
  ad.hosts = hosts.get();
  ad.events = events.get();
  ad.logger = logger;
  ad.status = [this](enlist::admin::v1::ClusterStatus* s) {
    s->set_version(kVersion);
    s->set_cluster_name(config.cluster_name);
    s->set_ca_pin(ca->pin());
    s->set_ssh_ca_public_key(ca->ssh_public_key());
    s->set_active_join_streams(join_service->active_streams());
    s->set_storage(absl::StrCat("sqlite:", backend->path()));
  };
  admin_service = std::make_unique<AdminService>(ad);

  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds, ServerCredentials());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_addr, creds, &port);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.RegisterService(join_service.get());
  builder.RegisterService(admin_service.get());
  server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("listen ", config.listen_addr, ": cannot bind"));
  }
  streams_gauge = std::make_unique<metrics::GaugeFunc>(
      "enlist_join_streams_open", "Join streams currently open.",
      [this] { return static_cast<double>(join_service->active_streams()); });
  revision_gauge = std::make_unique<metrics::GaugeFunc>(
      "enlist_storage_revision", "Current storage revision.", [this] {
        absl::StatusOr<int64_t> r = backend->CurrentRevision();
        return r.ok() ? static_cast<double>(*r) : -1.0;
      });
  refused_gauge = std::make_unique<metrics::GaugeFunc>(
      "enlist_join_streams_refused", "Join streams refused by admission control (stream limit, per-peer rate).",
      [this] { return static_cast<double>(join_service->refused_streams()); });
  registry.Add(streams_gauge.get());
  registry.Add(refused_gauge.get());
  registry.Add(revision_gauge.get());
  if (!config.diag_addr.empty()) {
    ENLIST_ASSIGN_OR_RETURN(diag, DiagServer::Start(config.diag_addr, &registry, [this] {
                              absl::StatusOr<int64_t> r = backend->CurrentRevision();
                              if (!r.ok()) return r.status();
                              absl::MutexLock l(&mu);
                              return stopped ? absl::UnavailableError("shutting down") : absl::OkStatus();
                            }));
    logger->Info("Diagnostics listening", {{"diag_addr", absl::StrCat(HostOf(config.diag_addr), ":", diag->port())}});
  }
  maintenance = std::thread([this] { Maintain(); });
  ENLIST_RETURN_IF_ERROR(WriteAdminIdentity());
  logger->Info("Auth service started",
               {{"listen_addr", absl::StrCat(HostOf(config.listen_addr), ":", port)},
                {"ca_pin", ca->pin()},
                {"cluster", config.cluster_name},
                {"data_dir", config.data_dir}});
  return absl::OkStatus();
}

void AuthServer::Impl::Maintain() {
  absl::MutexLock l(&mu);
  for (;;) {
    // Wakes early when Shutdown sets `stopped`.
    mu.AwaitWithTimeout(absl::Condition(&stopped), absl::Minutes(5));
    if (stopped) return;
    mu.Unlock();
    absl::StatusOr<int64_t> purged = backend->PurgeExpired();
    absl::StatusOr<int64_t> pruned = events->Prune();
    if (!purged.ok() || !pruned.ok()) {
      logger->Warn("Storage maintenance failed",
                   {{"error", std::string(!purged.ok() ? purged.status().message() : pruned.status().message())}});
    }
    mu.Lock();
  }
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> AuthServer::Impl::ServerCredentials() {
  // A fresh server key each start; its certificate names every address the
  // server may be reached by.
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, ca::GenerateP256Key());
  ca::CertProfile p;
  p.common_name = absl::StrCat(config.cluster_name, " auth");
  p.dns_names = {"localhost"};
  p.ip_addresses = {"127.0.0.1", "::1"};
  std::vector<std::string> names = config.public_addrs;
  names.push_back(HostOf(config.listen_addr));
  for (const std::string& n : names) {
    if (n.empty() || n == "0.0.0.0" || n == "::") continue;
    auto& list = LooksLikeIp(n) ? p.ip_addresses : p.dns_names;
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }
  p.server_auth = true;
  p.not_before = clock->Now() - absl::Minutes(5);
  p.not_after = clock->Now() + absl::Hours(24 * 365);
  ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert, ca::IssueCertificate(p, *key, &ca->tls_cert(), ca->tls_key()));
  ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, ca::CertificatePem(*cert));
  ENLIST_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyPem(*key));
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  opts.pem_root_certs = ca->tls_cert_pem();
  // The chain includes the CA certificate so agents can check their pin.
  opts.pem_key_cert_pairs.push_back({key_pem, cert_pem + ca->tls_cert_pem()});
  return grpc::SslServerCredentials(opts);
}

absl::Status AuthServer::Impl::WriteAdminIdentity() {
  std::string dir = absl::StrCat(config.data_dir, "/", kAdminDir);
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::string cert_path = absl::StrCat(dir, "/", kAdminCertFile);
  absl::StatusOr<std::string> existing = ReadFileCapped(cert_path, 64 * 1024);
  if (!existing.ok()) {
    ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, ca::GenerateP256Key());
    ca::CertProfile p;
    p.common_name = "admin";
    p.uris = {absl::StrCat(kAdminUriPrefix, "admin")};
    p.client_auth = true;
    p.not_before = clock->Now() - absl::Minutes(5);
    p.not_after = clock->Now() + absl::Hours(24 * 365);
    ENLIST_ASSIGN_OR_RETURN(crypto::X509Ptr cert, ca::IssueCertificate(p, *key, &ca->tls_cert(), ca->tls_key()));
    ENLIST_ASSIGN_OR_RETURN(std::string cert_pem, ca::CertificatePem(*cert));
    ENLIST_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyPem(*key));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir, "/", kAdminKeyFile), key_pem, 0600));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(cert_path, cert_pem, 0600));
  }
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir, "/", kAdminCaFile), ca->tls_cert_pem(), 0600));
  std::string host = HostOf(config.listen_addr);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  std::string addr = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                                          : absl::StrCat(host, ":", port);
  return WriteFileAtomic(absl::StrCat(dir, "/", kAdminServerFile), addr + "\n", 0600);
}

AuthServer::AuthServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AuthServer::~AuthServer() { Shutdown(absl::Seconds(5)); }

absl::StatusOr<std::unique_ptr<AuthServer>> AuthServer::Start(const AuthConfig& config,
                                                              const join::AuthRegistry* methods,
                                                              log::Logger* logger,
                                                              const Clock* clock) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->methods = methods;
  impl->logger = logger;
  impl->clock = clock;
  ENLIST_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<AuthServer>(new AuthServer(std::move(impl)));
}

int AuthServer::port() const { return impl_->port; }
const std::string& AuthServer::ca_pin() const { return impl_->ca->pin(); }

void AuthServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock l(&impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  if (impl_->server) {
    impl_->server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    impl_->server->Wait();
  }
  // Drains checks still queued; then storage closes with the Impl.
  impl_->pool.reset();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
  impl_->diag.reset();
  impl_->logger->Info("Auth service stopped");
}

}  // namespace enlist::auth
