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
#include "auth/ca/shared_ca.h"
#include "auth/proxy_identity.h"
#include "auth/public/join_server.h"
#include "auth/storage/etcd_backend.h"
#include "auth/storage/event_store.h"
#include "auth/storage/host_store.h"
#include "auth/storage/sqlite_backend.h"
#include "auth/storage/token_cache.h"
#include "auth/storage/token_store.h"
#include "core/metrics/metrics.h"
#include "core/token/gated_token_store.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/grpcpp.h"

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

}  // namespace

class AuthServer::Impl {
 public:
  AuthConfig config;
  const join::AuthRegistry* methods = nullptr;
  log::Logger* logger = nullptr;
  const Clock* clock = nullptr;
  std::unique_ptr<storage::Backend> backend;
  // "sqlite:<path>" or "etcd:<endpoints><prefix>", for status.
  std::string storage_desc;
  // etcd only (declared after `backend`, so destroyed before it): whether
  // the shared CA is still ours, and tokens answered from a watched cache,
  // refused while the CA check fails. Null with SQLite (the join server
  // reads tokens from the backend itself).
  std::unique_ptr<ca::SharedCaMonitor> ca_monitor;
  std::unique_ptr<storage::BackendTokenStore> backend_tokens;
  std::unique_ptr<storage::CachedTokenStore> token_cache;
  std::unique_ptr<token::GatedTokenStore> tokens;
  // The admin service's views of the storage the join server writes.
  std::unique_ptr<storage::HostStore> hosts;
  std::unique_ptr<storage::EventStore> events;
  // Built through the public embedding API, like any embedding service.
  std::unique_ptr<JoinServer> join_server;
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
  absl::Status OpenStorage();
  absl::Status WriteAdminIdentity();
};

absl::Status AuthServer::Impl::OpenStorage() {
  if (config.storage.type == StorageConfig::Type::kSqlite) {
    storage::SqliteOptions so;
    so.data_dir = config.data_dir;
    so.clock = clock;
    ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<storage::SqliteBackend> sqlite,
                            storage::SqliteBackend::Open(so));
    storage_desc = absl::StrCat("sqlite:", sqlite->path());
    backend = std::move(sqlite);
    return absl::OkStatus();
  }
  storage::EtcdOptions eo;
  eo.client.endpoints = config.storage.endpoints;
  eo.client.tls.ca_file = config.storage.tls_ca_file;
  eo.client.tls.cert_file = config.storage.tls_cert_file;
  eo.client.tls.key_file = config.storage.tls_key_file;
  eo.client.tls.server_name = config.storage.tls_server_name;
  eo.prefix = config.storage.prefix;
  eo.clock = clock;
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<storage::EtcdBackend> etcd, storage::EtcdBackend::Open(eo));
  storage_desc = etcd->Describe();
  const storage::WatchFactory watches = etcd->SnapshotWatchFactory();
  backend = std::move(etcd);
  // Several servers share one CA: agree on it through etcd before the join
  // server loads it from the data directory.
  ENLIST_ASSIGN_OR_RETURN(ca::SharedCaOrigin origin,
                          ca::SyncSharedCa(*backend, config.data_dir, config.cluster_name, *clock));
  const char* how = origin == ca::SharedCaOrigin::kCreated   ? "created"
                    : origin == ca::SharedCaOrigin::kOffered ? "offered"
                    : origin == ca::SharedCaOrigin::kAdopted ? "adopted"
                                                             : "in sync";
  logger->Info("Shared cluster certificate authority", {{"ca", how}, {"storage", storage_desc}});

  // Watches keep the shared state current locally (docs/high-availability.md,
  // "What is cached"). Until they are established every read goes to etcd,
  // so not waiting long here costs only speed.
  ENLIST_ASSIGN_OR_RETURN(ca::ClusterCaFiles issuing, ca::ReadClusterCaFiles(config.data_dir));
  ca_monitor = std::make_unique<ca::SharedCaMonitor>(backend.get(), issuing);
  ENLIST_RETURN_IF_ERROR(ca_monitor->Start(watches));
  storage::TokenStoreOptions to;
  to.clock = clock;
  backend_tokens = std::make_unique<storage::BackendTokenStore>(backend.get(), methods, to);
  token_cache = std::make_unique<storage::CachedTokenStore>(backend_tokens.get());
  ENLIST_RETURN_IF_ERROR(token_cache->Start(watches));
  tokens = std::make_unique<token::GatedTokenStore>(
      token_cache.get(), [monitor = ca_monitor.get()] { return monitor->Check(); });
  if (!ca_monitor->WaitUntilWatching(absl::Seconds(5)) ||
      !token_cache->WaitUntilWatching(absl::Seconds(5))) {
    logger->Warn("Storage watches not established yet; reading etcd directly until they are",
                 {{"storage", storage_desc}});
  }
  return absl::OkStatus();
}

absl::Status AuthServer::Impl::Init() {
  ENLIST_RETURN_IF_ERROR(MakeDirs(config.data_dir, 0700));
  ENLIST_RETURN_IF_ERROR(OpenStorage());
  hosts = std::make_unique<storage::HostStore>(backend.get());
  storage::EventStoreOptions eo;
  eo.clock = clock;
  eo.on_error = [this](const absl::Status& s) {
    logger->Error("Failed to store audit event", {{"error", std::string(s.message())}});
  };
  events = std::make_unique<storage::EventStore>(backend.get(), eo);

  // The join server keeps its audit log in the same backend; the metrics
  // see every attempt through its audit hook.
  join_metrics = std::make_unique<JoinMetrics>(nullptr);
  join_metrics->Register(&registry);
  JoinServerDeps jd;
  jd.methods = methods;
  jd.logger = logger;
  jd.clock = clock;
  jd.backend = backend.get();
  jd.tokens = tokens.get();  // null with SQLite: the backend's
  jd.audit = join_metrics.get();
  // Agent addresses stamped by an enlist-proxy (a urn:enlist:proxy: client
  // certificate from the cluster CA) are believed; nobody else's.
  jd.is_trusted_proxy = [](const grpc::CallbackServerContext& ctx) { return IsProxyPeer(ctx); };
  ENLIST_ASSIGN_OR_RETURN(join_server, JoinServer::Create(config, jd));

  AdminDeps ad;
  ad.methods = methods;
  ad.tokens = join_server->tokens();
  ad.hosts = hosts.get();
  ad.events = events.get();
  ad.logger = logger;
  ad.status = [this](enlist::admin::v1::ClusterStatus* s) {
    s->set_version(kVersion);
    s->set_cluster_name(config.cluster_name);
    s->set_ca_pin(join_server->ca_pin());
    s->set_ssh_ca_public_key(join_server->ssh_ca_public_key());
    s->set_active_join_streams(join_server->active_streams());
    s->set_storage(storage_desc);
  };
  admin_service = std::make_unique<AdminService>(ad);

  std::vector<std::string> names = config.public_addrs;
  names.push_back(HostOf(config.listen_addr));
  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
                          join_server->ServerCredentials(names));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_addr, creds, &port);
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  join_server->Register(builder);
  builder.RegisterService(admin_service.get());
  server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("listen ", config.listen_addr, ": cannot bind"));
  }
  streams_gauge = std::make_unique<metrics::GaugeFunc>(
      "enlist_join_streams_open", "Join streams currently open.",
      [this] { return static_cast<double>(join_server->active_streams()); });
  revision_gauge = std::make_unique<metrics::GaugeFunc>(
      "enlist_storage_revision", "Current storage revision.", [this] {
        absl::StatusOr<int64_t> r = backend->CurrentRevision();
        return r.ok() ? static_cast<double>(*r) : -1.0;
      });
  refused_gauge = std::make_unique<metrics::GaugeFunc>(
      "enlist_join_streams_refused", "Join streams refused by admission control (stream limit, per-peer rate).",
      [this] { return static_cast<double>(join_server->refused_streams()); });
  registry.Add(streams_gauge.get());
  registry.Add(refused_gauge.get());
  registry.Add(revision_gauge.get());
  if (!config.diag_addr.empty()) {
    ENLIST_ASSIGN_OR_RETURN(diag, DiagServer::Start(config.diag_addr, &registry, [this] {
                              absl::StatusOr<int64_t> r = backend->CurrentRevision();
                              if (!r.ok()) return r.status();
                              // Not ready while joins are refused for a changed CA.
                              if (ca_monitor != nullptr) ENLIST_RETURN_IF_ERROR(ca_monitor->Check());
                              absl::MutexLock l(&mu);
                              return stopped ? absl::UnavailableError("shutting down") : absl::OkStatus();
                            }));
    logger->Info("Diagnostics listening", {{"diag_addr", absl::StrCat(HostOf(config.diag_addr), ":", diag->port())}});
  }
  maintenance = std::thread([this] { Maintain(); });
  ENLIST_RETURN_IF_ERROR(WriteAdminIdentity());
  {
    // A proxy identity to copy to enlist-proxy hosts (written once).
    ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<ca::ClusterCa> ca,
                            ca::ClusterCa::LoadOrCreate(config.data_dir, config.cluster_name, *clock));
    ENLIST_RETURN_IF_ERROR(WriteProxyIdentity(*ca, absl::StrCat(config.data_dir, "/", kProxyDir),
                                              "proxy", config.public_addrs, *clock));
  }
  logger->Info("Auth service started",
               {{"listen_addr", absl::StrCat(HostOf(config.listen_addr), ":", port)},
                {"ca_pin", join_server->ca_pin()},
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

absl::Status AuthServer::Impl::WriteAdminIdentity() {
  std::string dir = absl::StrCat(config.data_dir, "/", kAdminDir);
  ENLIST_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::string cert_path = absl::StrCat(dir, "/", kAdminCertFile);
  absl::StatusOr<std::string> existing = ReadFileCapped(cert_path, 64 * 1024);
  if (!existing.ok()) {
    ENLIST_ASSIGN_OR_RETURN(IssuedCredential admin,
                            join_server->IssueClientCertificate(
                                "admin", absl::StrCat(kAdminUriPrefix, "admin"), absl::Hours(24 * 365)));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir, "/", kAdminKeyFile), admin.key_pem, 0600));
    ENLIST_RETURN_IF_ERROR(WriteFileAtomic(cert_path, admin.cert_pem, 0600));
  }
  ENLIST_RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(dir, "/", kAdminCaFile), join_server->ca_cert_pem(), 0600));
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
const std::string& AuthServer::ca_pin() const { return impl_->join_server->ca_pin(); }

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
  impl_->join_server->Shutdown();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
  impl_->diag.reset();
  impl_->logger->Info("Auth service stopped");
}

}  // namespace enlist::auth
