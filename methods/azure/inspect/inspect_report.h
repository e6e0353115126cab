// What `enlistctl azure inspect` found: the parsed document, its signer,
// the chain, the access token's claims and every check's verdict in the
// checker's order, plus the text and JSON renderings and the exit code.
// Plain data; rendering functions are pure and thread-safe.
#ifndef ENLIST_METHODS_AZURE_INSPECT_INSPECT_REPORT_H_
#define ENLIST_METHODS_AZURE_INSPECT_INSPECT_REPORT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/json/json.h"

namespace enlist::azure::inspect {

// One check's outcome.
enum class Verdict { kPass, kFail, kSkip };

// Returns "PASS", "FAIL" or "SKIP".
absl::string_view VerdictName(Verdict verdict);

// One of the checker's checks, as the checker judged it.
struct CheckResult {
  int step = 0;      // the checker's step number (docs/azure.md), 2-8
  std::string name;  // e.g. "signer chain"
  Verdict verdict = Verdict::kSkip;
  // FAIL: the checker's own reason; SKIP: why it did not run; PASS: a
  // short detail (may be empty).
  std::string reason;
  absl::StatusCode code = absl::StatusCode::kOk;  // FAIL: the checker's code
  // Inspector advice for the operator (not the checker's), may be empty.
  std::string hint;
};

// A certificate as printed.
struct CertificateSummary {
  std::string subject;
  std::string issuer;
  absl::Time not_before;
  absl::Time not_after;
  std::string sha256_hex;
  // At the inspection time: "valid", "expired" or "not yet valid" (for the
  // reader; the verdict is the chain check's).
  std::string state;
};

// A caIssuers URL of the signer and whether the Azure URL rules allow it.
struct AiaUrl {
  std::string url;
  bool allowed = false;
};

// The attested document's signer.
struct SignerSummary {
  bool verified = false;  // false: read without checking the signature
  CertificateSummary certificate;
  std::vector<std::string> dns_names;
  std::vector<AiaUrl> ca_issuers;
};

// The signed payload.
struct PayloadSummary {
  bool verified = false;  // false: read without checking the signature
  std::string nonce;
  std::string vm_id;
  std::string subscription_id;  // empty before IMDS api-version 2019-04-30
  std::string sku;
  absl::Time created_on;
  absl::Time expires_on;
};

// The chain: the verified path (leaf first, anchor last) or, when no path
// was found, the certificates that were offered (signer, intermediates).
struct ChainSummary {
  bool verified = false;
  std::vector<CertificateSummary> certificates;
};

// What an ARM resource id claim names.
struct ResourceSummary {
  std::string claim;  // "xms_mirid" or "xms_az_rid"
  std::string id;
  // "VM \"x\" in resource group \"rg\", subscription s", or why it is not a VM.
  std::string names;
};

// The access token's header and selected claims (never the token itself).
struct TokenSummary {
  bool verified = false;  // true when the checker's token step passed
  std::string alg;
  std::string kid;
  // Selected claims present in the token, in a fixed order (tid, iss, aud,
  // oid, appid, idtyp, ver, xms_mirid, xms_az_rid, iat, nbf, exp); times as
  // RFC 3339, "aud" joined with ", ".
  std::vector<std::pair<std::string, std::string>> claims;
  std::vector<ResourceSummary> resources;
};

// The whole inspection.
struct InspectReport {
  absl::Time at;
  bool at_given = false;  // false: "now"
  std::string cloud;
  std::optional<PayloadSummary> payload;
  std::optional<SignerSummary> signer;
  std::optional<ChainSummary> chain;
  std::optional<TokenSummary> token;
  // Every check in the checker's order.
  std::vector<CheckResult> checks;
  // The checker's own end-to-end verdict (AzureChecker::Check): "accept",
  // "deny" or "not run"; `checker_reason` says why (deny: the message the
  // auth server logs, with its prefix).
  std::string checker_verdict = "not run";
  std::string checker_reason;
  // On accept: the verified attributes (azure.tenant, ...).
  std::vector<std::pair<std::string, std::string>> attributes;
  // URLs the checker wanted to fetch (inspect makes no network requests).
  std::vector<std::string> refused_urls;
};

// Counts of checks by verdict.
int CountVerdicts(const InspectReport& report, Verdict verdict);

// 0 when no check failed (and, with `require_all`, none was skipped);
// else 1.
int ExitCode(const InspectReport& report, bool require_all);

// The report as a JSON object (see docs/troubleshooting.md for the shape).
json::Value ReportToJson(const InspectReport& report, bool require_all);

// The report as human-readable text, ending with a newline.
std::string ReportToText(const InspectReport& report, bool require_all);

// Formats `t` as RFC 3339 UTC ("2024-01-02T03:04:05Z").
std::string Rfc3339(absl::Time t);

}  // namespace enlist::azure::inspect

#endif  // ENLIST_METHODS_AZURE_INSPECT_INSPECT_REPORT_H_
