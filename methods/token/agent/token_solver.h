// The agent half of the `token` join method: answers the challenge with the
// configured secret.
#ifndef ENLIST_METHODS_TOKEN_AGENT_TOKEN_SOLVER_H_
#define ENLIST_METHODS_TOKEN_AGENT_TOKEN_SOLVER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/join/registry.h"
#include "core/join/solver.h"

namespace enlist::token_method {

// Agent config, `teleport.join_params.token`:
//   token:
//     secret_file: /etc/enlist/join-secret   # or
//     secret: "<plain>"
class TokenAgentMethod final : public join::AgentJoinMethod {
 public:
  absl::string_view name() const override { return "token"; }
  absl::StatusOr<std::unique_ptr<join::Solver>> NewSolver(
      const join::SolverOptions& options) const override;
};

// Adds the method to `registry`.
absl::Status RegisterTokenAgent(join::AgentRegistry& registry);

}  // namespace enlist::token_method

#endif  // ENLIST_METHODS_TOKEN_AGENT_TOKEN_SOLVER_H_
