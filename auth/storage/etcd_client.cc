#include "auth/storage/etcd_client.h"

#include <algorithm>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

constexpr size_t kMaxPemFile = 256 * 1024;
// Responses may hold many 1 MiB values (a Range page).
constexpr int kMaxReceiveBytes = 64 * 1024 * 1024;

absl::Status ValidateEndpoint(const std::string& e) {
  if (absl::StrContains(e, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd: endpoint \"", e, "\": give host:port without a scheme"));
  }
  size_t colon = e.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(e).substr(colon + 1), &port) || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd: endpoint \"", e, "\" is not host:port"));
  }
  return absl::OkStatus();
}

absl::StatusCode MapCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::StatusCode::kFailedPrecondition;
    case grpc::StatusCode::NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::StatusCode::kFailedPrecondition;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// etcd refused before proposing: safe to repeat any write.
bool CertainlyNotApplied(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE &&
         (absl::StrContains(s.error_message(), "no leader") ||
          absl::StrContains(s.error_message(), "too many requests") ||
          absl::StrContains(s.error_message(), "not capable"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(EtcdClientOptions options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("etcd: no endpoints");
  for (const std::string& e : options.endpoints) ENLIST_RETURN_IF_ERROR(ValidateEndpoint(e));
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("etcd: max_attempts must be at least 1");
  }
  const EtcdTlsOptions& tls = options.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("etcd: tls: cert_file and key_file go together");
  }
  if (tls.ca_file.empty() && !tls.cert_file.empty()) {
    return absl::InvalidArgumentError("etcd: tls: a client certificate needs ca_file");
  }
  if (tls.ca_file.empty() && !tls.server_name.empty()) {
    return absl::InvalidArgumentError("etcd: tls: server_name needs ca_file");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (tls.ca_file.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    auto read = [](const std::string& path, std::string* out) -> absl::Status {
      absl::StatusOr<std::string> s = ReadFileCapped(path, kMaxPemFile);
      if (!s.ok()) return absl::Status(s.status().code(), absl::StrCat("etcd: tls: ", s.status().message()));
      *out = *std::move(s);
      return absl::OkStatus();
    };
    ENLIST_RETURN_IF_ERROR(read(tls.ca_file, &ssl.pem_root_certs));
    if (!tls.cert_file.empty()) {
      ENLIST_RETURN_IF_ERROR(read(tls.cert_file, &ssl.pem_cert_chain));
      ENLIST_RETURN_IF_ERROR(read(tls.key_file, &ssl.pem_private_key));
    }
    creds = grpc::SslCredentials(ssl);
  }
  auto client = std::unique_ptr<EtcdClient>(new EtcdClient(std::move(options)));
  for (const std::string& e : client->options_.endpoints) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
    // Each endpoint is its own channel: failover is ours, and a member that
    // went away is noticed within seconds.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    const std::string& server_name = client->options_.tls.server_name;
    if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
    auto c = std::make_unique<EtcdConnection>();
    c->endpoint = e;
    c->channel = grpc::CreateCustomChannel(e, creds, args);
    c->kv = etcdserverpb::KV::NewStub(c->channel);
    c->lease = etcdserverpb::Lease::NewStub(c->channel);
    c->watch = etcdserverpb::Watch::NewStub(c->channel);
    client->connections_.push_back(std::move(c));
  }
  return client;
}

bool EtcdClient::Connect(EtcdConnection& c) const {
  grpc_connectivity_state state = c.channel->GetState(/*try_to_connect=*/true);
  if (state == GRPC_CHANNEL_READY) return true;
  return c.channel->WaitForConnected(
      absl::ToChronoTime(absl::Now() + options_.dial_timeout));
}

std::string EtcdClient::LastChannelError(EtcdConnection& c) const {
  // A call on a channel in TRANSIENT_FAILURE fails at once with the reason
  // of the last connection attempt (e.g. "certificate verify failed"); it
  // only reads, so it is harmless should the channel connect meanwhile.
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)));
  etcdserverpb::RangeRequest req;
  req.set_key("/");
  req.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  grpc::Status s = c.kv->Range(&ctx, req, &resp);
  if (s.ok()) return "connected late";
  return s.error_message();
}

void EtcdClient::PrepareStreamContext(grpc::ClientContext* context) {
  // etcd answers "no leader" instead of waiting when its member is cut off.
  context->AddMetadata("hasleader", "true");
}

void EtcdClient::Rotate(size_t failed) {
  size_t expected = failed;
  preferred_.compare_exchange_strong(expected, (failed + 1) % connections_.size());
}

EtcdConnection* EtcdClient::NextForStream() {
  const size_t n = connections_.size();
  const size_t start = preferred_.load() + stream_rotation_.fetch_add(1);
  for (size_t i = 0; i < n; ++i) {
    EtcdConnection& c = *connections_[(start + i) % n];
    if (c.channel->GetState(true) == GRPC_CHANNEL_READY) return &c;
  }
  return connections_[start % n].get();
}

absl::Duration EtcdClient::Jittered(absl::Duration d) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> factor(0.5, 1.5);
  return d * factor(rng);
}

absl::Status EtcdClient::Call(
    EtcdCallKind kind,
    const std::function<grpc::Status(EtcdConnection&, grpc::ClientContext&)>& rpc,
    int max_attempts, bool* maybe_applied) {
  bool ambiguous = false;
  const size_t n = connections_.size();
  absl::Duration backoff = options_.retry_backoff;
  std::string last_error;
  grpc::StatusCode last_code = grpc::StatusCode::UNAVAILABLE;
  const int attempts = max_attempts > 0 ? max_attempts : options_.max_attempts;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      absl::SleepFor(Jittered(backoff));
      backoff = std::min(backoff * 2, absl::Seconds(1));
    }
    const size_t index = preferred_.load() % n;
    EtcdConnection& c = *connections_[index];
    if (!Connect(c)) {
      // Never sent: any call may go to the next member.
      last_error = absl::StrCat(c.endpoint, ": cannot connect within ",
                                absl::FormatDuration(options_.dial_timeout));
      if (!options_.tls.ca_file.empty()) {
        absl::StrAppend(&last_error, " over TLS: ", LastChannelError(c));
      }
      last_code = grpc::StatusCode::UNAVAILABLE;
      Rotate(index);
      continue;
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.request_timeout));
    PrepareStreamContext(&ctx);
    grpc::Status s = rpc(c, ctx);
    if (s.ok()) {
      if (maybe_applied != nullptr) *maybe_applied = ambiguous;
      return absl::OkStatus();
    }
    last_error = absl::StrCat(c.endpoint, ": ", s.error_message());
    last_code = s.error_code();
    if (!Retryable(s.error_code())) break;
    Rotate(index);
    if (CertainlyNotApplied(s)) continue;
    // The request reached the member and may have been proposed: e.g. a
    // follower that still believed in a leader which had just died forwarded
    // it into the void, and it timed out. Only a write that cannot apply
    // twice may go to the next member.
    if (kind == EtcdCallKind::kConditional) {
      return absl::UnavailableError(absl::StrCat(last_error, " (outcome unknown)"));
    }
    ambiguous = true;
  }
  if (maybe_applied != nullptr) *maybe_applied = ambiguous;
  if (ambiguous && kind == EtcdCallKind::kGuarded) {
    return absl::UnavailableError(absl::StrCat(last_error, " (outcome unknown)"));
  }
  return absl::Status(MapCode(last_code), last_error);
}

}  // namespace enlist::storage
