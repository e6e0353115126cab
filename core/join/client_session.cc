#include "core/join/client_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace enlist::join {

using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

ClientJoinSession::ClientJoinSession(enlist::join::v1::ClientInit init, Solver* solver,
                                     absl::Time deadline, JoinLimits limits)
    : init_(std::move(init)), solver_(solver), deadline_(deadline), limits_(limits) {}

JoinRequest ClientJoinSession::Start() {
  JoinRequest r;
  *r.mutable_init() = init_;
  return r;
}

absl::StatusOr<ClientJoinSession::Next> ClientJoinSession::OnResponse(const JoinResponse& response) {
  if (state_ == State::kDone) {
    return absl::FailedPreconditionError("join: server sent a message after the Result");
  }
  switch (response.msg_case()) {
    case JoinResponse::kInit:
      if (state_ != State::kAwaitServerInit) {
        state_ = State::kDone;
        return absl::FailedPreconditionError("join: server sent ServerInit twice");
      }
      if (response.init().join_method() != init_.join_method()) {
        state_ = State::kDone;
        return absl::FailedPreconditionError(
            absl::StrCat("join: server runs join method \"",
                         response.init().join_method().substr(0, limits_.max_method_name),
                         "\", agent asked for \"", init_.join_method(), "\""));
      }
      state_ = State::kAwaitChallengeOrResult;
      // Nothing to send: the next server message follows.
      return Next(std::monostate());
    case JoinResponse::kChallenge: {
      if (state_ != State::kAwaitChallengeOrResult) {
        state_ = State::kDone;
        return absl::FailedPreconditionError("join: challenge before ServerInit");
      }
      if (++rounds_ > limits_.max_rounds) {
        state_ = State::kDone;
        return absl::FailedPreconditionError(
            absl::StrCat("join: server sent more than ", limits_.max_rounds, " challenges"));
      }
      if (response.challenge().payload().ByteSizeLong() > limits_.max_payload) {
        state_ = State::kDone;
        return absl::InvalidArgumentError("join: challenge over the size limit");
      }
      if (absl::Now() > deadline_) {
        state_ = State::kDone;
        return absl::DeadlineExceededError("join: deadline exceeded");
      }
      absl::StatusOr<google::protobuf::Any> solution =
          solver_->Solve(response.challenge().payload(), deadline_);
      if (!solution.ok()) {
        state_ = State::kDone;
        return solution.status();
      }
      JoinRequest r;
      *r.mutable_solution()->mutable_payload() = *std::move(solution);
      return Next(std::move(r));
    }
    case JoinResponse::kResult:
      if (state_ != State::kAwaitChallengeOrResult) {
        state_ = State::kDone;
        return absl::FailedPreconditionError("join: result before ServerInit");
      }
      state_ = State::kDone;
      if (response.result().ByteSizeLong() > limits_.max_result) {
        return absl::InvalidArgumentError("join: result over the size limit");
      }
      if (response.result().host_id().empty()) {
        return absl::InvalidArgumentError("join: result has no host id");
      }
      return Next(response.result());
    case JoinResponse::MSG_NOT_SET:
      break;
  }
  state_ = State::kDone;
  return absl::InvalidArgumentError("join: empty JoinResponse");
}

}  // namespace enlist::join
