#include "methods/azure/common/attested_document.h"

#include "core/util/uuid.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/encoding/base64.h"
#include "core/json/json.h"
#include "core/util/status_macros.h"

namespace enlist::azure {
namespace {

absl::Status Prefixed(absl::string_view prefix, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

// Two decimal digits at `s[i]`, or -1.
int Digits2(absl::string_view s, size_t i) {
  if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(s[i + 1]))) {
    return -1;
  }
  return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

}  // namespace

absl::StatusOr<std::string> ParseAttestedEnvelope(absl::string_view body) {
  if (body.size() > kMaxAttestedDataSize) {
    return absl::InvalidArgumentError(absl::StrCat("attested data: ", body.size(),
                                                   " bytes, over the limit of ",
                                                   kMaxAttestedDataSize));
  }
  json::ParseOptions po;
  po.max_size = kMaxAttestedDataSize;
  po.max_depth = 4;
  absl::StatusOr<json::Value> doc = json::Parse(body, po);
  if (!doc.ok()) return Prefixed("attested data: ", doc.status());
  if (!doc->is_object()) return absl::InvalidArgumentError("attested data: not a JSON object");
  absl::StatusOr<std::string> encoding = doc->GetString("encoding");
  if (!encoding.ok()) return Prefixed("attested data: ", encoding.status());
  if (*encoding != "pkcs7") {
    return absl::InvalidArgumentError("attested data: encoding is not \"pkcs7\"");
  }
  absl::StatusOr<std::string> signature = doc->GetString("signature");
  if (!signature.ok()) return Prefixed("attested data: ", signature.status());
  absl::StatusOr<std::string> der = encoding::Base64Decode(*signature);
  if (!der.ok()) return Prefixed("attested data: signature: ", der.status());
  if (der->empty()) return absl::InvalidArgumentError("attested data: signature is empty");
  return *std::move(der);
}

absl::StatusOr<absl::Time> ParseAzureTime(absl::string_view s) {
  // 0123456789012345678901234
  // MM/DD/YY HH:MM:SS -0000
  const absl::Status bad = absl::InvalidArgumentError(
      "malformed date (want \"MM/DD/YY HH:MM:SS -0000\")");
  if (s.size() != 23 || s[2] != '/' || s[5] != '/' || s[8] != ' ' || s[11] != ':' ||
      s[14] != ':' || s.substr(17) != " -0000") {
    return bad;
  }
  int mon = Digits2(s, 0), day = Digits2(s, 3), yy = Digits2(s, 6);
  int hh = Digits2(s, 9), mm = Digits2(s, 12), ss = Digits2(s, 15);
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || yy < 0 || hh < 0 || hh > 23 || mm < 0 ||
      mm > 59 || ss < 0 || ss > 59) {
    return bad;
  }
  absl::CivilSecond cs(2000 + yy, mon, day, hh, mm, ss);
  if (cs.month() != mon || cs.day() != day) return bad;  // e.g. 02/30 normalised
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

std::string FormatAzureTime(absl::Time t) {
  return absl::FormatTime("%m/%d/%y %H:%M:%S -0000", t, absl::UTCTimeZone());
}

absl::StatusOr<AttestedPayload> ParseAttestedPayload(absl::string_view content) {
  if (content.size() > kMaxAttestedPayloadSize) {
    return absl::InvalidArgumentError(absl::StrCat("attested payload: ", content.size(),
                                                   " bytes, over the limit of ",
                                                   kMaxAttestedPayloadSize));
  }
  json::ParseOptions po;
  po.max_size = kMaxAttestedPayloadSize;
  po.max_depth = 4;
  absl::StatusOr<json::Value> doc = json::Parse(content, po);
  if (!doc.ok()) return Prefixed("attested payload: ", doc.status());
  if (!doc->is_object()) return absl::InvalidArgumentError("attested payload: not a JSON object");
  AttestedPayload p;
  auto get = [&](absl::string_view key, std::string* out) -> absl::Status {
    absl::StatusOr<std::string> v = doc->GetString(key);
    if (!v.ok()) return Prefixed("attested payload: ", v.status());
    *out = *std::move(v);
    return absl::OkStatus();
  };
  ENLIST_RETURN_IF_ERROR(get("nonce", &p.nonce));
  ENLIST_RETURN_IF_ERROR(get("vmId", &p.vm_id));
  if (!IsUuid(p.vm_id)) {
    return absl::InvalidArgumentError("attested payload: vmId is not a UUID");
  }
  absl::StatusOr<std::optional<std::string>> sub = doc->GetOptionalString("subscriptionId");
  if (!sub.ok()) return Prefixed("attested payload: ", sub.status());
  if (sub->has_value()) {
    if (!IsUuid(**sub)) {
      return absl::InvalidArgumentError("attested payload: subscriptionId is not a UUID");
    }
    p.subscription_id = absl::AsciiStrToLower(**sub);
  }
  absl::StatusOr<std::optional<std::string>> sku = doc->GetOptionalString("sku");
  if (!sku.ok()) return Prefixed("attested payload: ", sku.status());
  if (sku->has_value()) p.sku = **sku;
  absl::StatusOr<const json::Value*> ts = doc->GetObject("timeStamp");
  if (!ts.ok()) return Prefixed("attested payload: ", ts.status());
  for (auto [key, out] : {std::make_pair("createdOn", &p.created_on),
                          std::make_pair("expiresOn", &p.expires_on)}) {
    absl::StatusOr<std::string> text = (*ts)->GetString(key);
    if (!text.ok()) return Prefixed("attested payload: timeStamp: ", text.status());
    absl::StatusOr<absl::Time> t = ParseAzureTime(*text);
    if (!t.ok()) return Prefixed(absl::StrCat("attested payload: timeStamp.", key, ": "), t.status());
    *out = *t;
  }
  return p;
}

}  // namespace enlist::azure
