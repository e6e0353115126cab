// The auth half of a join method.
#ifndef ENLIST_CORE_JOIN_CHECKER_H_
#define ENLIST_CORE_JOIN_CHECKER_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/config/yaml.h"
#include "core/util/clock.h"
#include "google/protobuf/any.pb.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::join {

// The method-specific part of a token resource (`spec.<method>`), parsed and
// validated by the method. Immutable once built; shared across joins.
class TokenSpec {
 public:
  virtual ~TokenSpec() = default;
};

// What a checker knows about the join it is checking.
struct JoinContext {
  std::string token_name;
  std::string role;
  // The host's requested parameters (keys, names), as sent in ClientInit.
  const enlist::join::v1::HostParams* host = nullptr;
  // The agent's address (direct peer, or as stamped by a trusted proxy).
  std::string remote_addr;
  // The token's method-specific rules; never null.
  const TokenSpec* spec = nullptr;
  // When the join must be finished.
  absl::Time deadline;
};

// The checker accepts the join with these verified attributes
// (e.g. {"azure.subscription", "..."}).
struct Accept {
  std::vector<std::pair<std::string, std::string>> attributes;
  // The token is single-use: the server deletes it (compare-and-swap on the
  // revision it read) before issuing, so two joins cannot both use it.
  bool consume_token = false;
};

// One step of a check: send this challenge, or accept.
using Step = std::variant<google::protobuf::Any, Accept>;

// The checker's state for one join stream. Not thread-safe; the server calls
// it from one thread at a time. Calls may block on I/O (JWKS, ARM): the
// server runs them off the gRPC callback threads.
class CheckerSession {
 public:
  virtual ~CheckerSession() = default;
  // First step after ServerInit.
  virtual absl::StatusOr<Step> Start() = 0;
  // Checks the solution to the last challenge. Errors end the join:
  // kInvalidArgument malformed solution, kUnauthenticated proof failed,
  // kPermissionDenied proof fine but the token's rules say no,
  // kUnavailable a dependency is down. Messages are shown to the agent:
  // they must not contain secrets or whole documents.
  virtual absl::StatusOr<Step> OnSolution(const google::protobuf::Any& solution) = 0;
};

// A method's checker, shared by all joins. Thread-safe.
class Checker {
 public:
  virtual ~Checker() = default;
  // Begins checking one join. `ctx.spec` was produced by this method.
  virtual absl::StatusOr<std::unique_ptr<CheckerSession>> Begin(const JoinContext& ctx) = 0;
};

// What the auth server's configuration gives a checker.
struct CheckerOptions {
  // `methods.<method>` of the auth server config, when present.
  std::optional<config::YamlNode> settings;
  // Never null; outlives the checker.
  const Clock* clock = &RealClock::Get();
};

// The auth half of a join method's factory. Immutable and thread-safe.
class AuthJoinMethod {
 public:
  virtual ~AuthJoinMethod() = default;
  // The method name as written in a token's `spec.join_method`.
  virtual absl::string_view name() const = 0;
  // Parses and validates `spec.<name>` of a token (`section`, nullopt when
  // absent). Errors are kInvalidArgument naming file, line and field.
  virtual absl::StatusOr<std::shared_ptr<const TokenSpec>> ParseTokenSpec(
      const std::optional<config::YamlNode>& section) const = 0;
  // Renders a spec back to the YAML mapping stored for `spec.<name>`
  // (secrets only in hashed form).
  virtual std::string TokenSpecYaml(const TokenSpec& spec) const = 0;
  // Builds the method's checker.
  virtual absl::StatusOr<std::shared_ptr<Checker>> NewChecker(
      const CheckerOptions& options) const = 0;
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_CHECKER_H_
