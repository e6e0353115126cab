// PUBLIC API (stable): Enlist's join service, embeddable in any gRPC server.
//
// A service that already runs its own grpc::Server offers joins by building
// a JoinServer and registering it on its own grpc::ServerBuilder, next to its
// own services; they share the port and the TLS credentials:
//
//   join::AuthRegistry methods;
//   RegisterBuiltinAuthMethods(methods);            // auth/public/builtin_methods.h
//   methods.Register(std::make_unique<MyMethod>()); // the service's own methods
//   AuthConfig config;                              // auth/public/config.h
//   config.data_dir = "/var/lib/my-service/enlist";
//   auto join = JoinServer::Create(config, {.methods = &methods});
//   grpc::ServerBuilder builder;
//   builder.AddListeningPort(addr, *(*join)->ServerCredentials({"my.host"}));
//   (*join)->Register(builder);
//   builder.RegisterService(&my_service);
//   std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
//   ...
//   server->Shutdown(); server->Wait(); (*join)->Shutdown();
//
// Everything the service depends on can be replaced through JoinServerDeps
// (storage, token store, certificate issuer, audit sink, clock, logger);
// what is not supplied takes the default: the cluster CA in
// `<data_dir>/ca/`, SQLite in `<data_dir>/enlist.db`.
//
// Stable here: every symbol declared in this file. The types it uses come
// from the plugin contract, also stable: core/join/{registry,checker,issuer,
// audit}.h, core/token/token_store.h, auth/storage/backend.h,
// core/log/logger.h, core/util/clock.h, and AuthConfig (auth/public/config.h).
// See docs/embedding.md for what is internal.
#ifndef ENLIST_AUTH_PUBLIC_JOIN_SERVER_H_
#define ENLIST_AUTH_PUBLIC_JOIN_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/public/config.h"
#include "auth/storage/backend.h"
#include "core/join/audit.h"
#include "core/join/issuer.h"
#include "core/join/registry.h"
#include "core/log/logger.h"
#include "core/token/token_store.h"
#include "core/util/clock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"

namespace enlist::auth {

// What a JoinServer uses. Pointers are not owned; everything given must
// outlive the JoinServer. Null members take the default named.
struct JoinServerDeps {
  // The auth halves of the join methods to serve. Required. Methods the
  // embedding program registers itself work like the built-in ones.
  const join::AuthRegistry* methods = nullptr;
  // Null: log::Logger::Discard().
  log::Logger* logger = nullptr;
  // Token expiry, certificate validity, audit times. Null: the real clock.
  const Clock* clock = nullptr;
  // Key-value storage for tokens, the host registry and the audit log.
  // Null: a SQLite database in `config.data_dir` — opened only when
  // something needs storage (`tokens` or `issuer` left null).
  storage::Backend* backend = nullptr;
  // Where tokens are read (and single-use tokens consumed). Null: tokens in
  // the backend.
  token::TokenStore* tokens = nullptr;
  // Turns an accepted join into a host identity. Null: the cluster CA in
  // `<data_dir>/ca/` (created on first use) issues the X.509 and SSH host
  // certificates, and the backend keeps the host registry (a renewing agent
  // keeps its host id when the same token admitted it).
  join::HostIssuer* issuer = nullptr;
  // Receives every join attempt the server admits, accepted or denied (in
  // addition to the backend's audit log, when there is a backend); streams
  // turned away by admission control (stream limit, per-peer rate) are
  // only counted. Null: none.
  join::AuditSink* audit = nullptr;
  // Decides whether a peer is a trusted proxy whose stamped client address
  // is believed. Empty: nobody is.
  std::function<bool(const grpc::CallbackServerContext&)> is_trusted_proxy;
};

// A certificate and its private key, PEM.
struct IssuedCredential {
  std::string cert_pem;
  std::string key_pem;
};

// Enlist's join service (enlist.join.v1.JoinService) with everything behind
// it. Thread-safe after Create.
//
// From `config` it reads: cluster_name, data_dir, host_cert_ttl,
// join_deadline, max_concurrent_joins, per_peer_rate, per_peer_burst,
// join_workers and methods (per-method
// settings; a listed method is enabled, none listed enables every
// registered one). The listening address, diagnostics and logging settings
// belong to the caller's own server and are ignored.
class JoinServer {
 public:
  // Builds the service: creates the data directory (0700) if the defaults
  // need it, loads or creates the cluster CA, opens storage, and builds one
  // checker per enabled method. Errors: kInvalidArgument for a missing
  // registry or an enabled method that is not registered or whose settings
  // are wrong (message "config: methods.<name>: ..."); the CA's and
  // storage's codes (kUnavailable I/O, kFailedPrecondition a damaged CA
  // directory).
  static absl::StatusOr<std::unique_ptr<JoinServer>> Create(const AuthConfig& config,
                                                            JoinServerDeps deps);
  // Calls Shutdown(). The grpc::Server it was registered on must have been
  // shut down (or destroyed) first.
  ~JoinServer();
  JoinServer(const JoinServer&) = delete;
  JoinServer& operator=(const JoinServer&) = delete;

  // Registers the join service on `builder`, and lets the server accept
  // keepalive pings every rpc::kMinPermittedPingInterval (enlist-proxy's
  // pings). Call once, before BuildAndStart. The service must outlive the
  // server built.
  void Register(grpc::ServerBuilder& builder);

  // TLS credentials for the caller's port, with a fresh key and a server
  // certificate issued by the cluster CA for `names` (DNS names or IP
  // literals; "localhost", 127.0.0.1 and ::1 are always included) followed
  // by the CA certificate, so agents holding only the CA pin can verify it.
  // Client certificates are requested and, when sent, verified against the
  // cluster CA: joined hosts can call the caller's own services with their
  // issued certificate (see auth/public/peer_identity.h), while agents
  // without one can still join. kFailedPrecondition when a custom issuer
  // was supplied (there is no cluster CA to issue from).
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
      const std::vector<std::string>& names) const;

  // Issues a client certificate signed by the cluster CA with common name
  // `common_name` and the URI SAN `uri`, valid for `ttl` (e.g. an admin or
  // service identity). kFailedPrecondition without a cluster CA,
  // kInvalidArgument for unusable names.
  absl::StatusOr<IssuedCredential> IssueClientCertificate(const std::string& common_name,
                                                          const std::string& uri,
                                                          absl::Duration ttl) const;

  // Parses token resources (YAML, one or more `kind: token` documents;
  // `source` names the input in errors) through the registry and stores
  // them, replacing tokens of the same name. kInvalidArgument with
  // "source:line:column" for a bad document (nothing is stored then); the
  // token store's codes otherwise.
  absl::Status PutTokens(absl::string_view yaml, absl::string_view source);

  // The token store in use (the one supplied, or the backend's). Never null.
  token::TokenStore* tokens() const;

  // "sha256:<hex>" of the cluster CA's public key (what agents pin), the
  // CA certificate (PEM) and the SSH host CA's public key line. Empty when
  // a custom issuer was supplied.
  const std::string& ca_pin() const;
  const std::string& ca_cert_pem() const;
  const std::string& ssh_ca_public_key() const;

  // Join streams currently open.
  int active_streams() const;
  // Join streams refused before they started (stream limit, per-peer rate).
  int64_t refused_streams() const;

  // Finishes the checks still queued and stops the worker threads. Call
  // after the grpc::Server has shut down. Idempotent.
  void Shutdown();

  class Impl;

 private:
  explicit JoinServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_PUBLIC_JOIN_SERVER_H_
