#include "methods/azure/auth/access_token.h"

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/jwt/jwt.h"
#include "methods/azure/common/attested_document.h"
#include "methods/azure/common/cloud.h"
#include "core/util/uuid.h"

namespace enlist::azure {
namespace {

absl::Status Prefixed(const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("access token: ", s.message()));
}

}  // namespace

AccessTokenVerifier::AccessTokenVerifier(jwt::OidcKeyProvider* keys, AccessTokenOptions options)
    : keys_(keys), options_(std::move(options)) {
  for (const std::string& a : options_.audiences) audiences_.push_back(TrimTrailingSlash(a));
}

absl::StatusOr<AccessTokenClaims> AccessTokenVerifier::Verify(absl::string_view token,
                                                              absl::Time now) const {
  if (token.empty()) return absl::InvalidArgumentError("access token: missing");
  if (token.size() > kMaxAccessTokenSize) {
    return absl::InvalidArgumentError(absl::StrCat("access token: ", token.size(),
                                                   " bytes, over the limit of ",
                                                   kMaxAccessTokenSize));
  }
  jwt::ParseLimits limits;
  limits.max_token_size = kMaxAccessTokenSize;
  limits.max_json_depth = 8;
  // The tenant picks the key set, so it is read before the signature is
  // checked; every claim used afterwards comes from the verified token.
  absl::StatusOr<jwt::UnverifiedJwt> unverified = jwt::DecodeUnverified(token, limits);
  if (!unverified.ok()) return Prefixed(unverified.status());
  absl::StatusOr<std::string> tid = unverified->StringClaim("tid");
  if (!tid.ok()) return Prefixed(tid.status());
  if (!IsUuid(*tid)) return absl::InvalidArgumentError("access token: tid is not a UUID");
  const std::string tenant = absl::AsciiStrToLower(*tid);

  std::unique_ptr<jwt::KeyResolver> resolver =
      keys_->ResolverFor(absl::StrCat(options_.sts_url, "/", tenant));
  jwt::VerifyOptions vo;
  vo.allowed_algorithms = {jwt::Algorithm::kRs256};
  vo.clock_skew = options_.clock_skew;
  vo.limits = limits;
  absl::StatusOr<jwt::VerifiedJwt> verified =
      jwt::Verify(*std::move(unverified), *resolver, vo, now);
  if (!verified.ok()) return Prefixed(verified.status());

  AccessTokenClaims out;
  absl::StatusOr<std::string> vtid = verified->StringClaim("tid");
  if (!vtid.ok()) return Prefixed(vtid.status());
  out.tenant = absl::AsciiStrToLower(*vtid);
  absl::StatusOr<std::string> iss = verified->StringClaim("iss");
  if (!iss.ok()) return Prefixed(iss.status());
  if (*iss == absl::StrCat(options_.sts_url, "/", *vtid, "/")) {
    out.v2 = false;
  } else if (*iss == absl::StrCat(options_.login_url, "/", *vtid, "/v2.0")) {
    out.v2 = true;
  } else {
    return absl::UnauthenticatedError(absl::StrCat(
        "access token: issuer ", jwt::QuoteForMessage(*iss), " is not tenant ", out.tenant,
        "'s"));
  }
  absl::StatusOr<std::vector<std::string>> aud = verified->Audience();
  if (!aud.ok()) return Prefixed(aud.status());
  bool aud_ok = false;
  for (const std::string& a : *aud) {
    std::string trimmed = TrimTrailingSlash(a);
    for (const std::string& want : audiences_) aud_ok = aud_ok || trimmed == want;
  }
  if (!aud_ok) {
    std::vector<std::string> quoted;
    for (const std::string& a : *aud) quoted.push_back(jwt::QuoteForMessage(a));
    return absl::UnauthenticatedError(absl::StrCat(
        "access token: audience [", absl::StrJoin(quoted, ", "),
        "] is not the ARM resource \"", options_.audiences.empty() ? "" : options_.audiences[0],
        "\""));
  }
  for (auto [name, out_field] : {std::make_pair("xms_mirid", &out.xms_mirid),
                                 std::make_pair("xms_az_rid", &out.xms_az_rid),
                                 std::make_pair("oid", &out.object_id)}) {
    absl::StatusOr<std::optional<std::string>> v = verified->OptionalStringClaim(name);
    if (!v.ok()) return Prefixed(v.status());
    if (v->has_value()) *out_field = **v;
  }
  return out;
}

}  // namespace enlist::azure
