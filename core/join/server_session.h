// The auth side of one join stream, without transport: it consumes one
// JoinRequest at a time and says what to send back. The gRPC reactor only
// pumps messages through it, so every rule of the protocol is here and is
// tested without a network.
#ifndef ENLIST_CORE_JOIN_SERVER_SESSION_H_
#define ENLIST_CORE_JOIN_SERVER_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/join/audit.h"
#include "core/join/checker.h"
#include "core/join/issuer.h"
#include "core/join/limits.h"
#include "core/join/registry.h"
#include "core/log/logger.h"
#include "core/token/token_store.h"
#include "core/util/clock.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::join {

// What a server session needs; everything outlives the session. The
// checkers map is keyed by method name (one shared Checker per method).
struct ServerSessionDeps {
  const AuthRegistry* methods = nullptr;
  const std::map<std::string, std::shared_ptr<Checker>>* checkers = nullptr;
  token::TokenStore* tokens = nullptr;
  HostIssuer* issuer = nullptr;
  AuditSink* audit = nullptr;  // may be null
  log::Logger* logger = &log::Logger::Discard();
  const Clock* clock = &RealClock::Get();
  JoinLimits limits;
};

class ServerJoinSession {
 public:
  // `peer_addr` is the transport's view of the agent's address.
  // `via_trusted_proxy` lets ClientInit.proxy_remote_addr replace it.
  ServerJoinSession(const ServerSessionDeps& deps, std::string peer_addr, bool via_trusted_proxy);
  ~ServerJoinSession();

  // What to do after a message.
  struct Reply {
    std::vector<enlist::join::v1::JoinResponse> send;
    bool finished = false;  // true after the Result: close the stream OK
  };

  // Consumes `request`. A non-OK status ends the stream with that status
  // (its message is safe to show the agent); the session is then finished.
  // Errors: kFailedPrecondition message out of order, kInvalidArgument a
  // field over its cap or malformed, kPermissionDenied token rules,
  // kDeadlineExceeded the stream deadline passed, plus the checker's codes.
  absl::StatusOr<Reply> OnRequest(const enlist::join::v1::JoinRequest& request);

  // Ends the session because the transport failed or the deadline passed
  // before the agent answered; records the attempt. Idempotent.
  void Abort(const absl::Status& why);

  // Ends the session without an audit record: for streams refused before
  // they started (admission control), which are counted, not stored.
  void Discard() { state_ = State::kDone; recorded_ = true; }

  // When this stream must be done (set at construction).
  absl::Time deadline() const { return deadline_; }
  bool finished() const { return state_ == State::kDone; }

 private:
  enum class State { kAwaitInit, kAwaitSolution, kDone };

  absl::StatusOr<Reply> OnInit(const enlist::join::v1::ClientInit& init);
  absl::StatusOr<Reply> OnSolution(const enlist::join::v1::Solution& solution);
  absl::StatusOr<Reply> Advance(Step step, Reply reply);
  absl::StatusOr<Reply> Finish(const Accept& accept, Reply reply);
  // Records the end of the attempt and turns `status` into the agent's view.
  absl::Status Fail(absl::Status status, absl::string_view agent_message = "");
  void Record(const absl::Status& status);

  ServerSessionDeps deps_;
  std::string remote_addr_;
  bool via_trusted_proxy_;
  absl::Time start_;
  absl::Time deadline_;
  State state_ = State::kAwaitInit;
  int rounds_ = 0;
  enlist::join::v1::ClientInit init_;
  token::StoredToken token_;
  std::unique_ptr<CheckerSession> checker_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::string host_id_;
  bool recorded_ = false;
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_SERVER_SESSION_H_
