#include "core/join/server_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace enlist::join {
namespace {

using enlist::join::v1::ClientInit;
using enlist::join::v1::JoinRequest;
using enlist::join::v1::JoinResponse;

absl::Status CapField(absl::string_view field, size_t size, size_t cap) {
  if (size > cap) {
    return absl::InvalidArgumentError(
        absl::StrCat("join: ", field, " is ", size, " bytes, over the limit of ", cap));
  }
  return absl::OkStatus();
}

absl::Status CheckInitCaps(const ClientInit& init, const JoinLimits& l) {
  ENLIST_RETURN_IF_ERROR(CapField("join_method", init.join_method().size(), l.max_method_name));
  ENLIST_RETURN_IF_ERROR(CapField("token_name", init.token_name().size(), l.max_token_name));
  ENLIST_RETURN_IF_ERROR(CapField("role", init.role().size(), l.max_role));
  ENLIST_RETURN_IF_ERROR(CapField("client_version", init.client_version().size(), l.max_client_version));
  ENLIST_RETURN_IF_ERROR(CapField("proxy_remote_addr", init.proxy_remote_addr().size(), l.max_remote_addr));
  const auto& h = init.host();
  ENLIST_RETURN_IF_ERROR(CapField("host.tls_public_key", h.tls_public_key().size(), l.max_tls_public_key));
  ENLIST_RETURN_IF_ERROR(CapField("host.ssh_public_key", h.ssh_public_key().size(), l.max_ssh_public_key));
  ENLIST_RETURN_IF_ERROR(CapField("host.host_name", h.host_name().size(), l.max_host_name));
  ENLIST_RETURN_IF_ERROR(CapField("host.previous_host_id", h.previous_host_id().size(), 64));
  if (static_cast<size_t>(h.additional_principals_size()) > l.max_names) {
    return absl::InvalidArgumentError(absl::StrCat("join: host.additional_principals has more than ",
                                                   l.max_names, " entries"));
  }
  if (static_cast<size_t>(h.dns_names_size()) > l.max_names) {
    return absl::InvalidArgumentError(
        absl::StrCat("join: host.dns_names has more than ", l.max_names, " entries"));
  }
  for (const auto& p : h.additional_principals()) {
    ENLIST_RETURN_IF_ERROR(CapField("host.additional_principals[]", p.size(), l.max_name));
  }
  for (const auto& d : h.dns_names()) {
    ENLIST_RETURN_IF_ERROR(CapField("host.dns_names[]", d.size(), l.max_name));
  }
  if (init.join_method().empty()) return absl::InvalidArgumentError("join: join_method is required");
  if (init.token_name().empty()) return absl::InvalidArgumentError("join: token_name is required");
  if (init.role().empty()) return absl::InvalidArgumentError("join: role is required");
  if (h.tls_public_key().empty() && h.ssh_public_key().empty()) {
    return absl::InvalidArgumentError("join: host has neither a TLS nor an SSH public key");
  }
  return absl::OkStatus();
}

}  // namespace

ServerJoinSession::ServerJoinSession(const ServerSessionDeps& deps, std::string peer_addr,
                                     bool via_trusted_proxy)
    : deps_(deps),
      remote_addr_(std::move(peer_addr)),
      via_trusted_proxy_(via_trusted_proxy),
      start_(deps.clock->Now()),
      deadline_(start_ + deps.limits.stream_deadline) {}

ServerJoinSession::~ServerJoinSession() {
  if (state_ != State::kDone) Abort(absl::CancelledError("join: stream ended before completion"));
}

absl::StatusOr<ServerJoinSession::Reply> ServerJoinSession::OnRequest(const JoinRequest& request) {
  if (state_ == State::kDone) {
    return absl::FailedPreconditionError("join: message after the join ended");
  }
  if (deps_.clock->Now() > deadline_) {
    return Fail(absl::DeadlineExceededError("join: deadline exceeded"));
  }
  switch (request.msg_case()) {
    case JoinRequest::kInit:
      if (state_ != State::kAwaitInit) {
        return Fail(absl::FailedPreconditionError("join: unexpected ClientInit: already initialised"));
      }
      return OnInit(request.init());
    case JoinRequest::kSolution:
      if (state_ != State::kAwaitSolution) {
        return Fail(absl::FailedPreconditionError(
            "join: unexpected Solution: no challenge is outstanding"));
      }
      return OnSolution(request.solution());
    case JoinRequest::MSG_NOT_SET:
      break;
  }
  return Fail(absl::InvalidArgumentError("join: empty JoinRequest"));
}

absl::StatusOr<ServerJoinSession::Reply> ServerJoinSession::OnInit(const ClientInit& init) {
  absl::Status caps = CheckInitCaps(init, deps_.limits);
  // Keep only what passed the caps for the audit record.
  if (caps.ok()) {
    init_ = init;
  } else {
    init_.set_join_method(init.join_method().substr(0, deps_.limits.max_method_name));
    init_.set_token_name(init.token_name().substr(0, deps_.limits.max_token_name));
  }
  if (via_trusted_proxy_ && !init.proxy_remote_addr().empty() && caps.ok()) {
    remote_addr_ = init.proxy_remote_addr();
  }
  if (!caps.ok()) return Fail(caps);

  // Unknown token, expired token and wrong method look the same to the
  // agent (no token-name enumeration); the audit record keeps the reason.
  std::string generic = absl::StrCat("join: token \"", init.token_name(),
                                     "\" is unknown, expired, or not for join method \"",
                                     init.join_method(), "\"");
  absl::StatusOr<token::StoredToken> stored = deps_.tokens->GetToken(init.token_name());
  if (!stored.ok()) {
    if (absl::IsNotFound(stored.status())) {
      return Fail(absl::PermissionDeniedError("token not found"), generic);
    }
    // A server that refuses joins on purpose (its CA is no longer the
    // cluster's) says kFailedPrecondition, and the agent must not retry it
    // forever; anything else is a storage outage, retryable.
    const absl::StatusCode code = absl::IsFailedPrecondition(stored.status())
                                      ? absl::StatusCode::kFailedPrecondition
                                      : absl::StatusCode::kUnavailable;
    return Fail(absl::Status(code, absl::StrCat("join: reading token: ", stored.status().message())));
  }
  token_ = *std::move(stored);
  if (token_.token.ExpiredAt(deps_.clock->Now())) {
    return Fail(absl::PermissionDeniedError("token expired"), generic);
  }
  if (token_.token.join_method != init.join_method()) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(
                    "token is for join method \"", token_.token.join_method, "\"")),
                generic);
  }
  if (!token_.token.Grants(init.role())) {
    return Fail(absl::PermissionDeniedError(absl::StrCat(
        "join: token \"", init.token_name(), "\" does not grant role \"", init.role(), "\"")));
  }
  auto checker = deps_.checkers->find(token_.token.join_method);
  if (checker == deps_.checkers->end() || token_.token.spec == nullptr) {
    return Fail(absl::UnavailableError(absl::StrCat(
        "join: join method \"", token_.token.join_method, "\" is not enabled on this server")));
  }
  JoinContext ctx;
  ctx.token_name = token_.token.name;
  ctx.role = init.role();
  ctx.host = &init_.host();
  ctx.remote_addr = remote_addr_;
  ctx.spec = token_.token.spec.get();
  ctx.deadline = deadline_;
  absl::StatusOr<std::unique_ptr<CheckerSession>> session = checker->second->Begin(ctx);
  if (!session.ok()) return Fail(session.status());
  checker_ = *std::move(session);

  Reply reply;
  reply.send.emplace_back().mutable_init()->set_join_method(token_.token.join_method);
  absl::StatusOr<Step> step = checker_->Start();
  if (!step.ok()) return Fail(step.status());
  return Advance(*std::move(step), std::move(reply));
}

absl::StatusOr<ServerJoinSession::Reply> ServerJoinSession::OnSolution(
    const enlist::join::v1::Solution& solution) {
  if (solution.payload().ByteSizeLong() > deps_.limits.max_payload) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("join: solution is ", solution.payload().ByteSizeLong(),
                     " bytes, over the limit of ", deps_.limits.max_payload)));
  }
  absl::StatusOr<Step> step = checker_->OnSolution(solution.payload());
  if (!step.ok()) return Fail(step.status());
  return Advance(*std::move(step), Reply());
}

absl::StatusOr<ServerJoinSession::Reply> ServerJoinSession::Advance(Step step, Reply reply) {
  if (auto* accept = std::get_if<Accept>(&step)) return Finish(*accept, std::move(reply));
  if (++rounds_ > deps_.limits.max_rounds) {
    return Fail(absl::InternalError(absl::StrCat("join: method \"", token_.token.join_method,
                                                 "\" exceeded ", deps_.limits.max_rounds,
                                                 " challenge rounds")));
  }
  *reply.send.emplace_back().mutable_challenge()->mutable_payload() =
      std::move(std::get<google::protobuf::Any>(step));
  state_ = State::kAwaitSolution;
  return reply;
}

absl::StatusOr<ServerJoinSession::Reply> ServerJoinSession::Finish(const Accept& accept,
                                                                   Reply reply) {
  attributes_ = accept.attributes;
  if (deps_.clock->Now() > deadline_) {
    return Fail(absl::DeadlineExceededError("join: deadline exceeded"));
  }
  if (accept.consume_token) {
    absl::Status used = deps_.tokens->DeleteTokenIfRevision(token_.token.name, token_.revision);
    if (absl::IsAborted(used) || absl::IsNotFound(used)) {
      return Fail(absl::PermissionDeniedError(
          absl::StrCat("join: token \"", token_.token.name, "\" was already used")));
    }
    if (!used.ok()) {
      return Fail(absl::UnavailableError(absl::StrCat("join: consuming token: ", used.message())));
    }
  }
  IssueRequest req;
  req.host = &init_.host();
  req.join_method = token_.token.join_method;
  req.token_name = token_.token.name;
  req.role = init_.role();
  req.remote_addr = remote_addr_;
  req.attributes = attributes_;
  absl::StatusOr<enlist::join::v1::Result> result = deps_.issuer->Issue(req);
  if (!result.ok()) return Fail(result.status());
  host_id_ = result->host_id();
  for (const auto& [k, v] : attributes_) {
    auto* a = result->add_attributes();
    a->set_key(k);
    a->set_value(v);
  }
  *reply.send.emplace_back().mutable_result() = *std::move(result);
  reply.finished = true;
  state_ = State::kDone;
  Record(absl::OkStatus());
  return reply;
}

absl::Status ServerJoinSession::Fail(absl::Status status, absl::string_view agent_message) {
  state_ = State::kDone;
  Record(status);
  if (!agent_message.empty()) return absl::Status(status.code(), agent_message);
  return status;
}

void ServerJoinSession::Abort(const absl::Status& why) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  Record(why);
}

void ServerJoinSession::Record(const absl::Status& status) {
  if (recorded_) return;
  recorded_ = true;
  absl::Time now = deps_.clock->Now();
  if (status.ok()) {
    deps_.logger->Info("Host joined the cluster",
                       {{"host_id", host_id_},
                        {"remote_addr", remote_addr_},
                        {"token_name", init_.token_name()},
                        {"token_join_method", init_.join_method()}});
  } else {
    deps_.logger->Warn("Failure to join cluster occurred",
                       {{"error", std::string(status.message())},
                        {"remote_addr", remote_addr_},
                        {"token_name", init_.token_name()},
                        {"token_join_method", init_.join_method()}});
  }
  if (deps_.audit == nullptr) return;
  JoinEvent e;
  e.time = now;
  e.duration = now - start_;
  e.join_method = init_.join_method();
  e.token_name = init_.token_name();
  e.role = init_.role();
  e.host_name = init_.host().host_name();
  e.remote_addr = remote_addr_;
  e.accepted = status.ok();
  e.host_id = host_id_;
  e.code = status.code();
  e.reason = std::string(status.message());
  e.attributes = attributes_;
  deps_.audit->Record(e);
}

}  // namespace enlist::join
