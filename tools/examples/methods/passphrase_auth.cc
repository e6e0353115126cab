#include "tools/examples/methods/passphrase_auth.h"

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/digest.h"
#include "core/util/status_macros.h"
#include "tools/examples/methods/passphrase.pb.h"

namespace enlist::examples {
namespace {

using enlist::examples::passphrase::v1::PassphraseChallenge;
using enlist::examples::passphrase::v1::PassphraseSolution;

constexpr size_t kNonceBytes = 16;

class PassphraseSpec final : public join::TokenSpec {
 public:
  explicit PassphraseSpec(std::string word) : word_(std::move(word)) {}
  const std::string& word() const { return word_; }

 private:
  std::string word_;
};

class PassphraseSession final : public join::CheckerSession {
 public:
  explicit PassphraseSession(const PassphraseSpec* spec) : spec_(spec) {}

  absl::StatusOr<join::Step> Start() override {
    ENLIST_ASSIGN_OR_RETURN(nonce_, crypto::RandomBytes(kNonceBytes));
    PassphraseChallenge c;
    c.set_nonce(nonce_);
    google::protobuf::Any any;
    any.PackFrom(c);
    return join::Step(std::move(any));
  }

  absl::StatusOr<join::Step> OnSolution(const google::protobuf::Any& solution) override {
    PassphraseSolution s;
    if (!solution.UnpackTo(&s)) {
      return absl::InvalidArgumentError("passphrase: solution is not a PassphraseSolution");
    }
    crypto::Sha256Digest want = crypto::Sha256(absl::StrCat(nonce_, spec_->word()));
    std::string want_bytes(reinterpret_cast<const char*>(want.data()), want.size());
    if (!crypto::ConstantTimeEquals(s.proof(), want_bytes)) {
      return absl::UnauthenticatedError("passphrase: wrong passphrase");
    }
    join::Accept accept;
    accept.attributes = {{"passphrase.proof", "sha256"}};
    return join::Step(std::move(accept));
  }

 private:
  const PassphraseSpec* spec_;
  std::string nonce_;
};

class PassphraseChecker final : public join::Checker {
 public:
  absl::StatusOr<std::unique_ptr<join::CheckerSession>> Begin(const join::JoinContext& ctx) override {
    const auto* spec = dynamic_cast<const PassphraseSpec*>(ctx.spec);
    if (spec == nullptr) return absl::InternalError("passphrase: token spec of another method");
    return std::unique_ptr<join::CheckerSession>(new PassphraseSession(spec));
  }
};

class PassphraseAuthMethod final : public join::AuthJoinMethod {
 public:
  absl::string_view name() const override { return kPassphraseMethod; }

  absl::StatusOr<std::shared_ptr<const join::TokenSpec>> ParseTokenSpec(
      const std::optional<config::YamlNode>& section) const override {
    if (!section.has_value()) {
      return absl::InvalidArgumentError("spec.passphrase: missing (the method needs a word)");
    }
    ENLIST_RETURN_IF_ERROR(section->CheckFields({"word"}));
    ENLIST_ASSIGN_OR_RETURN(config::YamlNode word, section->Required("word"));
    ENLIST_ASSIGN_OR_RETURN(std::string value, word.AsString());
    if (value.empty()) return word.Invalid("word is empty");
    return std::shared_ptr<const join::TokenSpec>(new PassphraseSpec(std::move(value)));
  }

  std::string TokenSpecYaml(const join::TokenSpec& spec) const override {
    const auto& s = dynamic_cast<const PassphraseSpec&>(spec);
    return absl::StrCat("word: \"", absl::CEscape(s.word()), "\"\n");
  }

  absl::StatusOr<std::shared_ptr<join::Checker>> NewChecker(
      const join::CheckerOptions&) const override {
    return std::shared_ptr<join::Checker>(new PassphraseChecker());
  }
};

}  // namespace

absl::Status RegisterPassphraseAuth(join::AuthRegistry& registry) {
  return registry.Register(std::make_unique<PassphraseAuthMethod>());
}

}  // namespace enlist::examples
