#include "methods/token/agent/token_solver.h"

#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "proto/token/v1/token.pb.h"

namespace enlist::token_method {
namespace {

constexpr size_t kMaxSecretFile = 4096;

class TokenSolver final : public join::Solver {
 public:
  explicit TokenSolver(std::string secret) : secret_(std::move(secret)) {}

  absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any& challenge,
                                              absl::Time) override {
    if (!challenge.Is<enlist::token::v1::TokenChallenge>()) {
      return absl::InvalidArgumentError("token: challenge is not a TokenChallenge");
    }
    enlist::token::v1::TokenSolution solution;
    solution.set_secret(secret_);
    google::protobuf::Any out;
    out.PackFrom(solution);
    return out;
  }

 private:
  std::string secret_;
};

absl::StatusOr<std::string> ReadSecretFile(const config::YamlNode& node, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return node.Invalid(absl::StrCat("cannot read secret file \"", path, "\""));
  std::string data;
  data.resize(kMaxSecretFile + 1);
  in.read(data.data(), data.size());
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxSecretFile) return node.Invalid("secret file is too large");
  return std::string(absl::StripAsciiWhitespace(data));
}

}  // namespace

absl::StatusOr<std::unique_ptr<join::Solver>> TokenAgentMethod::NewSolver(
    const join::SolverOptions& options) const {
  if (!options.join_params.has_value()) {
    return absl::InvalidArgumentError(
        "join_params.token: missing: join method \"token\" needs secret_file or secret");
  }
  const config::YamlNode& p = *options.join_params;
  ENLIST_RETURN_IF_ERROR(p.CheckFields({"secret", "secret_file"}));
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> secret, p.Child("secret"));
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> file, p.Child("secret_file"));
  if (secret.has_value() == file.has_value()) {
    return p.Invalid("exactly one of secret and secret_file is required");
  }
  std::string value;
  if (secret.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(value, secret->AsString());
  } else {
    ENLIST_ASSIGN_OR_RETURN(std::string path, file->AsString());
    ENLIST_ASSIGN_OR_RETURN(value, ReadSecretFile(*file, path));
  }
  if (value.empty()) return p.Invalid("secret is empty");
  return std::unique_ptr<join::Solver>(new TokenSolver(std::move(value)));
}

absl::Status RegisterTokenAgent(join::AgentRegistry& registry) {
  return registry.Register(std::make_unique<TokenAgentMethod>());
}

}  // namespace enlist::token_method
