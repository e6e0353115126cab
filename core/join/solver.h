// The agent half of a join method.
#ifndef ENLIST_CORE_JOIN_SOLVER_H_
#define ENLIST_CORE_JOIN_SOLVER_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/config/yaml.h"
#include "google/protobuf/any.pb.h"

namespace enlist::join {

// Solves a server's challenge. One Solver serves one join at a time; Solve
// may block on I/O (e.g. IMDS) but must return by `deadline`.
class Solver {
 public:
  virtual ~Solver() = default;

  // Produces the solution payload for `challenge` (a method-defined message
  // packed in Any). Errors: kInvalidArgument for a challenge this method
  // cannot read, kUnavailable when a dependency (IMDS, network) is down,
  // kDeadlineExceeded when `deadline` passes.
  virtual absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any& challenge,
                                                      absl::Time deadline) = 0;
};

// What an agent's configuration says about a method.
struct SolverOptions {
  // `teleport.join_params.<method>` of the agent config, when present.
  std::optional<config::YamlNode> join_params;
  // `enlist.<method>` of the agent config (Enlist's own settings, e.g.
  // endpoint overrides), when present.
  std::optional<config::YamlNode> settings;
};

// The agent half of a join method's factory. Implementations are immutable
// and thread-safe.
class AgentJoinMethod {
 public:
  virtual ~AgentJoinMethod() = default;
  // The method name as written in `join_method` / `join_params.method`.
  virtual absl::string_view name() const = 0;
  // Builds a solver. kInvalidArgument names the offending option.
  virtual absl::StatusOr<std::unique_ptr<Solver>> NewSolver(const SolverOptions& options) const = 0;
};

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_SOLVER_H_
