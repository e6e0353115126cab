#include "methods/azure/auth/azure_checker.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/digest.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "methods/azure/auth/attested_check.h"
#include "methods/azure/auth/challenge.h"
#include "methods/azure/auth/resource_id.h"

namespace enlist::azure {
namespace {

using enlist::azure::v1::AzureChallenge;
using enlist::azure::v1::AzureSolution;

absl::Status Deny(const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(kDenialPrefix, s.message()));
}

class AzureCheckerSession final : public join::CheckerSession {
 public:
  AzureCheckerSession(AzureChecker* checker, const AzureTokenSpec* spec, std::string token_name)
      : checker_(checker), spec_(spec), token_name_(std::move(token_name)) {}

  absl::StatusOr<join::Step> Start() override {
    if (!nonce_.empty()) return absl::FailedPreconditionError("azure: challenge already sent");
    ENLIST_ASSIGN_OR_RETURN(nonce_, NewChallengeNonce());
    AzureChallenge challenge;
    challenge.set_nonce(nonce_);
    google::protobuf::Any any;
    any.PackFrom(challenge);
    return join::Step(std::move(any));
  }

  absl::StatusOr<join::Step> OnSolution(const google::protobuf::Any& payload) override {
    if (nonce_.empty() || used_) {
      return absl::FailedPreconditionError(
          absl::StrCat(kDenialPrefix, "no outstanding challenge (a challenge is used once)"));
    }
    used_ = true;
    AzureSolution solution;
    if (!payload.Is<AzureSolution>() || !payload.UnpackTo(&solution)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kDenialPrefix, "solution is not an AzureSolution"));
    }
    absl::StatusOr<join::Accept> accept = checker_->Check(solution, nonce_, *spec_, token_name_);
    if (!accept.ok()) return Deny(accept.status());
    return join::Step(*std::move(accept));
  }

 private:
  AzureChecker* const checker_;
  const AzureTokenSpec* const spec_;
  const std::string token_name_;
  std::string nonce_;
  bool used_ = false;
};

}  // namespace

AzureChecker::AzureChecker(AzureCheckerConfig config, AzureCheckerDeps deps)
    : config_(std::move(config)), deps_(std::move(deps)) {}

absl::StatusOr<std::shared_ptr<AzureChecker>> AzureChecker::Create(AzureCheckerConfig config,
                                                                   AzureCheckerDeps deps) {
  if (deps.http == nullptr) return absl::InvalidArgumentError("azure: checker needs an HTTP client");
  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<const crypto::TrustStore> roots, LoadAzureRoots(config));
  std::shared_ptr<AzureChecker> c(new AzureChecker(std::move(config), std::move(deps)));
  const AzureCheckerConfig& cfg = c->config_;
  if (cfg.fetch_intermediates) {
    IntermediateFetchOptions fo;
    fo.allowed_prefixes = cfg.intermediate_url_prefixes;
    fo.request_timeout = cfg.request_timeout;
    fo.cache_ttl = cfg.intermediate_cache_ttl;
    c->fetcher_ = std::make_unique<IntermediateFetcher>(c->deps_.http.get(), fo, c->deps_.clock,
                                                        c->deps_.logger);
  }
  crypto::ChainOptions co;
  co.allow_non_self_signed_anchors = cfg.allow_non_self_signed_roots;
  c->chains_ = std::make_unique<SignerChainVerifier>(std::move(roots), cfg.cloud.metadata_domains,
                                                     c->fetcher_.get(), co);
  jwt::OidcOptions oo;
  oo.cache_ttl = cfg.jwks_cache_ttl;
  oo.min_refresh_interval = cfg.jwks_min_refresh_interval;
  oo.request_timeout = cfg.request_timeout;
  c->keys_ = std::make_unique<jwt::OidcKeyProvider>(c->deps_.http.get(), c->deps_.clock, oo);
  AccessTokenOptions to;
  to.sts_url = cfg.cloud.sts_url;
  to.login_url = cfg.cloud.login_url;
  to.audiences = cfg.arm_audiences;
  to.clock_skew = cfg.clock_skew;
  c->tokens_ = std::make_unique<AccessTokenVerifier>(c->keys_.get(), to);
  ArmOptions ao;
  ao.endpoint = cfg.cloud.arm_endpoint;
  ao.api_version = cfg.arm_api_version;
  ao.request_timeout = cfg.request_timeout;
  c->arm_ = std::make_unique<ArmClient>(c->deps_.http.get(), ao, c->deps_.clock, c->deps_.sleeper);
  return c;
}

absl::StatusOr<std::unique_ptr<join::CheckerSession>> AzureChecker::Begin(
    const join::JoinContext& ctx) {
  auto* spec = dynamic_cast<const AzureTokenSpec*>(ctx.spec);
  if (spec == nullptr) return absl::InternalError("azure: token spec of another method");
  return std::unique_ptr<join::CheckerSession>(
      new AzureCheckerSession(this, spec, ctx.token_name));
}

absl::StatusOr<std::string> AzureChecker::ArmBearer(const std::string& node_token) const {
  if (config_.arm_credential_file.empty()) return node_token;
  absl::StatusOr<std::string> token = ReadFileCapped(config_.arm_credential_file, 16 * 1024);
  if (!token.ok()) {
    return absl::UnavailableError(
        absl::StrCat("arm: reading arm_credential_file: ", token.status().message()));
  }
  return std::string(absl::StripAsciiWhitespace(*token));
}

absl::StatusOr<join::Accept> AzureChecker::Check(const AzureSolution& solution,
                                                 absl::string_view challenge,
                                                 const AzureTokenSpec& spec,
                                                 absl::string_view token_name) {
  const absl::Time now = deps_.clock->Now();
  // Step 2: presence and caps before anything is parsed.
  if (solution.attested_data().empty()) {
    return absl::InvalidArgumentError("attested data: missing");
  }
  if (solution.attested_data().size() > kMaxAttestedDataSize) {
    return absl::InvalidArgumentError(absl::StrCat("attested data: ",
                                                   solution.attested_data().size(),
                                                   " bytes, over the limit of ",
                                                   kMaxAttestedDataSize));
  }
  if (solution.access_token().empty()) return absl::InvalidArgumentError("access token: missing");
  if (solution.access_token().size() > kMaxAccessTokenSize) {
    return absl::InvalidArgumentError(absl::StrCat("access token: ",
                                                   solution.access_token().size(),
                                                   " bytes, over the limit of ",
                                                   kMaxAccessTokenSize));
  }
  if (solution.intermediates().size() > kMaxIntermediatesSize) {
    return absl::InvalidArgumentError(absl::StrCat("intermediates: ",
                                                   solution.intermediates().size(),
                                                   " bytes, over the limit of ",
                                                   kMaxIntermediatesSize));
  }
  // Steps 2-3: envelope and signature.
  ENLIST_ASSIGN_OR_RETURN(crypto::VerifiedSignedData sd,
                          VerifyAttestedSignature(solution.attested_data()));
  // Step 4: the signer chains to an Azure root and is named in the domain.
  ENLIST_RETURN_IF_ERROR(chains_->Verify(*sd.signer, solution.intermediates(), now).status());
  // Step 5: payload.
  ENLIST_ASSIGN_OR_RETURN(AttestedPayload payload,
                          CheckAttestedPayload(sd.content, challenge, now, config_.clock_skew));
  // Step 6: the access token.
  ENLIST_ASSIGN_OR_RETURN(AccessTokenClaims claims, tokens_->Verify(solution.access_token(), now));

  // Step 7: which VM the token speaks for, bound to the attested subscription.
  if (payload.subscription_id.empty()) {
    return absl::UnauthenticatedError(
        "attested document: no subscriptionId (IMDS api-version before 2019-04-30)");
  }
  const bool user_assigned =
      !claims.xms_az_rid.empty() ||
      absl::StrContains(absl::AsciiStrToLower(claims.xms_mirid), "/userassignedidentities/");
  const std::string& rid = claims.xms_az_rid.empty() ? claims.xms_mirid : claims.xms_az_rid;
  const char* rid_claim = claims.xms_az_rid.empty() ? "xms_mirid" : "xms_az_rid";
  std::optional<VmResource> vm;
  if (!rid.empty()) {
    absl::StatusOr<VmResource> parsed = ParseVmResourceId(rid);
    if (parsed.ok()) {
      vm = *std::move(parsed);
    } else if (!absl::IsNotFound(parsed.status())) {
      return absl::UnauthenticatedError(
          absl::StrCat("access token: ", rid_claim, ": ", parsed.status().message()));
    }
  }
  const bool strict = config_.strict || spec.strict();
  if (!vm.has_value()) {
    if (!config_.arm_fallback) {
      return absl::UnauthenticatedError(
          "access token: claims name no VM resource (xms_az_rid, xms_mirid) and arm_fallback "
          "is off");
    }
    ENLIST_ASSIGN_OR_RETURN(std::string bearer, ArmBearer(solution.access_token()));
    absl::StatusOr<std::string> found =
        arm_->FindVmByVmId(payload.subscription_id, nullptr, payload.vm_id, bearer);
    if (absl::IsNotFound(found.status())) {
      return absl::UnauthenticatedError(
          "access token: claims name no VM resource and ARM lists no VM with the attested vmId");
    }
    if (!found.ok()) return found.status();
    absl::StatusOr<VmResource> parsed = ParseVmResourceId(*found);
    if (!parsed.ok()) {
      return absl::UnavailableError(absl::StrCat("arm: ", parsed.status().message()));
    }
    vm = *std::move(parsed);
  }
  if (vm->subscription != payload.subscription_id) {
    return absl::UnauthenticatedError(absl::StrCat(
        "access token's VM is in subscription ", vm->subscription,
        " but the attested document is from subscription ", payload.subscription_id));
  }
  if (strict) {
    ENLIST_ASSIGN_OR_RETURN(std::string bearer, ArmBearer(solution.access_token()));
    if (vm->kind == VmResource::Kind::kScaleSet) {
      absl::StatusOr<std::string> found =
          arm_->FindVmByVmId(payload.subscription_id, &*vm, payload.vm_id, bearer);
      if (absl::IsNotFound(found.status())) {
        return absl::UnauthenticatedError(absl::StrCat(
            "strict: ARM lists no instance of scale set \"", vm->vm_name,
            "\" with the attested vmId"));
      }
      if (!found.ok()) return found.status();
      absl::StatusOr<VmResource> parsed = ParseVmResourceId(*found);
      if (!parsed.ok()) return absl::UnavailableError(absl::StrCat("arm: ", parsed.status().message()));
      vm = *std::move(parsed);
    } else {
      ENLIST_ASSIGN_OR_RETURN(std::string arm_vm_id, arm_->VmIdOf(*vm, bearer));
      if (!absl::EqualsIgnoreCase(arm_vm_id, payload.vm_id)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "strict: ARM says VM \"", vm->DisplayName(),
            "\" is not the attested VM (vmId differs)"));
      }
    }
  }

  // Step 8: the token's allow rules.
  if (!spec.Match(claims.tenant, vm->subscription, vm->resource_group).has_value()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "VM \"", vm->DisplayName(), "\" (tenant ", claims.tenant, ", subscription ",
        vm->subscription, ", resource group \"", vm->resource_group,
        "\") matches no allow rule of token \"", token_name, "\""));
  }
  join::Accept accept;
  accept.attributes = {
      {"azure.tenant", claims.tenant},
      {"azure.subscription", vm->subscription},
      {"azure.resource_group", vm->resource_group},
      {"azure.vm_id", absl::AsciiStrToLower(payload.vm_id)},
      {"azure.resource_id", vm->id},
      {"azure.identity", user_assigned ? "user" : "system"},
      {"azure.vm_name", vm->DisplayName()},
  };
  return accept;
}

}  // namespace enlist::azure
