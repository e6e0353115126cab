#include "tools/examples/methods/passphrase_agent.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/crypto/digest.h"
#include "core/util/status_macros.h"
#include "tools/examples/methods/passphrase.pb.h"

namespace enlist::examples {
namespace {

using enlist::examples::passphrase::v1::PassphraseChallenge;
using enlist::examples::passphrase::v1::PassphraseSolution;

class PassphraseSolver final : public join::Solver {
 public:
  explicit PassphraseSolver(std::string word) : word_(std::move(word)) {}

  absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any& challenge,
                                              absl::Time) override {
    PassphraseChallenge c;
    if (!challenge.UnpackTo(&c)) {
      return absl::InvalidArgumentError("passphrase: challenge is not a PassphraseChallenge");
    }
    crypto::Sha256Digest proof = crypto::Sha256(absl::StrCat(c.nonce(), word_));
    PassphraseSolution s;
    s.set_proof(std::string(reinterpret_cast<const char*>(proof.data()), proof.size()));
    google::protobuf::Any out;
    out.PackFrom(s);
    return out;
  }

 private:
  std::string word_;
};

class PassphraseAgentMethod final : public join::AgentJoinMethod {
 public:
  absl::string_view name() const override { return "passphrase"; }
  absl::StatusOr<std::unique_ptr<join::Solver>> NewSolver(
      const join::SolverOptions& options) const override {
    if (!options.join_params.has_value()) {
      return absl::InvalidArgumentError("join_params.passphrase: missing: the method needs a word");
    }
    ENLIST_RETURN_IF_ERROR(options.join_params->CheckFields({"word"}));
    ENLIST_ASSIGN_OR_RETURN(config::YamlNode word, options.join_params->Required("word"));
    ENLIST_ASSIGN_OR_RETURN(std::string value, word.AsString());
    return std::unique_ptr<join::Solver>(new PassphraseSolver(std::move(value)));
  }
};

}  // namespace

absl::Status RegisterPassphraseAgent(join::AgentRegistry& registry) {
  return registry.Register(std::make_unique<PassphraseAgentMethod>());
}

}  // namespace enlist::examples
