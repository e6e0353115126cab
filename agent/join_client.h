// Runs one join over a gRPC channel: the agent half of the stream.
#ifndef ENLIST_AGENT_JOIN_CLIENT_H_
#define ENLIST_AGENT_JOIN_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/join/limits.h"
#include "core/join/solver.h"
#include "grpcpp/channel.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::agent {

// Joins through `channel` with `init`, answering challenges with `solver`.
// Blocks until the Result, an error, or `timeout`. Returns the server's
// status unchanged when the server ends the join (e.g. kPermissionDenied),
// kUnavailable when the server cannot be reached, kDeadlineExceeded on
// timeout. Thread-safe as long as `solver` is used by one join at a time.
absl::StatusOr<enlist::join::v1::Result> RunJoin(const std::shared_ptr<grpc::Channel>& channel,
                                                 const enlist::join::v1::ClientInit& init,
                                                 join::Solver* solver, absl::Duration timeout,
                                                 const join::JoinLimits& limits = {});

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_JOIN_CLIENT_H_
