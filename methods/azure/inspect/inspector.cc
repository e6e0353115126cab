#include "methods/azure/inspect/inspector.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/config/yaml.h"
#include "core/crypto/cert.h"
#include "core/crypto/cert_name.h"
#include "core/crypto/chain.h"
#include "core/crypto/pkcs7.h"
#include "core/crypto/trust_store.h"
#include "core/jwt/jwt.h"
#include "core/jwt/oidc.h"
#include "core/token/token_resource.h"
#include "core/util/status_macros.h"
#include "methods/azure/auth/access_token.h"
#include "methods/azure/auth/attested_check.h"
#include "methods/azure/auth/azure_auth_method.h"
#include "methods/azure/auth/azure_checker.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/auth/checker_config.h"
#include "methods/azure/auth/resource_id.h"
#include "methods/azure/auth/signer_chain.h"
#include "methods/azure/common/attested_document.h"
#include "methods/azure/common/ca_issuer_url.h"
#include "methods/azure/common/cloud.h"
#include "methods/azure/common/intermediate_fetcher.h"
#include "methods/azure/inspect/offline_http_client.h"
#include "proto/azure/v1/azure.pb.h"

namespace enlist::azure::inspect {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

CheckResult Pass(int step, std::string name, std::string detail = "") {
  return CheckResult{step, std::move(name), Verdict::kPass, std::move(detail),
                     absl::StatusCode::kOk, ""};
}

CheckResult Fail(int step, std::string name, const absl::Status& s, std::string hint = "") {
  return CheckResult{step, std::move(name), Verdict::kFail, std::string(s.message()), s.code(),
                     std::move(hint)};
}

CheckResult Skip(int step, std::string name, std::string why) {
  return CheckResult{step, std::move(name), Verdict::kSkip, std::move(why),
                     absl::StatusCode::kOk, ""};
}

std::string StateAt(absl::Time not_before, absl::Time not_after, absl::Time at) {
  if (at > not_after) return "expired";
  if (at < not_before) return "not yet valid";
  return "valid";
}

CertificateSummary Summarize(const X509& cert, absl::Time at) {
  CertificateSummary out;
  absl::StatusOr<crypto::CertificateInfo> info = crypto::DescribeCertificate(cert);
  if (!info.ok()) {
    out.subject = absl::StrCat("(unreadable: ", info.status().message(), ")");
    return out;
  }
  return CertificateSummary{info->subject,   info->issuer,
                            info->not_before, info->not_after,
                            info->sha256_hex, StateAt(info->not_before, info->not_after, at)};
}

CertificateSummary Summarize(const crypto::CertificateInfo& info, absl::Time at) {
  return CertificateSummary{info.subject,    info.issuer,     info.not_before,
                            info.not_after,  info.sha256_hex, StateAt(info.not_before, info.not_after, at)};
}

SignerSummary SummarizeSigner(const X509& signer, bool verified, absl::Time at) {
  SignerSummary s;
  s.verified = verified;
  s.certificate = Summarize(signer, at);
  s.dns_names = crypto::DnsNames(signer);
  for (const std::string& url : crypto::CaIssuerUrls(signer)) {
    s.ca_issuers.push_back(AiaUrl{url, IsAllowedCaIssuerUrl(url)});
  }
  return s;
}

std::optional<PayloadSummary> SummarizePayload(absl::string_view content, bool verified) {
  absl::StatusOr<AttestedPayload> p = ParseAttestedPayload(content);
  if (!p.ok()) return std::nullopt;
  return PayloadSummary{verified, p->nonce, p->vm_id, p->subscription_id, p->sku, p->created_on,
                        p->expires_on};
}

// The intermediates as the agent sends them: concatenated DER.
absl::StatusOr<std::string> IntermediatesDer(const std::string& given) {
  if (!absl::StrContains(given, "-----BEGIN")) return given;
  ENLIST_ASSIGN_OR_RETURN(std::vector<crypto::X509Ptr> certs, crypto::ParseCertificatesPem(given));
  std::string der;
  for (const crypto::X509Ptr& c : certs) {
    ENLIST_ASSIGN_OR_RETURN(std::string one, crypto::CertificateDer(*c));
    der += one;
  }
  return der;
}

// The other clouds whose metadata domain names `signer` (for a hint).
std::string CloudNamingSigner(const X509& signer, absl::string_view current) {
  for (const char* name : {"public", "usgovernment", "china", "germany"}) {
    if (name == current) continue;
    absl::StatusOr<Cloud> cloud = CloudPreset(name);
    if (!cloud.ok()) continue;
    if (crypto::CheckCertificateName(signer, cloud->metadata_domains).ok()) return name;
  }
  return "";
}

std::string ChainHint(const absl::Status& s, const X509& signer, const InspectOptions& options,
                      const std::optional<PayloadSummary>& payload, absl::Time at) {
  const absl::string_view msg = s.message();
  if (absl::StrContains(msg, "x509: name:")) {
    std::string other = CloudNamingSigner(signer, options.cloud);
    if (!other.empty()) return absl::StrCat("the signer is named in the ", other,
                                            " cloud's metadata domain: try --cloud ", other);
    return "the signer is not an Azure IMDS certificate of this cloud";
  }
  if (absl::StrContains(msg, "expired") || absl::StrContains(msg, "not yet valid")) {
    std::string leaf;
    absl::StatusOr<crypto::CertificateInfo> info = crypto::DescribeCertificate(signer);
    if (info.ok() && info->not_after < at) {
      leaf = absl::StrCat("the signer certificate (leaf) expired at ", Rfc3339(info->not_after),
                          "; ");
    }
    if (payload.has_value()) {
      return absl::StrCat(leaf, "certificates are checked at the inspection time; to see the document "
                          "as the auth server saw it when it was issued, pass --at ",
                          Rfc3339(payload->created_on));
    }
    return absl::StrCat(leaf, "certificates are checked at the inspection time (--at)");
  }
  if (absl::StrContains(msg, "getting intermediate CA") ||
      absl::StrContains(msg, "unable to get local issuer")) {
    return "pass the intermediates the agent sends (--intermediates, PEM or DER) and check that "
           "--roots (default: the Azure roots of /etc/ssl/certs) holds the root they chain to";
  }
  return "";
}

}  // namespace

absl::StatusOr<InspectReport> Inspect(const InspectOptions& options) {
  // The checker's settings, through the checker's own parser.
  absl::Status cloud_ok = CloudPreset(options.cloud).status();
  if (!cloud_ok.ok()) return Prefixed("inspect: --cloud: ", cloud_ok);
  absl::StatusOr<config::YamlNode> settings =
      config::YamlNode::ParseOne(absl::StrCat("cloud: ", options.cloud, "\n"), "--cloud");
  if (!settings.ok()) return Prefixed("inspect: --cloud: ", settings.status());
  ENLIST_ASSIGN_OR_RETURN(AzureCheckerConfig config, ParseCheckerConfig(*settings));
  config.roots_file = options.roots_file;
  absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> roots = LoadAzureRoots(config);
  if (!roots.ok()) return Prefixed("inspect: roots: ", roots.status());
  absl::StatusOr<std::string> intermediates = IntermediatesDer(options.intermediates);
  if (!intermediates.ok()) return Prefixed("inspect: intermediates: ", intermediates.status());

  // The allow rules, through the token parser the auth server uses.
  std::optional<token::TokenResource> token_resource;
  auto http = std::make_shared<OfflineHttpClient>(options.jwks);
  if (!options.token_yaml.empty()) {
    join::AuthRegistry registry;
    ENLIST_RETURN_IF_ERROR(RegisterAzureAuth(registry, http));
    absl::StatusOr<std::vector<token::TokenResource>> tokens =
        token::ParseTokens(options.token_yaml, options.token_yaml_source, registry);
    if (!tokens.ok()) return Prefixed("inspect: --token-yaml: ", tokens.status());
    for (token::TokenResource& t : *tokens) {
      if (t.join_method == "azure") {
        token_resource = std::move(t);
        break;
      }
    }
    if (!token_resource.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("inspect: --token-yaml: ",
                                                     options.token_yaml_source,
                                                     ": no token with join_method azure"));
    }
  }

  InspectReport report;
  report.at_given = options.at.has_value();
  report.at = options.at.value_or(options.clock->Now());
  report.cloud = options.cloud;
  ManualClock clock(report.at);
  const std::string access_token(absl::StripAsciiWhitespace(options.access_token));
  const bool have_document = !options.document.empty();

  // Steps 2-3: envelope and signature.
  std::optional<crypto::VerifiedSignedData> sd;
  if (!have_document) {
    report.checks.push_back(Skip(2, "envelope", "no --document given"));
    report.checks.push_back(Skip(3, "signature", "no --document given"));
  } else {
    absl::StatusOr<std::string> der = ParseAttestedEnvelope(options.document);
    if (!der.ok()) {
      report.checks.push_back(Fail(2, "envelope", der.status()));
      report.checks.push_back(Skip(3, "signature", "needs a readable envelope (step 2)"));
    } else {
      report.checks.push_back(Pass(2, "envelope", "encoding pkcs7"));
      absl::StatusOr<crypto::VerifiedSignedData> verified =
          VerifyAttestedSignature(options.document);
      if (verified.ok()) {
        report.checks.push_back(Pass(
            3, "signature",
            absl::StrCat(crypto::DigestAlgorithmName(verified->digest_algorithm), ", ",
                         verified->had_signed_attributes ? "over signed attributes"
                                                         : "over the content (no signed attributes)")));
        sd = *std::move(verified);
      } else {
        report.checks.push_back(Fail(3, "signature", verified.status(),
                                     "the document was altered after Azure signed it, or is not "
                                     "an IMDS attested document"));
        // Show what it claims, marked unverified.
        absl::StatusOr<crypto::VerifiedSignedData> unverified =
            crypto::ReadSignedDataUnverified(*der);
        if (unverified.ok()) {
          report.signer = SummarizeSigner(*unverified->signer, false, report.at);
          report.payload = SummarizePayload(unverified->content, false);
        }
      }
    }
  }
  if (sd.has_value()) {
    report.signer = SummarizeSigner(*sd->signer, true, report.at);
    report.payload = SummarizePayload(sd->content, true);
  }

  // Step 4: the signer's chain, as the checker builds it (same roots,
  // domains and AIA rules; the fetcher is offline).
  IntermediateFetchOptions fetch_options;
  fetch_options.allowed_prefixes = config.intermediate_url_prefixes;
  fetch_options.request_timeout = config.request_timeout;
  IntermediateFetcher fetcher(http.get(), fetch_options, &clock);
  crypto::ChainOptions chain_options;
  chain_options.allow_non_self_signed_anchors = config.allow_non_self_signed_roots;
  SignerChainVerifier chains(*roots, config.cloud.metadata_domains,
                             config.fetch_intermediates ? &fetcher : nullptr, chain_options);
  if (!sd.has_value()) {
    report.checks.push_back(Skip(4, "signer chain",
                                 have_document ? "needs a verified signature (step 3)"
                                               : "no --document given"));
  } else {
    absl::StatusOr<crypto::VerifiedChain> chain = chains.Verify(*sd->signer, *intermediates, report.at);
    ChainSummary summary;
    if (chain.ok()) {
      summary.verified = true;
      for (const crypto::CertificateInfo& c : chain->certificates) {
        summary.certificates.push_back(Summarize(c, report.at));
      }
      report.checks.push_back(Pass(
          4, "signer chain",
          absl::StrCat(chain->certificates.size(), " certificates to ",
                       chain->certificates.empty() ? "" : chain->certificates.back().subject)));
    } else {
      summary.certificates.push_back(Summarize(*sd->signer, report.at));
      absl::StatusOr<std::vector<crypto::X509Ptr>> offered =
          crypto::ParseCertificatesDer(*intermediates, kMaxIntermediates);
      if (offered.ok()) {
        for (const crypto::X509Ptr& c : *offered) {
          summary.certificates.push_back(Summarize(*c, report.at));
        }
      }
      report.checks.push_back(Fail(4, "signer chain", chain.status(),
                                   ChainHint(chain.status(), *sd->signer, options, report.payload, report.at)));
    }
    report.chain = std::move(summary);
  }

  // Step 5: the payload.
  if (!sd.has_value()) {
    const char* why = have_document ? "needs a verified signature (step 3)" : "no --document given";
    report.checks.push_back(Skip(5, "nonce", why));
    report.checks.push_back(Skip(5, "document time", why));
  } else {
    const std::string own_nonce = report.payload.has_value() ? report.payload->nonce : "";
    if (!options.nonce.has_value()) {
      report.checks.push_back(Skip(5, "nonce", "no --nonce given"));
    } else {
      // At createdOn the times pass by construction: only the nonce decides.
      const absl::Time when = report.payload.has_value() ? report.payload->created_on : report.at;
      absl::Status s =
          CheckAttestedPayload(sd->content, *options.nonce, when, config.clock_skew).status();
      if (s.ok()) {
        report.checks.push_back(Pass(5, "nonce", "the document carries the challenge"));
      } else {
        report.checks.push_back(
            Fail(5, "nonce", s,
                 "IMDS can return a cached document: the agent re-requests it; check --nonce"));
      }
    }
    absl::Status s = CheckAttestedPayload(sd->content, own_nonce, report.at, config.clock_skew).status();
    if (s.ok()) {
      report.checks.push_back(Pass(5, "document time",
                                   absl::StrCat("valid until ", Rfc3339(report.payload->expires_on))));
    } else {
      std::string hint;
      if (absl::StrContains(s.message(), "expired") && report.payload.has_value()) {
        hint = absl::StrCat("documents are valid for 6 h; to inspect it as issued pass --at ",
                            Rfc3339(report.payload->created_on),
                            "; on a live join check the auth server's and the VM's clocks");
      } else if (absl::StrContains(s.message(), "future")) {
        hint = "the auth server's clock is behind the VM's (clock_skew tolerates 2m by default)";
      }
      report.checks.push_back(Fail(5, "document time", s, std::move(hint)));
    }
  }

  // Step 6: the access token, with the checker's verifier over the given keys.
  jwt::OidcKeyProvider keys(http.get(), &clock);
  AccessTokenOptions token_options;
  token_options.sts_url = config.cloud.sts_url;
  token_options.login_url = config.cloud.login_url;
  token_options.audiences = config.arm_audiences;
  token_options.clock_skew = config.clock_skew;
  AccessTokenVerifier tokens(&keys, token_options);
  std::optional<AccessTokenClaims> claims;
  if (access_token.empty()) {
    report.checks.push_back(Skip(6, "access token", "no --token given"));
  } else {
    jwt::ParseLimits limits;
    limits.max_token_size = kMaxAccessTokenSize;
    absl::StatusOr<jwt::UnverifiedJwt> decoded = jwt::DecodeUnverified(access_token, limits);
    if (decoded.ok()) {
      TokenSummary t;
      t.alg = decoded->alg();
      t.kid = decoded->kid();
      for (const char* name : {"tid", "iss", "oid", "appid", "idtyp", "ver", "xms_mirid",
                               "xms_az_rid"}) {
        absl::StatusOr<std::optional<std::string>> v = decoded->OptionalStringClaim(name);
        if (v.ok() && v->has_value()) t.claims.emplace_back(name, **v);
        if (name == std::string("iss")) {
          absl::StatusOr<std::vector<std::string>> aud = decoded->Audience();
          if (aud.ok()) t.claims.emplace_back("aud", absl::StrJoin(*aud, ", "));
        }
      }
      for (const char* name : {"iat", "nbf", "exp"}) {
        absl::StatusOr<std::optional<absl::Time>> v = decoded->TimeClaim(name);
        if (v.ok() && v->has_value()) t.claims.emplace_back(name, Rfc3339(**v));
      }
      for (const auto& [name, value] : t.claims) {
        if (name != "xms_mirid" && name != "xms_az_rid") continue;
        absl::StatusOr<VmResource> vm = ParseVmResourceId(value);
        std::string names =
            vm.ok() ? absl::StrCat("VM \"", vm->DisplayName(), "\" in resource group \"",
                                   vm->resource_group, "\", subscription ", vm->subscription)
                    : std::string(vm.status().message());
        t.resources.push_back(ResourceSummary{name, value, std::move(names)});
      }
      report.token = std::move(t);
    }
    if (options.jwks.empty() && decoded.ok()) {
      report.checks.push_back(Skip(
          6, "access token",
          absl::StrCat("no --jwks given: the signature cannot be checked offline (the auth "
                       "server reads the keys through ",
                       config.cloud.sts_url, "/<tid>/.well-known/openid-configuration)")));
    } else {
      absl::StatusOr<AccessTokenClaims> verified = tokens.Verify(access_token, report.at);
      if (verified.ok()) {
        report.checks.push_back(Pass(6, "access token",
                                     absl::StrCat("tenant ", verified->tenant,
                                                  verified->v2 ? ", v2 issuer" : ", v1 issuer")));
        if (report.token.has_value()) report.token->verified = true;
        claims = *std::move(verified);
      } else {
        std::string hint;
        if (absl::StrContains(verified.status().message(), "unknown kid")) {
          hint = "the key set does not hold the token's kid: Entra rotates keys; use the "
                 "tenant's current keys";
        } else if (absl::StrContains(verified.status().message(), "expired") ||
                   absl::StrContains(verified.status().message(), "not yet valid")) {
          hint = "token times are checked at the inspection time (--at); on a live join "
                 "check the clocks";
        } else if (absl::StrContains(verified.status().message(), "audience")) {
          hint = "the agent must ask IMDS for a token for the cloud's ARM resource (--cloud)";
        }
        report.checks.push_back(Fail(6, "access token", verified.status(), std::move(hint)));
      }
    }
  }

  // Steps 7-8 exist only inside AzureChecker::Check: run it end to end, as
  // the auth server would, and attribute its verdict.
  auto earlier_ok = [&report] {
    for (const CheckResult& c : report.checks) {
      if (c.verdict == Verdict::kFail) return false;
      if (c.verdict == Verdict::kSkip && c.name != "nonce") return false;
    }
    return true;
  };
  const bool reach_late_steps = earlier_ok();
  if (have_document && !access_token.empty()) {
    AzureCheckerDeps deps;
    deps.http = http;
    deps.clock = &clock;
    absl::StatusOr<std::shared_ptr<AzureChecker>> checker = AzureChecker::Create(config, deps);
    if (!checker.ok()) return Prefixed("inspect: checker: ", checker.status());
    enlist::azure::v1::AzureSolution solution;
    solution.set_attested_data(options.document);
    solution.set_access_token(access_token);
    solution.set_intermediates(*intermediates);
    std::string challenge = options.nonce.value_or(report.payload.has_value() ? report.payload->nonce
                                                                             : "");
    // Without --token-yaml: a rule for the verified tenant, so only steps
    // 2-7 can deny.
    AzureTokenSpec own_rules(
        {AllowRule{"", claims.has_value() ? claims->tenant : "", {}}});
    const AzureTokenSpec* spec = &own_rules;
    std::string token_name = "(none)";
    if (token_resource.has_value()) {
      spec = dynamic_cast<const AzureTokenSpec*>(token_resource->spec.get());
      token_name = token_resource->name;
      if (spec == nullptr) return absl::InternalError("inspect: token spec of another method");
    }
    absl::StatusOr<join::Accept> accept = (*checker)->Check(solution, challenge, *spec, token_name);
    if (accept.ok()) {
      report.checker_verdict = "accept";
      report.attributes = accept->attributes;
    } else {
      report.checker_verdict = "deny";
      report.checker_reason = absl::StrCat(kDenialPrefix, accept.status().message());
    }
    if (!options.nonce.has_value()) {
      absl::StrAppend(&report.checker_reason, report.checker_reason.empty() ? "" : " ",
                      "(with the document's own nonce as the challenge)");
    }
    if (!reach_late_steps) {
      report.checks.push_back(Skip(7, "resource", "not reached: an earlier check did not pass"));
      report.checks.push_back(Skip(8, "allow rules", "not reached: an earlier check did not pass"));
    } else if (accept.ok()) {
      std::string vm, rg, sub, identity;
      for (const auto& [k, v] : accept->attributes) {
        if (k == "azure.vm_name") vm = v;
        if (k == "azure.resource_group") rg = v;
        if (k == "azure.subscription") sub = v;
        if (k == "azure.identity") identity = v;
      }
      report.checks.push_back(Pass(7, "resource",
                                   absl::StrCat("VM \"", vm, "\" in resource group \"", rg,
                                                "\", subscription ", sub, " (", identity,
                                                "-assigned identity)")));
      if (token_resource.has_value()) {
        report.checks.push_back(
            Pass(8, "allow rules", absl::StrCat("token \"", token_name, "\" allows it")));
      } else {
        report.checks.push_back(Skip(8, "allow rules", "no --token-yaml given"));
      }
    } else if (absl::IsPermissionDenied(accept.status())) {
      report.checks.push_back(Pass(7, "resource"));
      report.checks.push_back(Fail(8, "allow rules", accept.status(),
                                   "compare the VM's tenant, subscription and resource group "
                                   "with the token's spec.azure.allow rules"));
    } else {
      report.checks.push_back(Fail(7, "resource", accept.status()));
      report.checks.push_back(Skip(8, "allow rules", "not reached: step 7 failed"));
    }
  } else {
    const char* why = !have_document ? "needs --document (the attested subscription)"
                                     : "no --token given";
    report.checks.push_back(Skip(7, "resource", why));
    report.checks.push_back(Skip(8, "allow rules", why));
  }
  report.refused_urls = http->refused();
  return report;
}

}  // namespace enlist::azure::inspect
