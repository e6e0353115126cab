// The agent side of one join stream, without transport: it produces the
// ClientInit, then consumes one JoinResponse at a time, asking the method's
// Solver for each challenge, until the Result arrives.
#ifndef ENLIST_CORE_JOIN_CLIENT_SESSION_H_
#define ENLIST_CORE_JOIN_CLIENT_SESSION_H_

#include <variant>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/join/limits.h"
#include "core/join/solver.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::join {

class ClientJoinSession {
 public:
  // `solver` is not owned and must outlive the session. Not thread-safe.
  ClientJoinSession(enlist::join::v1::ClientInit init, Solver* solver, absl::Time deadline,
                    JoinLimits limits = {});

  // The first message to send.
  enlist::join::v1::JoinRequest Start();

  // Nothing to send yet (monostate), the next message to send, or the
  // final Result.
  using Next = std::variant<std::monostate, enlist::join::v1::JoinRequest,
                            enlist::join::v1::Result>;

  // Consumes `response`. Errors end the join: kFailedPrecondition out of
  // order (e.g. a challenge before ServerInit, a second ServerInit),
  // kInvalidArgument oversized or malformed, kDeadlineExceeded, or the
  // solver's error.
  absl::StatusOr<Next> OnResponse(const enlist::join::v1::JoinResponse& response);

  // True once ServerInit arrived. An empty response stream with a status is
  // then the server's verdict, not a transport problem.
  bool initialised() const { return state_ != State::kAwaitServerInit; }

 private:
  enum class State { kAwaitServerInit, kAwaitChallengeOrResult, kDone };

  enlist::join::v1::ClientInit init_;
  Solver* solver_;
  absl::Time deadline_;
  JoinLimits limits_;
  State state_ = State::kAwaitServerInit;
  int rounds_ = 0;
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_CLIENT_SESSION_H_
