#include "methods/azure/testing/fake_azure.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/testing/signed_data_builder.h"
#include "core/encoding/base64.h"
#include "core/jwt/signer.h"
#include "methods/azure/common/attested_document.h"

namespace enlist::azure::testing {
namespace {

namespace ct = ::enlist::crypto::testing;

template <typename T>
T Must(absl::StatusOr<T> v) {
  if (!v.ok()) std::abort();
  return *std::move(v);
}

json::Value Str(absl::string_view s) { return json::Value::String(std::string(s)); }

}  // namespace

std::string VmResourceId(absl::string_view subscription, absl::string_view resource_group,
                         absl::string_view vm_name) {
  return absl::StrCat("/subscriptions/", subscription, "/resourceGroups/", resource_group,
                      "/providers/Microsoft.Compute/virtualMachines/", vm_name);
}

FakeAzure::FakeAzure() : pki_(ct::MakeTestPki()), untrusted_(ct::MakeTestPki()) {
  foreign_key_ = ct::NewRsaKey();
  ct::CertSpec foreign;
  foreign.common_name = "www.example.com";
  foreign.dns_names = {"www.example.com"};
  foreign.ca_issuer_urls = LeafCaIssuerUrls();
  foreign.serial = 0x777;
  foreign_leaf_ = ct::IssueCert(foreign, foreign_key_.get(), pki_.intermediate.get(),
                                pki_.intermediate_key.get());
  token_key_ = Must(jwt::GenerateRsaKey(2048));
  unknown_token_key_ = Must(jwt::GenerateRsaKey(2048));
}

std::vector<std::string> FakeAzure::LeafCaIssuerUrls() {
  return {"http://www.microsoft.com/pkiops/certs/intermediate.crt",
          "http://caissuers.microsoft.com/pkiops/certs/intermediate.crt"};
}

std::string FakeAzure::PayloadJson(const PayloadSpec& spec) const {
  json::Value v = json::Value::Object();
  v.Set("licenseType", Str(""));
  v.Set("nonce", Str(spec.nonce));
  json::Value plan = json::Value::Object();
  plan.Set("name", Str(""));
  plan.Set("product", Str(""));
  plan.Set("publisher", Str(""));
  v.Set("plan", std::move(plan));
  v.Set("sku", Str(spec.sku));
  if (!spec.subscription_id.empty()) v.Set("subscriptionId", Str(spec.subscription_id));
  json::Value ts = json::Value::Object();
  ts.Set("createdOn", Str(FormatAzureTime(spec.created_on)));
  ts.Set("expiresOn",
         Str(FormatAzureTime(spec.expires_on.value_or(spec.created_on + absl::Hours(6)))));
  v.Set("timeStamp", std::move(ts));
  v.Set("vmId", Str(spec.vm_id));
  return json::Serialize(v);
}

std::string FakeAzure::AttestedData(absl::string_view payload_json, const SignSpec& sign) const {
  ct::SignedDataSpec s;
  s.content = std::string(payload_json);
  switch (sign.signer) {
    case SignSpec::Signer::kGood:
      s.key = pki_.leaf_key.get();
      s.signer_cert = pki_.leaf.get();
      break;
    case SignSpec::Signer::kForeignName:
      s.key = foreign_key_.get();
      s.signer_cert = foreign_leaf_.get();
      break;
    case SignSpec::Signer::kUntrusted:
      s.key = untrusted_.leaf_key.get();
      s.signer_cert = untrusted_.leaf.get();
      break;
  }
  s.certificates = {s.signer_cert};
  s.signed_attributes = sign.signed_attributes;
  s.corrupt_signature = sign.corrupt_signature;
  s.embedded_content = sign.embedded_content;
  std::string der = ct::BuildSignedData(s);
  return absl::StrCat("{\"encoding\":\"pkcs7\",\"signature\":\"", encoding::Base64Encode(der),
                      "\"}");
}

std::string FakeAzure::AttestedDocument(const PayloadSpec& spec, const SignSpec& sign) const {
  return AttestedData(PayloadJson(spec), sign);
}

json::Value FakeAzure::Claims(const TokenSpec& spec) const {
  json::Value c = json::Value::Object();
  c.Set("aud", Str(spec.aud));
  c.Set("iss", Str(spec.iss.empty() ? absl::StrCat("https://sts.windows.net/", spec.tid, "/")
                                    : spec.iss));
  c.Set("iat", json::Value::Int(absl::ToUnixSeconds(spec.iat)));
  c.Set("nbf", json::Value::Int(absl::ToUnixSeconds(spec.nbf)));
  c.Set("exp", json::Value::Int(absl::ToUnixSeconds(spec.exp)));
  c.Set("appid", Str("b84e06d3-aba1-4bcc-9626-2e0d76cba2ce"));
  c.Set("idtyp", Str("app"));
  c.Set("oid", Str("600a3bc8-7e2c-44e5-8a27-18c3eb963060"));
  c.Set("sub", Str("600a3bc8-7e2c-44e5-8a27-18c3eb963060"));
  c.Set("tid", Str(spec.tid));
  c.Set("ver", Str("1.0"));
  if (!spec.xms_az_rid.empty()) c.Set("xms_az_rid", Str(spec.xms_az_rid));
  if (!spec.xms_mirid.empty()) c.Set("xms_mirid", Str(spec.xms_mirid));
  return c;
}

std::string FakeAzure::AccessToken(const TokenSpec& spec) const {
  EVP_PKEY* key = spec.key == TokenKey::kGood ? token_key_.get() : unknown_token_key_.get();
  absl::string_view kid = spec.key == TokenKey::kGood ? kKid : "enlist-unknown-kid";
  return Must(jwt::SignJwt(Claims(spec), jwt::Algorithm::kRs256, key, kid));
}

std::string FakeAzure::RawToken(absl::string_view header_json,
                                absl::string_view claims_json) const {
  return absl::StrCat(encoding::Base64UrlEncode(header_json), ".",
                      encoding::Base64UrlEncode(claims_json), ".",
                      encoding::Base64UrlEncode("not-a-real-signature-0123456789"));
}

std::string FakeAzure::JwksJson() const {
  json::Value keys = json::Value::Array();
  keys.Append(Must(jwt::PublicJwk(token_key_.get(), kKid)));
  json::Value set = json::Value::Object();
  set.Set("keys", std::move(keys));
  return json::Serialize(set);
}

std::string FakeAzure::OpenIdConfiguration(absl::string_view tenant, absl::string_view jwks_uri) {
  json::Value v = json::Value::Object();
  v.Set("issuer", Str(absl::StrCat("https://sts.windows.net/", tenant, "/")));
  v.Set("jwks_uri", Str(jwks_uri));
  json::Value algs = json::Value::Array();
  algs.Append(Str("RS256"));
  v.Set("id_token_signing_alg_values_supported", std::move(algs));
  return json::Serialize(v);
}

void FakeAzure::ServeOidc(http::FakeHttpClient* http, absl::string_view sts_url,
                          absl::string_view tenant) const {
  std::string jwks_uri = absl::StrCat(sts_url, "/", tenant, "/discovery/keys");
  http->SetResponse(absl::StrCat(sts_url, "/", tenant, "/.well-known/openid-configuration"), 200,
                    OpenIdConfiguration(tenant, jwks_uri));
  http->SetResponse(jwks_uri, 200, JwksJson());
}

std::string FakeAzure::RootPem() const { return ct::CertPem(pki_.root.get()); }
std::string FakeAzure::UntrustedRootPem() const { return ct::CertPem(untrusted_.root.get()); }
std::string FakeAzure::IntermediateDer() const { return ct::CertDer(pki_.intermediate.get()); }

}  // namespace enlist::azure::testing
