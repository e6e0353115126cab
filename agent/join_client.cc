#include "agent/join_client.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/join/client_session.h"
#include "core/rpc/status.h"
#include "grpcpp/client_context.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist::agent {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

absl::StatusOr<enlist::join::v1::Result> RunJoin(const std::shared_ptr<grpc::Channel>& channel,
                                                 const enlist::join::v1::ClientInit& init,
                                                 join::Solver* solver, absl::Duration timeout,
                                                 const join::JoinLimits& limits) {
  absl::Time deadline = absl::Now() + timeout;
  auto stub = enlist::join::v1::JoinService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  std::unique_ptr<grpc::ClientReaderWriter<JoinRequest, JoinResponse>> stream = stub->Join(&ctx);
  join::ClientJoinSession session(init, solver, deadline, limits);

  // The server's status, once it has ended the stream.
  auto server_status = [&]() -> absl::Status {
    grpc::Status s = stream->Finish();
    if (s.ok()) return absl::InternalError("join: server closed the stream without a result");
    return rpc::FromGrpcStatus(s);
  };

  if (!stream->Write(session.Start())) return server_status();
  JoinResponse response;
  while (stream->Read(&response)) {
    absl::StatusOr<join::ClientJoinSession::Next> next = session.OnResponse(response);
    if (!next.ok()) {
      ctx.TryCancel();
      stream->Finish();
      return next.status();
    }
    if (auto* result = std::get_if<enlist::join::v1::Result>(&*next)) {
      stream->WritesDone();
      grpc::Status s = stream->Finish();
      if (!s.ok()) return rpc::FromGrpcStatus(s);
      return std::move(*result);
    }
    if (auto* request = std::get_if<JoinRequest>(&*next)) {
      if (!stream->Write(*request)) return server_status();
    }
  }
  return server_status();
}

}  // namespace enlist::agent
