#include "tools/proxy/join_proxy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace enlist::proxy {
namespace {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

// "ipv4:1.2.3.4:5" -> "1.2.3.4:5" (gRPC's peer string without the scheme).
std::string PeerAddress(const std::string& peer) {
  for (absl::string_view prefix : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(peer, prefix)) return peer.substr(prefix.size());
  }
  return peer;
}

constexpr absl::Duration kDefaultStreamDeadline = absl::Seconds(60);

}  // namespace

grpc::Status JoinProxyService::Join(
    grpc::ServerContext* context, grpc::ServerReaderWriter<JoinResponse, JoinRequest>* agent) {
  JoinRequest first;
  if (!agent->Read(&first)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "proxy: stream ended before ClientInit");
  }
  if (!first.has_init()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "proxy: the first message must be ClientInit");
  }
  // Whatever the agent claims is replaced by what the proxy saw.
  first.mutable_init()->set_proxy_remote_addr(PeerAddress(context->peer()));

  std::chrono::system_clock::time_point deadline = context->deadline();
  const auto fallback = absl::ToChronoTime(absl::Now() + kDefaultStreamDeadline);
  if (deadline > fallback) deadline = fallback;

  std::string tried;
  for (Upstream* u : pool_->Candidates()) {
    if (!pool_->Connect(*u)) {
      absl::StrAppend(&tried, tried.empty() ? "" : ", ", u->address, " (cannot connect)");
      continue;
    }
    grpc::ClientContext up_ctx;
    up_ctx.set_deadline(deadline);
    enlist::join::v1::JoinService::Stub stub(u->channel);
    std::unique_ptr<grpc::ClientReaderWriter<JoinRequest, JoinResponse>> up = stub.Join(&up_ctx);
    if (!up->Write(first)) {
      // The stream never started on that server: try the next one.
      up_ctx.TryCancel();
      up->Finish().ok();
      u->healthy = false;
      absl::StrAppend(&tried, tried.empty() ? "" : ", ", u->address, " (stream refused)");
      continue;
    }
    forwarded_++;
    // The protocol alternates strictly: the agent speaks only after a
    // Challenge, so one thread pumps both directions without blocking on a
    // side that has nothing to say.
    JoinResponse resp;
    while (up->Read(&resp)) {
      const bool challenge = resp.has_challenge();
      if (!agent->Write(resp)) {
        up_ctx.TryCancel();
        break;
      }
      if (!challenge) continue;
      JoinRequest req;
      if (!agent->Read(&req) || !up->Write(req)) {
        up_ctx.TryCancel();
        break;
      }
    }
    return up->Finish();
  }
  unavailable_++;
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("proxy: no auth server reachable: ", tried));
}

}  // namespace enlist::proxy
