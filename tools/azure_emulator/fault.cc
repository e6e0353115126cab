#include "tools/azure_emulator/fault.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace enlist::azure_emulator {
namespace {

constexpr std::pair<absl::string_view, DocumentFault> kDocumentFaults[] = {
    {"none", DocumentFault::kNone},
    {"wrong_nonce", DocumentFault::kWrongNonce},
    {"expired", DocumentFault::kExpired},
    {"foreign_signer", DocumentFault::kForeignSigner},
    {"untrusted_root", DocumentFault::kUntrustedRoot},
    {"tampered", DocumentFault::kTampered},
};

absl::Status CheckRanges(const Faults& f) {
  if (f.latency < absl::ZeroDuration() || f.latency > absl::Minutes(2)) {
    return absl::InvalidArgumentError("latency must be 0-2m");
  }
  if (f.error_status != 0 && (f.error_status < 400 || f.error_status > 599)) {
    return absl::InvalidArgumentError("error_status must be 400-599");
  }
  if (f.error_count < 0 || f.throttle_count < 0 || f.document_count < 0) {
    return absl::InvalidArgumentError("counts must not be negative");
  }
  if (f.retry_after_seconds < 0 || f.retry_after_seconds > 3600) {
    return absl::InvalidArgumentError("retry_after must be 0-3600 seconds");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DocumentFault> ParseDocumentFault(absl::string_view name) {
  for (const auto& [n, f] : kDocumentFaults) {
    if (n == name) return f;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown document fault \"", name,
      "\" (none, wrong_nonce, expired, foreign_signer, untrusted_root, tampered)"));
}

absl::string_view DocumentFaultName(DocumentFault f) {
  for (const auto& [n, v] : kDocumentFaults) {
    if (v == f) return n;
  }
  return "none";
}

bool Faults::empty() const {
  return latency == absl::ZeroDuration() && error_status == 0 && throttle_count == 0 &&
         document == DocumentFault::kNone && token_for.empty();
}

absl::StatusOr<Faults> ParseFaults(const config::YamlNode& node) {
  ENLIST_RETURN_IF_ERROR(node.CheckFields({"latency", "error_status", "error_count",
                                           "throttle_count", "retry_after", "document",
                                           "document_count", "token_for"}));
  Faults f;
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> n, node.Child("latency"));
  if (n.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(std::string s, n->AsString());
    if (!absl::ParseDuration(s, &f.latency)) {
      return n->Invalid(absl::StrCat("\"", s, "\" is not a duration (e.g. 250ms)"));
    }
  }
  for (auto [key, out] : {std::make_pair("error_status", &f.error_status),
                          std::make_pair("error_count", &f.error_count),
                          std::make_pair("throttle_count", &f.throttle_count),
                          std::make_pair("retry_after", &f.retry_after_seconds),
                          std::make_pair("document_count", &f.document_count)}) {
    ENLIST_ASSIGN_OR_RETURN(n, node.Child(key));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(int64_t v, n->AsInt());
      if (v < 0 || v > 100000) return n->Invalid("out of range");
      *out = static_cast<int>(v);
    }
  }
  ENLIST_ASSIGN_OR_RETURN(n, node.Child("document"));
  if (n.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(std::string s, n->AsString());
    absl::StatusOr<DocumentFault> d = ParseDocumentFault(s);
    if (!d.ok()) return n->Invalid(d.status().message());
    f.document = *d;
  }
  ENLIST_ASSIGN_OR_RETURN(n, node.Child("token_for"));
  if (n.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(f.token_for, n->AsString());
  }
  absl::Status ok = CheckRanges(f);
  if (!ok.ok()) return node.Invalid(ok.message());
  return f;
}

absl::StatusOr<Faults> FaultsFromJson(const json::Value& v) {
  if (!v.is_object()) return absl::InvalidArgumentError("faults: not a JSON object");
  Faults f;
  for (const auto& [key, value] : v.object()) {
    if (key == "latency" && value.is_string()) {
      if (!absl::ParseDuration(value.string_value(), &f.latency)) {
        return absl::InvalidArgumentError("faults: latency: not a duration");
      }
    } else if (key == "document" && value.is_string()) {
      absl::StatusOr<DocumentFault> d = ParseDocumentFault(value.string_value());
      if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("faults: ", d.status().message()));
      f.document = *d;
    } else if (key == "token_for" && value.is_string()) {
      f.token_for = value.string_value();
    } else if (value.is_number() && (key == "error_status" || key == "error_count" ||
                                     key == "throttle_count" || key == "retry_after" ||
                                     key == "document_count")) {
      absl::StatusOr<int64_t> i = value.AsInt64();
      if (!i.ok() || *i < 0 || *i > 100000) {
        return absl::InvalidArgumentError(absl::StrCat("faults: ", key, ": out of range"));
      }
      int n = static_cast<int>(*i);
      if (key == "error_status") f.error_status = n;
      if (key == "error_count") f.error_count = n;
      if (key == "throttle_count") f.throttle_count = n;
      if (key == "retry_after") f.retry_after_seconds = n;
      if (key == "document_count") f.document_count = n;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("faults: unknown key or wrong type: \"", key, "\""));
    }
  }
  absl::Status ok = CheckRanges(f);
  if (!ok.ok()) return absl::InvalidArgumentError(absl::StrCat("faults: ", ok.message()));
  return f;
}

json::Value FaultsToJson(const Faults& f) {
  json::Value v = json::Value::Object();
  if (f.latency > absl::ZeroDuration()) {
    v.Set("latency", json::Value::String(absl::FormatDuration(f.latency)));
  }
  if (f.error_status != 0) {
    v.Set("error_status", json::Value::Int(f.error_status));
    v.Set("error_count", json::Value::Int(f.error_count));
  }
  if (f.throttle_count != 0) {
    v.Set("throttle_count", json::Value::Int(f.throttle_count));
    v.Set("retry_after", json::Value::Int(f.retry_after_seconds));
  }
  if (f.document != DocumentFault::kNone) {
    v.Set("document", json::Value::String(std::string(DocumentFaultName(f.document))));
    v.Set("document_count", json::Value::Int(f.document_count));
  }
  if (!f.token_for.empty()) v.Set("token_for", json::Value::String(f.token_for));
  return v;
}

}  // namespace enlist::azure_emulator
