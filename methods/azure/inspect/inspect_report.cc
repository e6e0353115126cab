#include "methods/azure/inspect/inspect_report.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "methods/azure/common/attested_document.h"

namespace enlist::azure::inspect {
namespace {

using json::Value;

Value CertJson(const CertificateSummary& c) {
  Value o = Value::Object();
  o.Set("subject", Value::String(c.subject));
  o.Set("issuer", Value::String(c.issuer));
  o.Set("notBefore", Value::String(Rfc3339(c.not_before)));
  o.Set("notAfter", Value::String(Rfc3339(c.not_after)));
  o.Set("sha256", Value::String(c.sha256_hex));
  o.Set("state", Value::String(c.state));
  return o;
}

Value Strings(const std::vector<std::string>& v) {
  Value a = Value::Array();
  for (const std::string& s : v) a.Append(Value::String(s));
  return a;
}

Value Pairs(const std::vector<std::pair<std::string, std::string>>& v) {
  Value o = Value::Object();
  for (const auto& [k, s] : v) o.Set(k, Value::String(s));
  return o;
}

const char* VerifiedWord(bool verified) {
  return verified ? "signature verified" : "NOT verified: read without checking the signature";
}

std::string StateNote(const CertificateSummary& c) {
  if (c.state.empty() || c.state == "valid") return "";
  return absl::StrCat("  ", absl::AsciiStrToUpper(c.state), " at the inspection time");
}

void AppendCert(std::string* out, size_t index, const CertificateSummary& c) {
  absl::StrAppend(out, "  [", index, "] subject  ", c.subject, "\n",
                  "      issuer   ", c.issuer, "\n",
                  "      valid    ", Rfc3339(c.not_before), " .. ", Rfc3339(c.not_after), StateNote(c), "\n");
}

}  // namespace

absl::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kSkip: return "SKIP";
  }
  return "SKIP";
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int CountVerdicts(const InspectReport& report, Verdict verdict) {
  int n = 0;
  for (const CheckResult& c : report.checks) n += c.verdict == verdict ? 1 : 0;
  return n;
}

int ExitCode(const InspectReport& report, bool require_all) {
  if (CountVerdicts(report, Verdict::kFail) > 0) return 1;
  if (require_all && CountVerdicts(report, Verdict::kSkip) > 0) return 1;
  return 0;
}

json::Value ReportToJson(const InspectReport& report, bool require_all) {
  Value o = Value::Object();
  o.Set("at", Value::String(Rfc3339(report.at)));
  o.Set("atSource", Value::String(report.at_given ? "--at" : "now"));
  o.Set("cloud", Value::String(report.cloud));
  if (report.payload.has_value()) {
    const PayloadSummary& p = *report.payload;
    Value d = Value::Object();
    d.Set("verified", Value::Bool(p.verified));
    d.Set("nonce", Value::String(p.nonce));
    d.Set("vmId", Value::String(p.vm_id));
    d.Set("subscriptionId", Value::String(p.subscription_id));
    d.Set("sku", Value::String(p.sku));
    d.Set("createdOn", Value::String(Rfc3339(p.created_on)));
    d.Set("expiresOn", Value::String(Rfc3339(p.expires_on)));
    o.Set("document", std::move(d));
  }
  if (report.signer.has_value()) {
    const SignerSummary& s = *report.signer;
    Value v = CertJson(s.certificate);
    v.Set("verified", Value::Bool(s.verified));
    v.Set("dnsNames", Strings(s.dns_names));
    Value urls = Value::Array();
    for (const AiaUrl& u : s.ca_issuers) {
      Value e = Value::Object();
      e.Set("url", Value::String(u.url));
      e.Set("allowed", Value::Bool(u.allowed));
      urls.Append(std::move(e));
    }
    v.Set("caIssuers", std::move(urls));
    o.Set("signer", std::move(v));
  }
  if (report.chain.has_value()) {
    Value c = Value::Object();
    c.Set("verified", Value::Bool(report.chain->verified));
    Value certs = Value::Array();
    for (const CertificateSummary& cert : report.chain->certificates) certs.Append(CertJson(cert));
    c.Set("certificates", std::move(certs));
    o.Set("chain", std::move(c));
  }
  if (report.token.has_value()) {
    const TokenSummary& t = *report.token;
    Value v = Value::Object();
    v.Set("verified", Value::Bool(t.verified));
    v.Set("alg", Value::String(t.alg));
    v.Set("kid", Value::String(t.kid));
    v.Set("claims", Pairs(t.claims));
    Value rs = Value::Array();
    for (const ResourceSummary& r : t.resources) {
      Value e = Value::Object();
      e.Set("claim", Value::String(r.claim));
      e.Set("id", Value::String(r.id));
      e.Set("names", Value::String(r.names));
      rs.Append(std::move(e));
    }
    v.Set("resources", std::move(rs));
    o.Set("token", std::move(v));
  }
  Value checks = Value::Array();
  for (const CheckResult& c : report.checks) {
    Value e = Value::Object();
    e.Set("step", Value::Int(c.step));
    e.Set("name", Value::String(c.name));
    e.Set("verdict", Value::String(std::string(VerdictName(c.verdict))));
    e.Set("reason", Value::String(c.reason));
    if (c.verdict == Verdict::kFail) {
      e.Set("code", Value::String(absl::StatusCodeToString(c.code)));
    }
    if (!c.hint.empty()) e.Set("hint", Value::String(c.hint));
    checks.Append(std::move(e));
  }
  o.Set("checks", std::move(checks));
  Value checker = Value::Object();
  checker.Set("verdict", Value::String(report.checker_verdict));
  checker.Set("reason", Value::String(report.checker_reason));
  checker.Set("attributes", Pairs(report.attributes));
  o.Set("checker", std::move(checker));
  o.Set("refusedUrls", Strings(report.refused_urls));
  o.Set("passed", Value::Int(CountVerdicts(report, Verdict::kPass)));
  o.Set("failed", Value::Int(CountVerdicts(report, Verdict::kFail)));
  o.Set("skipped", Value::Int(CountVerdicts(report, Verdict::kSkip)));
  o.Set("result", Value::String(ExitCode(report, require_all) == 0 ? "pass" : "fail"));
  return o;
}

std::string ReportToText(const InspectReport& report, bool require_all) {
  std::string out;
  absl::StrAppend(&out, "Azure attested document inspection at ", Rfc3339(report.at),
                  report.at_given ? " (--at)" : " (now)", ", cloud ", report.cloud, "\n");
  if (report.payload.has_value()) {
    const PayloadSummary& p = *report.payload;
    absl::StrAppend(&out, "\nDocument (", VerifiedWord(p.verified), ")\n",
                    "  nonce           ", p.nonce, "\n",
                    "  vmId            ", p.vm_id, "\n",
                    "  subscriptionId  ",
                    p.subscription_id.empty() ? "(none: IMDS api-version before 2019-04-30)"
                                              : p.subscription_id,
                    "\n", "  sku             ", p.sku.empty() ? "(empty)" : p.sku, "\n",
                    "  createdOn       ", FormatAzureTime(p.created_on), "  (",
                    Rfc3339(p.created_on), ")\n", "  expiresOn       ",
                    FormatAzureTime(p.expires_on), "  (", Rfc3339(p.expires_on), ")\n");
  }
  if (report.signer.has_value()) {
    const SignerSummary& s = *report.signer;
    absl::StrAppend(&out, "\nSigner (", VerifiedWord(s.verified), ")\n",
                    "  subject    ", s.certificate.subject, "\n",
                    "  issuer     ", s.certificate.issuer, "\n",
                    "  valid      ", Rfc3339(s.certificate.not_before), " .. ",
                    Rfc3339(s.certificate.not_after), StateNote(s.certificate), "\n",
                    "  dnsNames   ",
                    s.dns_names.empty() ? "(none: the subject CN is the name)"
                                        : absl::StrJoin(s.dns_names, ", "),
                    "\n", "  sha256     ", s.certificate.sha256_hex, "\n");
    for (const AiaUrl& u : s.ca_issuers) {
      absl::StrAppend(&out, "  caIssuers  ", u.url,
                      u.allowed ? "" : "  (not an allowed Microsoft URL: the walk stops)", "\n");
    }
  }
  if (report.chain.has_value()) {
    absl::StrAppend(&out, "\nChain (",
                    report.chain->verified ? "verified, leaf first, trust anchor last"
                                           : "NOT verified: the certificates offered",
                    ")\n");
    for (size_t i = 0; i < report.chain->certificates.size(); ++i) {
      AppendCert(&out, i, report.chain->certificates[i]);
    }
  }
  if (report.token.has_value()) {
    const TokenSummary& t = *report.token;
    absl::StrAppend(&out, "\nAccess token (",
                    t.verified ? "verified" : "NOT verified: claims as decoded", ")\n",
                    "  alg         ", t.alg, "\n", "  kid         ", t.kid, "\n");
    for (const auto& [k, v] : t.claims) {
      absl::StrAppend(&out, "  ", k, std::string(k.size() < 12 ? 12 - k.size() : 1, ' '), v,
                      "\n");
    }
    for (const ResourceSummary& r : t.resources) {
      absl::StrAppend(&out, "  ", r.claim, " names ", r.names, "\n");
    }
  }
  absl::StrAppend(&out, "\nChecks (in the checker's order)\n");
  for (const CheckResult& c : report.checks) {
    absl::StrAppend(&out, "  ", VerdictName(c.verdict), "  step ", c.step, " ", c.name);
    if (!c.reason.empty()) absl::StrAppend(&out, ": ", c.reason);
    absl::StrAppend(&out, "\n");
    if (!c.hint.empty()) absl::StrAppend(&out, "        hint: ", c.hint, "\n");
  }
  absl::StrAppend(&out, "\nChecker: ", report.checker_verdict);
  if (!report.checker_reason.empty()) absl::StrAppend(&out, ": ", report.checker_reason);
  absl::StrAppend(&out, "\n");
  for (const auto& [k, v] : report.attributes) absl::StrAppend(&out, "  ", k, "=", v, "\n");
  for (const std::string& url : report.refused_urls) {
    absl::StrAppend(&out, "Not fetched (offline): ", url, "\n");
  }
  const int failed = CountVerdicts(report, Verdict::kFail);
  const int skipped = CountVerdicts(report, Verdict::kSkip);
  absl::StrAppend(&out, "Result: ", ExitCode(report, require_all) == 0 ? "PASS" : "FAIL", " (",
                  CountVerdicts(report, Verdict::kPass), " passed, ", failed, " failed, ",
                  skipped, " skipped", require_all && skipped > 0 ? ", --require-all" : "",
                  ")\n");
  return out;
}

}  // namespace enlist::azure::inspect
