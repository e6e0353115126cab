#include "tools/proxy/upstream_pool.h"

namespace enlist::proxy {

absl::StatusOr<std::unique_ptr<UpstreamPool>> UpstreamPool::Create(UpstreamPoolOptions options) {
  if (options.addresses.empty()) {
    return absl::InvalidArgumentError("proxy: at least one upstream auth server is required");
  }
  if (options.ca_pem.empty() || options.cert_pem.empty() || options.key_pem.empty()) {
    return absl::InvalidArgumentError("proxy: upstream TLS needs the CA, certificate and key");
  }
  auto pool = std::unique_ptr<UpstreamPool>(new UpstreamPool(std::move(options)));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pool->options_.ca_pem;
  ssl.pem_cert_chain = pool->options_.cert_pem;
  ssl.pem_private_key = pool->options_.key_pem;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
  for (const std::string& a : pool->options_.addresses) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    auto u = std::make_unique<Upstream>();
    u->address = a;
    u->channel = grpc::CreateCustomChannel(a, creds, args);
    pool->upstreams_.push_back(std::move(u));
  }
  for (auto& u : pool->upstreams_) u->channel->GetState(/*try_to_connect=*/true);
  pool->health_ = std::thread([p = pool.get()] { p->HealthLoop(); });
  return pool;
}

UpstreamPool::~UpstreamPool() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (health_.joinable()) health_.join();
}

bool UpstreamPool::Connect(Upstream& u) {
  bool ok = u.channel->GetState(true) == GRPC_CHANNEL_READY ||
            u.channel->WaitForConnected(absl::ToChronoTime(absl::Now() + options_.connect_timeout));
  u.healthy = ok;
  return ok;
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
  int n = 0;
  for (const auto& u : upstreams_) n += u->healthy ? 1 : 0;
  return n;
}

void UpstreamPool::HealthLoop() {
  for (;;) {
    for (auto& u : upstreams_) {
      // Non-blocking: a channel that is not READY is asked to connect and
      // counted unhealthy until it is.
      u->healthy = u->channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
    }
    absl::MutexLock l(&mu_);
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.health_interval);
    if (stopping_) return;
  }
}

}  // namespace enlist::proxy
