#include "methods/token/auth/token_checker.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/digest.h"
#include "core/util/status_macros.h"
#include "proto/token/v1/token.pb.h"

namespace enlist::token_method {
namespace {

using enlist::token::v1::TokenChallenge;
using enlist::token::v1::TokenSolution;

class TokenCheckerSession final : public join::CheckerSession {
 public:
  explicit TokenCheckerSession(const TokenMethodSpec* spec) : spec_(spec) {}

  absl::StatusOr<join::Step> Start() override {
    google::protobuf::Any challenge;
    challenge.PackFrom(TokenChallenge());
    return join::Step(std::move(challenge));
  }

  absl::StatusOr<join::Step> OnSolution(const google::protobuf::Any& payload) override {
    TokenSolution solution;
    if (!payload.Is<TokenSolution>() || !payload.UnpackTo(&solution)) {
      return absl::InvalidArgumentError("token: solution is not a TokenSolution");
    }
    if (solution.secret().size() > kMaxSecretLength) {
      return absl::InvalidArgumentError("token: secret over the size limit");
    }
    crypto::Sha256Digest got = crypto::Sha256(solution.secret());
    if (!crypto::ConstantTimeEquals(
            absl::string_view(reinterpret_cast<const char*>(got.data()), got.size()),
            spec_->secret_sha256())) {
      return absl::UnauthenticatedError("token: wrong secret");
    }
    join::Accept accept;
    accept.consume_token = spec_->single_use();
    accept.attributes.emplace_back("token.single_use", spec_->single_use() ? "true" : "false");
    return join::Step(std::move(accept));
  }

 private:
  const TokenMethodSpec* spec_;
};

class TokenChecker final : public join::Checker {
 public:
  absl::StatusOr<std::unique_ptr<join::CheckerSession>> Begin(
      const join::JoinContext& ctx) override {
    auto* spec = dynamic_cast<const TokenMethodSpec*>(ctx.spec);
    if (spec == nullptr) return absl::InternalError("token: token spec of another method");
    return std::unique_ptr<join::CheckerSession>(new TokenCheckerSession(spec));
  }
};

}  // namespace

absl::StatusOr<std::shared_ptr<const join::TokenSpec>> TokenAuthMethod::ParseTokenSpec(
    const std::optional<config::YamlNode>& section) const {
  if (!section.has_value()) {
    return absl::InvalidArgumentError(
        "spec.token: missing: join method \"token\" needs spec.token.secret or "
        "spec.token.secret_sha256");
  }
  ENLIST_RETURN_IF_ERROR(section->CheckFields({"secret", "secret_sha256", "single_use"}));
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> secret, section->Child("secret"));
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> hash, section->Child("secret_sha256"));
  if (secret.has_value() == hash.has_value()) {
    return section->Invalid("exactly one of secret and secret_sha256 is required");
  }
  std::string digest;
  if (secret.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(std::string s, secret->AsString());
    if (s.size() < kMinSecretLength) {
      return secret->Invalid(
          absl::StrCat("secret is shorter than ", kMinSecretLength, " characters"));
    }
    if (s.size() > kMaxSecretLength) return secret->Invalid("secret is too long");
    crypto::Sha256Digest d = crypto::Sha256(s);
    digest.assign(reinterpret_cast<const char*>(d.data()), d.size());
  } else {
    ENLIST_ASSIGN_OR_RETURN(std::string hex, hash->AsString());
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return hash->Invalid("expected 64 lowercase hex digits");
    }
    digest = absl::HexStringToBytes(hex);
  }
  bool single_use = false;
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> su, section->Child("single_use"));
  if (su.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(single_use, su->AsBool());
  }
  return std::shared_ptr<const join::TokenSpec>(
      std::make_shared<TokenMethodSpec>(std::move(digest), single_use));
}

std::string TokenAuthMethod::TokenSpecYaml(const join::TokenSpec& spec) const {
  const auto& s = dynamic_cast<const TokenMethodSpec&>(spec);
  return absl::StrCat("secret_sha256: \"", absl::BytesToHexString(s.secret_sha256()),
                      "\"\nsingle_use: ", s.single_use() ? "true" : "false", "\n");
}

absl::StatusOr<std::shared_ptr<join::Checker>> TokenAuthMethod::NewChecker(
    const join::CheckerOptions& options) const {
  if (options.settings.has_value()) {
    ENLIST_RETURN_IF_ERROR(options.settings->CheckFields({}));
  }
  return std::shared_ptr<join::Checker>(std::make_shared<TokenChecker>());
}

absl::Status RegisterTokenAuth(join::AuthRegistry& registry) {
  return registry.Register(std::make_unique<TokenAuthMethod>());
}

}  // namespace enlist::token_method
