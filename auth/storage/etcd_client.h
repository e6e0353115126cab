// A connection to an etcd v3 cluster over its gRPC API: one channel per
// endpoint, TLS with optional client certificate, per-call deadlines,
// failover to the next endpoint and bounded retries. The etcd Backend and
// the etcd watcher are built on it.
#ifndef ENLIST_AUTH_STORAGE_ETCD_CLIENT_H_
#define ENLIST_AUTH_STORAGE_ETCD_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/etcd/rpc.grpc.pb.h"

namespace enlist::storage {

// TLS towards etcd. All paths are PEM files; empty `ca_file` means plain
// TCP (the other fields must then be empty too).
struct EtcdTlsOptions {
  // CA certificate(s) that signed the etcd members' server certificates.
  std::string ca_file;
  // Client certificate (chain) and key for etcd's --client-cert-auth; both
  // or neither.
  std::string cert_file;
  std::string key_file;
  // The name the members' certificates must carry, when it is not the
  // endpoint's host (e.g. endpoints given as IPs, certificates for a DNS
  // name). Empty: the endpoint's host.
  std::string server_name;
};

// How to reach etcd.
struct EtcdClientOptions {
  // "host:port" of each member's client URL (no scheme). At least one.
  std::vector<std::string> endpoints;
  EtcdTlsOptions tls;
  // Longest wait for a member's connection before trying the next one.
  absl::Duration dial_timeout = absl::Seconds(2);
  // Deadline of one RPC attempt.
  absl::Duration request_timeout = absl::Seconds(5);
  // Attempts per call across endpoints (failover included); at least 1.
  int max_attempts = 4;
  // First pause between attempts (doubles each time, at most 1 s).
  absl::Duration retry_backoff = absl::Milliseconds(50);
};

// One member's channel and stubs.
struct EtcdConnection {
  std::string endpoint;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
};

// Whether a call may be repeated after an ambiguous failure.
enum class EtcdCallKind {
  // Reads and writes whose repetition leaves the same state (Put of a fixed
  // value, DeleteRange): retried after any kUnavailable.
  kIdempotent,
  // Revision-guarded Txns (a compare on create_revision == 0 or on
  // mod_revision == R): retried after any kUnavailable, on the next member,
  // because a repeat of an attempt that etcd did apply fails its guard
  // instead of applying twice. Such a failed guard is then ambiguous (our
  // earlier attempt, or another writer?): Call reports it through
  // `maybe_applied`, and the caller must answer "outcome unknown" instead of
  // kNotFound/kAborted/kAlreadyExists.
  kGuarded,
  // Other conditional writes: retried only when etcd certainly did not apply
  // them (no connection to the member, or "no leader", which etcd answers
  // before proposing because every call carries the `hasleader` metadata).
  kConditional,
};

// Thread-safe; every method may be called from any thread.
class EtcdClient {
 public:
  // Validates the options and creates the channels (lazily connecting).
  // kInvalidArgument for bad options, kNotFound/kUnavailable when a TLS file
  // cannot be read. Messages start with "etcd: ".
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(EtcdClientOptions options);

  // Runs `rpc` against the preferred member, failing over and retrying as
  // `kind` allows. `rpc` gets a fresh context with the deadline and metadata
  // set; it returns the RPC's status. The result maps gRPC codes: UNAVAILABLE,
  // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED -> kUnavailable; PERMISSION_DENIED,
  // UNAUTHENTICATED -> kFailedPrecondition; NOT_FOUND, FAILED_PRECONDITION,
  // INVALID_ARGUMENT keep their code; anything else -> kUnavailable. The
  // message is "<endpoint>: <etcd's message>"; an ambiguous conditional write
  // says "outcome unknown"; a member that cannot be reached says "cannot
  // connect" and, with TLS, the channel's last error (e.g. a certificate
  // that does not verify). `max_attempts` > 0 overrides the options'.
  // `maybe_applied`, if not null, is set to whether an attempt reached etcd
  // and ended without a certain answer (deadline, broken connection), i.e.
  // etcd may have applied the write already; a kGuarded call that fails
  // after such an attempt says "outcome unknown" too.
  absl::Status Call(EtcdCallKind kind,
                    const std::function<grpc::Status(EtcdConnection&, grpc::ClientContext&)>& rpc,
                    int max_attempts = 0, bool* maybe_applied = nullptr);

  // `d` scaled by a random factor in [0.5, 1.5): retry pauses, so clients
  // that failed together do not retry in step.
  static absl::Duration Jittered(absl::Duration d);

  // Sets the deadline and metadata of a context for a long-running call
  // (a watch): no deadline, `hasleader` metadata.
  static void PrepareStreamContext(grpc::ClientContext* context);

  // The member to use for a new stream (rotates on each call so a broken
  // member is left). Never null.
  EtcdConnection* NextForStream();

  const EtcdClientOptions& options() const { return options_; }

 private:
  explicit EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {}

  // Waits up to dial_timeout for `c` to connect; false if it does not.
  bool Connect(EtcdConnection& c) const;
  // Why `c` does not connect, as far as gRPC says (one failing probe).
  std::string LastChannelError(EtcdConnection& c) const;
  // Moves the preference past `failed` (unless another thread already did).
  void Rotate(size_t failed);

  EtcdClientOptions options_;
  std::vector<std::unique_ptr<EtcdConnection>> connections_;
  std::atomic<size_t> preferred_{0};
  std::atomic<size_t> stream_rotation_{0};
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_CLIENT_H_
