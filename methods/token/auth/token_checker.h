// The auth half of the `token` join method: a shared secret, stored only as
// its SHA-256, compared in constant time, optionally single-use.
#ifndef ENLIST_METHODS_TOKEN_AUTH_TOKEN_CHECKER_H_
#define ENLIST_METHODS_TOKEN_AUTH_TOKEN_CHECKER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/join/checker.h"
#include "core/join/registry.h"

namespace enlist::token_method {

// Shortest secret accepted: 16 characters (the method assumes random,
// high-entropy secrets such as `enlistctl tokens add` generates; a bare
// SHA-256 is then a safe way to store them).
inline constexpr size_t kMinSecretLength = 16;
inline constexpr size_t kMaxSecretLength = 1024;

// `spec.token` of a token resource.
//   token:
//     secret: "<plain>"            # accepted on input, hashed at once
//     secret_sha256: "<64 hex>"    # what is stored
//     single_use: true             # default false
class TokenMethodSpec final : public join::TokenSpec {
 public:
  TokenMethodSpec(std::string secret_sha256, bool single_use)
      : secret_sha256_(std::move(secret_sha256)), single_use_(single_use) {}
  // Raw 32-byte SHA-256 of the secret.
  const std::string& secret_sha256() const { return secret_sha256_; }
  bool single_use() const { return single_use_; }

 private:
  std::string secret_sha256_;
  bool single_use_;
};

// The method's auth-side factory.
class TokenAuthMethod final : public join::AuthJoinMethod {
 public:
  absl::string_view name() const override { return "token"; }
  absl::StatusOr<std::shared_ptr<const join::TokenSpec>> ParseTokenSpec(
      const std::optional<config::YamlNode>& section) const override;
  std::string TokenSpecYaml(const join::TokenSpec& spec) const override;
  absl::StatusOr<std::shared_ptr<join::Checker>> NewChecker(
      const join::CheckerOptions& options) const override;
};

// Adds the method to `registry`.
absl::Status RegisterTokenAuth(join::AuthRegistry& registry);

}  // namespace enlist::token_method

#endif  // ENLIST_METHODS_TOKEN_AUTH_TOKEN_CHECKER_H_
