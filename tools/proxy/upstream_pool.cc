#include "tools/proxy/upstream_pool.h"

#include "absl/time/clock.h"

namespace enlist::proxy {

absl::StatusOr<std::unique_ptr<UpstreamPool>> UpstreamPool::Create(UpstreamPoolOptions options) {
  if (options.addresses.empty()) {
    return absl::InvalidArgumentError("proxy: at least one upstream auth server is required");
  }
  if (options.ca_pem.empty() || options.cert_pem.empty() || options.key_pem.empty()) {
    return absl::InvalidArgumentError("proxy: upstream TLS needs the CA, certificate and key");
  }
  if (options.min_backoff <= absl::ZeroDuration() || options.max_backoff < options.min_backoff ||
      options.health_interval <= absl::ZeroDuration() || options.max_message_bytes <= 0) {
    return absl::InvalidArgumentError(
        "proxy: backoff, health interval and message cap must be positive (min_backoff <= "
        "max_backoff)");
  }
  auto pool = std::unique_ptr<UpstreamPool>(new UpstreamPool(options.health_interval));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.ca_pem;
  ssl.pem_cert_chain = options.cert_pem;
  ssl.pem_private_key = options.key_pem;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
  for (const std::string& a : options.addresses) {
    grpc::ChannelArguments args;
    // gRPC's reconnect backoff is exponential with +-20% jitter; these bound it.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options.min_backoff)));
    // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it is also the shortest
    // connect + TLS handshake timeout, and a slow handshake is not a dead server.
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options.max_backoff)));
    // enlist-auth permits pings this often (core/rpc/keepalive.h).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
    args.SetMaxReceiveMessageSize(options.max_message_bytes);
    args.SetMaxSendMessageSize(options.max_message_bytes);
    // Connections of this pool only: its health is not another channel's.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto u = std::make_unique<Upstream>();
    u->address = a;
    u->channel = grpc::CreateCustomChannel(a, creds, args);
    pool->upstreams_.push_back(std::move(u));
  }
  for (auto& u : pool->upstreams_) pool->Watch(u.get());
  pool->health_ = std::thread([p = pool.get()] { p->HealthLoop(); });
  return pool;
}

UpstreamPool::~UpstreamPool() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    // Armed watches still complete (at their deadline at the latest);
    // HealthLoop drains them and then sees the queue shut down.
    cq_.Shutdown();
  }
  if (health_.joinable()) health_.join();
}

bool UpstreamPool::Watch(Upstream* u) {
  // Non-blocking: an IDLE channel is asked to connect; gRPC's backoff
  // decides when a failed one tries again.
  grpc_connectivity_state state = u->channel->GetState(/*try_to_connect=*/true);
  absl::MutexLock l(&mu_);
  SetHealthyLocked(u, state == GRPC_CHANNEL_READY);
  if (stopping_) return false;
  u->channel->NotifyOnStateChange(state, absl::ToChronoTime(absl::Now() + health_interval_), &cq_,
                                  u);
  return true;
}

void UpstreamPool::HealthLoop() {
  void* tag = nullptr;
  bool changed = false;
  // `changed` is false when a watch timed out; either way, look again.
  while (cq_.Next(&tag, &changed)) Watch(static_cast<Upstream*>(tag));
}

void UpstreamPool::SetHealthyLocked(Upstream* u, bool healthy) {
  if (u->healthy.exchange(healthy) != healthy) healthy_ += healthy ? 1 : -1;
}

void UpstreamPool::MarkDown(Upstream* u) {
  absl::MutexLock l(&mu_);
  SetHealthyLocked(u, false);
}

std::vector<Upstream*> UpstreamPool::Candidates() {
  const size_t n = upstreams_.size();
  const size_t start = rotation_.fetch_add(1);
  std::vector<Upstream*> healthy, rest;
  for (size_t i = 0; i < n; ++i) {
    Upstream* u = upstreams_[(start + i) % n].get();
    (u->healthy ? healthy : rest).push_back(u);
  }
  healthy.insert(healthy.end(), rest.begin(), rest.end());
  return healthy;
}

int UpstreamPool::healthy_count() const {
  absl::MutexLock l(&mu_);
  return healthy_;
}

bool UpstreamPool::AwaitHealthyCount(int n, absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto reached = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return healthy_ == n; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

}  // namespace enlist::proxy
