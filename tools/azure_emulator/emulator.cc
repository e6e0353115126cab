#include "tools/azure_emulator/emulator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/crypto/signed_data_signer.h"
#include "core/encoding/base64.h"
#include "core/util/status_macros.h"
#include "methods/azure/common/attested_document.h"

namespace enlist::azure_emulator {
namespace {

// api-versions the emulated IMDS answers (a subset of the real list).
constexpr const char* kImdsVersions[] = {
    "2017-03-01", "2017-04-02", "2017-08-01", "2017-10-01", "2017-12-01", "2018-02-01",
    "2018-04-02", "2018-10-01", "2019-02-01", "2019-03-11", "2019-04-30", "2019-06-01",
    "2019-06-04", "2019-08-01", "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15",
    "2020-09-01", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01",
    "2021-05-01", "2021-10-01", "2021-11-01", "2021-11-15", "2021-12-13", "2023-07-01",
    "2023-11-15"};
// IMDS caps the nonce at 32 characters.
constexpr size_t kMaxNonce = 32;
// Handed out when the caller gives no nonce (IMDS uses a timestamp).
constexpr char kDefaultNonce[] = "20240101-000000";
// The nonce of a "cached" document (wrong_nonce fault).
constexpr char kCachedNonce[] = "cached-document-nonce-00000000";

json::Value Str(absl::string_view s) { return json::Value::String(std::string(s)); }

Response JsonResponse(int status, const json::Value& v) {
  Response r;
  r.status = status;
  r.body = json::Serialize(v);
  return r;
}

// IMDS error bodies: {"error":"...","error_description":"..."} or
// {"error":"Bad request. ..."}.
Response ImdsError(int status, absl::string_view error, absl::string_view description = "") {
  json::Value v = json::Value::Object();
  v.Set("error", Str(error));
  if (!description.empty()) v.Set("error_description", Str(description));
  return JsonResponse(status, v);
}

// ARM error bodies: {"error":{"code":..,"message":..}}.
Response ArmError(int status, absl::string_view code, absl::string_view message) {
  json::Value e = json::Value::Object();
  e.Set("code", Str(code));
  e.Set("message", Str(message));
  json::Value v = json::Value::Object();
  v.Set("error", std::move(e));
  return JsonResponse(status, v);
}

Response Text(int status, absl::string_view body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = absl::StrCat(body, "\n");
  return r;
}

bool KnownImdsVersion(absl::string_view v) {
  return std::find(std::begin(kImdsVersions), std::end(kImdsVersions), v) !=
         std::end(kImdsVersions);
}

json::Value NewestVersions() {
  json::Value a = json::Value::Array();
  for (int i = 1; i <= 3; ++i) a.Append(Str(kImdsVersions[std::size(kImdsVersions) - i]));
  return a;
}

std::string QueryOr(const Request& r, const std::string& key, std::string fallback = "") {
  auto it = r.query.find(key);
  return it == r.query.end() ? fallback : it->second;
}

bool Eq(absl::string_view a, absl::string_view b) { return absl::EqualsIgnoreCase(a, b); }

}  // namespace

Emulator::Emulator(World world, EmulatorOptions options, Pki pki, std::unique_ptr<KeyRing> keys,
                   const Clock* clock)
    : world_(std::move(world)),
      options_(std::move(options)),
      pki_(std::move(pki)),
      keys_(std::move(keys)),
      clock_(clock) {
  for (const Vm& vm : world_.vms) {
    if (!vm.faults.empty()) faults_[vm.name].faults = vm.faults;
  }
  for (const auto& [name, f] : world_.endpoint_faults) faults_[name].faults = f;
}

absl::StatusOr<std::unique_ptr<Emulator>> Emulator::Create(World world, EmulatorOptions options,
                                                           const Clock* clock) {
  while (absl::EndsWith(options.base_url, "/")) options.base_url.pop_back();
  ENLIST_ASSIGN_OR_RETURN(Pki pki, Pki::Create(options.base_url, world.region, clock->Now()));
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<KeyRing> keys, KeyRing::Create());
  return std::unique_ptr<Emulator>(
      new Emulator(std::move(world), std::move(options), std::move(pki), std::move(keys), clock));
}

std::string Emulator::ImdsUrl(absl::string_view vm_name) const {
  return absl::StrCat(options_.base_url, "/vm/", vm_name);
}

absl::Status Emulator::SetFaults(const std::string& target, Faults faults) {
  if (world_.FindVm(target) == nullptr && target != "entra" && target != "arm" &&
      target != "pkiops") {
    return absl::NotFoundError(absl::StrCat("faults: no VM or endpoint named \"", target, "\""));
  }
  if (!faults.token_for.empty() && world_.FindVm(faults.token_for) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("faults: token_for: no VM named \"", faults.token_for, "\""));
  }
  absl::MutexLock l(&mu_);
  faults_[target] = FaultState{std::move(faults)};
  return absl::OkStatus();
}

Faults Emulator::FaultsOf(const std::string& target) {
  absl::MutexLock l(&mu_);
  auto it = faults_.find(target);
  return it == faults_.end() ? Faults{} : it->second.faults;
}

bool Emulator::ApplyFaults(const std::string& target, Response* out) {
  absl::MutexLock l(&mu_);
  ++requests_[target];
  auto it = faults_.find(target);
  if (it == faults_.end()) return false;
  FaultState& s = it->second;
  out->delay = s.faults.latency;
  if (s.throttles < s.faults.throttle_count) {
    ++s.throttles;
    absl::Duration d = out->delay;
    *out = ImdsError(429, "too_many_requests", "emulator fault: throttled");
    out->headers.emplace_back("Retry-After", absl::StrCat(s.faults.retry_after_seconds));
    out->delay = d;
    return true;
  }
  if (s.faults.error_status != 0 &&
      (s.faults.error_count == 0 || s.errors < s.faults.error_count)) {
    ++s.errors;
    absl::Duration d = out->delay;
    *out = ImdsError(s.faults.error_status, "emulated_error",
                     absl::StrCat("emulator fault: HTTP ", s.faults.error_status));
    out->delay = d;
    return true;
  }
  return false;
}

DocumentFault Emulator::TakeDocumentFault(const std::string& vm) {
  absl::MutexLock l(&mu_);
  auto it = faults_.find(vm);
  if (it == faults_.end() || it->second.faults.document == DocumentFault::kNone) {
    return DocumentFault::kNone;
  }
  FaultState& s = it->second;
  if (s.faults.document_count != 0 && s.documents >= s.faults.document_count) {
    return DocumentFault::kNone;
  }
  ++s.documents;
  return s.faults.document;
}

Response Emulator::Handle(const Request& r) {
  if (r.path.size() > kMaxPathSize) return Text(414, "uri too long");
  if (r.body.size() > kMaxBodySize) return Text(413, "request body too large");
  std::vector<std::string> segs = absl::StrSplit(r.path, '/', absl::SkipEmpty());
  Response out;
  if (segs.empty()) return Text(404, "not found");

  if (segs[0] == "admin") return Admin(segs, r);

  if (segs[0] == "vm" && segs.size() >= 3 && segs[2] == "metadata") {
    const Vm* vm = world_.FindVm(segs[1]);
    if (vm == nullptr) return Text(404, absl::StrCat("no VM named \"", segs[1], "\""));
    // IMDS refuses requests without the header before anything else.
    auto h = r.headers.find("metadata");
    if (h == r.headers.end() || h->second != "true") {
      return ImdsError(400, "Bad request. Required metadata header not specified");
    }
    if (r.method != "GET") return ImdsError(405, "Method not allowed");
    if (ApplyFaults(vm->name, &out)) return out;
    absl::string_view rest = r.path;
    rest.remove_prefix(rest.find("/metadata") + std::string("/metadata").size());
    Response res = Imds(*vm, rest, r);
    res.delay = out.delay;
    return res;
  }

  std::string target;
  if (segs[0] == "pkiops") {
    target = "pkiops";
  } else if (Eq(segs[0], "subscriptions")) {
    target = "arm";
  } else {
    target = "entra";
  }
  if (ApplyFaults(target, &out)) return out;
  Response res;
  if (target == "pkiops") {
    res = segs.size() == 3 && segs[1] == "certs" ? Pkiops(segs[2]) : Text(404, "not found");
  } else if (target == "arm") {
    res = Arm(segs, r);
  } else {
    res = Entra(segs);
  }
  res.delay = out.delay;
  return res;
}

Response Emulator::Imds(const Vm& vm, absl::string_view rest, const Request& r) {
  if (rest == "/versions") {
    json::Value a = json::Value::Array();
    for (const char* v : kImdsVersions) a.Append(Str(v));
    json::Value v = json::Value::Object();
    v.Set("apiVersions", std::move(a));
    return JsonResponse(200, v);
  }
  const std::string api = QueryOr(r, "api-version");
  if (rest == "/attested/document" || rest == "/identity/oauth2/token") {
    if (api.empty()) {
      json::Value v = json::Value::Object();
      v.Set("error", Str("Bad request. api-version was not specified in the request. For more "
                         "information refer to aka.ms/azureimds"));
      v.Set("newest-versions", NewestVersions());
      return JsonResponse(400, v);
    }
    if (!KnownImdsVersion(api)) {
      json::Value v = json::Value::Object();
      v.Set("error", Str("Bad request. api-version is invalid or was not specified in the proper "
                         "format. For more information refer to aka.ms/azureimds"));
      v.Set("newest-versions", NewestVersions());
      return JsonResponse(400, v);
    }
    if (rest == "/attested/document") return AttestedDocument(vm, r);
    return IdentityToken(vm, r);
  }
  return ImdsError(404, "Not found");
}

Response Emulator::AttestedDocument(const Vm& vm, const Request& r) {
  std::string nonce = QueryOr(r, "nonce", kDefaultNonce);
  if (nonce.size() > kMaxNonce) {
    return ImdsError(400, "Bad request. Nonce is limited to 32 characters");
  }
  const std::string api = QueryOr(r, "api-version");
  const DocumentFault fault = TakeDocumentFault(vm.name);
  absl::Time created = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now()));
  absl::Time expires = created + absl::Hours(6);
  if (fault == DocumentFault::kExpired) {
    created -= absl::Hours(7);
    expires = created + absl::Hours(6);
  }
  if (fault == DocumentFault::kWrongNonce) nonce = kCachedNonce;
  // Members in the order IMDS writes them; subscriptionId since 2019-04-30.
  json::Value p = json::Value::Object();
  p.Set("licenseType", Str(""));
  p.Set("nonce", Str(nonce));
  json::Value plan = json::Value::Object();
  plan.Set("name", Str(""));
  plan.Set("product", Str(""));
  plan.Set("publisher", Str(""));
  p.Set("plan", std::move(plan));
  p.Set("sku", Str(vm.sku));
  if (api >= "2019-04-30") p.Set("subscriptionId", Str(vm.subscription));
  json::Value ts = json::Value::Object();
  ts.Set("createdOn", Str(azure::FormatAzureTime(created)));
  ts.Set("expiresOn", Str(azure::FormatAzureTime(expires)));
  p.Set("timeStamp", std::move(ts));
  p.Set("vmId", Str(vm.vm_id));
  const std::string payload = json::Serialize(p);

  const Signer& signer = fault == DocumentFault::kForeignSigner   ? pki_.foreign()
                         : fault == DocumentFault::kUntrustedRoot ? pki_.untrusted()
                                                                  : pki_.good();
  crypto::SignedDataOptions o;
  o.content = payload;
  o.key = signer.key.get();
  o.signer_cert = signer.cert.get();
  o.certificates = {signer.cert.get()};
  // ?variant=standard (an emulator extension): id-sha256 as digest OID, so
  // stock CMS tools can verify the document too.
  o.azure_digest_oid = QueryOr(r, "variant") != "standard";
  if (fault == DocumentFault::kTampered) {
    // Another VM id after signing: the signature no longer covers it.
    std::string tampered = payload;
    size_t at = tampered.find(vm.vm_id);
    tampered.replace(at, 8, "ffffffff");
    o.embedded_content = tampered;
  }
  absl::StatusOr<std::string> der = crypto::SignSignedData(o);
  if (!der.ok()) return ImdsError(500, "emulator: signing failed", der.status().message());
  json::Value v = json::Value::Object();
  v.Set("encoding", Str("pkcs7"));
  v.Set("signature", Str(encoding::Base64Encode(*der)));
  return JsonResponse(200, v);
}

Response Emulator::IdentityToken(const Vm& vm, const Request& r) {
  const std::string resource = QueryOr(r, "resource");
  if (resource.empty()) {
    return ImdsError(400, "invalid_request", "Required query variable 'resource' is missing");
  }
  if (resource.size() > 512) return ImdsError(400, "invalid_request", "resource is too long");
  const std::string client_id = absl::AsciiStrToLower(QueryOr(r, "client_id"));
  const UserIdentity* uid = vm.user_assigned ? world_.FindIdentity(vm.user_identity) : nullptr;
  // A system identity has no client_id to select; a user-assigned one must
  // be named when given.
  if (!client_id.empty() && (uid == nullptr || uid->client_id != client_id)) {
    return ImdsError(400, "invalid_request", "Identity not found");
  }
  Faults f = FaultsOf(vm.name);
  const Vm* subject = &vm;
  if (!f.token_for.empty()) subject = world_.FindVm(f.token_for);
  absl::StatusOr<std::string> token = TokenFor(*subject, resource);
  if (!token.ok()) return ImdsError(500, "emulator: signing failed", token.status().message());
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  json::Value v = json::Value::Object();
  v.Set("access_token", Str(*token));
  v.Set("client_id", Str(uid != nullptr ? uid->client_id : subject->principal_id));
  v.Set("expires_in", Str("86399"));
  v.Set("expires_on", Str(absl::StrCat(now + 86399)));
  v.Set("ext_expires_in", Str("86399"));
  v.Set("not_before", Str(absl::StrCat(now - 300)));
  v.Set("resource", Str(resource));
  v.Set("token_type", Str("Bearer"));
  return JsonResponse(200, v);
}

absl::StatusOr<std::string> Emulator::TokenFor(const Vm& vm, absl::string_view resource) {
  const ScaleSet* set = vm.scale_set.empty() ? nullptr : world_.FindScaleSet(vm.scale_set);
  // The compute resource the identity is attached to: a uniform instance's
  // identity belongs to its scale set.
  std::string compute = set != nullptr && set->orchestration == ScaleSet::Orchestration::kUniform
                            ? set->ResourceId()
                            : vm.ResourceId(set);
  const UserIdentity* uid = vm.user_assigned ? world_.FindIdentity(vm.user_identity) : nullptr;
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  const std::string iss = absl::StrCat(options_.base_url, "/", vm.tenant, "/");
  const std::string oid = uid != nullptr ? uid->principal_id : vm.principal_id;
  json::Value c = json::Value::Object();
  c.Set("aud", Str(resource));
  c.Set("iss", Str(iss));
  c.Set("iat", json::Value::Int(now - 300));
  c.Set("nbf", json::Value::Int(now - 300));
  c.Set("exp", json::Value::Int(now + 86399));
  c.Set("aio", Str("E2ZgYDgemulated"));
  c.Set("appid", Str(uid != nullptr ? uid->client_id : vm.principal_id));
  c.Set("appidacr", Str("2"));
  c.Set("idp", Str(iss));
  c.Set("idtyp", Str("app"));
  c.Set("oid", Str(oid));
  c.Set("rh", Str("0.emulated."));
  c.Set("sub", Str(oid));
  c.Set("tid", Str(vm.tenant));
  c.Set("uti", Str("emulated-uti"));
  c.Set("ver", Str("1.0"));
  if (uid != nullptr) {
    c.Set("xms_az_rid", Str(compute));
    c.Set("xms_mirid", Str(uid->ResourceId()));
  } else {
    c.Set("xms_mirid", Str(compute));
  }
  return keys_->Sign(c);
}

Response Emulator::Entra(const std::vector<std::string>& segs) {
  // /<tenant>/.well-known/openid-configuration, /<tenant>/v2.0/.well-known/...,
  // /<tenant>/discovery/keys, /<tenant>/discovery/v2.0/keys.
  const std::string& tenant = segs[0];
  bool known = tenant == "common" || tenant == "organizations";
  for (const Tenant& t : world_.tenants) known = known || Eq(t.id, tenant);
  auto is = [&](std::initializer_list<const char*> want) {
    if (segs.size() != want.size() + 1) return false;
    size_t i = 1;
    for (const char* w : want) {
      if (segs[i++] != w) return false;
    }
    return true;
  };
  const bool discovery_v1 = is({".well-known", "openid-configuration"});
  const bool discovery_v2 = is({"v2.0", ".well-known", "openid-configuration"});
  const bool keys = is({"discovery", "keys"}) || is({"discovery", "v2.0", "keys"});
  if (!discovery_v1 && !discovery_v2 && !keys) return Text(404, "not found");
  if (!known) {
    return ImdsError(400, "invalid_tenant",
                     absl::StrCat("AADSTS90002: Tenant '", tenant.substr(0, 64),
                                  "' not found. Check to make sure you have the correct tenant ID "
                                  "and are signing into the correct cloud."));
  }
  if (keys) {
    absl::StatusOr<std::string> jwks = keys_->JwksJson(clock_->Now());
    if (!jwks.ok()) return ImdsError(500, "emulator", jwks.status().message());
    Response r;
    r.body = *jwks;
    return r;
  }
  const std::string base = absl::StrCat(options_.base_url, "/", tenant);
  json::Value v = json::Value::Object();
  v.Set("token_endpoint", Str(absl::StrCat(base, discovery_v2 ? "/oauth2/v2.0/token" : "/oauth2/token")));
  json::Value methods = json::Value::Array();
  methods.Append(Str("client_secret_post"));
  methods.Append(Str("private_key_jwt"));
  v.Set("token_endpoint_auth_methods_supported", std::move(methods));
  v.Set("jwks_uri", Str(absl::StrCat(base, discovery_v2 ? "/discovery/v2.0/keys" : "/discovery/keys")));
  json::Value algs = json::Value::Array();
  algs.Append(Str("RS256"));
  v.Set("id_token_signing_alg_values_supported", std::move(algs));
  v.Set("issuer", Str(discovery_v2 ? absl::StrCat(base, "/v2.0") : absl::StrCat(base, "/")));
  v.Set("tenant_region_scope", Str("NA"));
  return JsonResponse(200, v);
}

Response Emulator::Pkiops(absl::string_view file) {
  std::string der = pki_.PkiopsFile(file);
  if (der.empty()) return Text(404, "not found");
  Response r;
  r.content_type = "application/pkix-cert";
  r.body = std::move(der);
  return r;
}

json::Value Emulator::VmJson(const Vm& vm) const {
  const ScaleSet* set = vm.scale_set.empty() ? nullptr : world_.FindScaleSet(vm.scale_set);
  const bool instance = set != nullptr && set->orchestration == ScaleSet::Orchestration::kUniform;
  json::Value v = json::Value::Object();
  v.Set("name", Str(instance ? absl::StrCat(set->name, "_", vm.instance_id) : vm.name));
  v.Set("id", Str(vm.ResourceId(set)));
  v.Set("type", Str(instance ? "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
                             : "Microsoft.Compute/virtualMachines"));
  if (instance) v.Set("instanceId", Str(vm.instance_id));
  v.Set("location", Str(world_.region));
  json::Value identity = json::Value::Object();
  if (vm.user_assigned) {
    const UserIdentity* uid = world_.FindIdentity(vm.user_identity);
    identity.Set("type", Str("UserAssigned"));
    json::Value one = json::Value::Object();
    one.Set("principalId", Str(uid->principal_id));
    one.Set("clientId", Str(uid->client_id));
    json::Value map = json::Value::Object();
    map.Set(uid->ResourceId(), std::move(one));
    identity.Set("userAssignedIdentities", std::move(map));
  } else {
    identity.Set("type", Str("SystemAssigned"));
    identity.Set("principalId", Str(vm.principal_id));
    identity.Set("tenantId", Str(vm.tenant));
  }
  v.Set("identity", std::move(identity));
  json::Value props = json::Value::Object();
  props.Set("vmId", Str(vm.vm_id));
  props.Set("provisioningState", Str("Succeeded"));
  if (set != nullptr && !instance) {
    json::Value ref = json::Value::Object();
    ref.Set("id", Str(set->ResourceId()));
    props.Set("virtualMachineScaleSet", std::move(ref));
  }
  v.Set("properties", std::move(props));
  return v;
}

Response Emulator::ArmList(std::vector<json::Value> items, const Request& r) {
  int64_t skip = 0;
  const std::string token = QueryOr(r, "$skiptoken");
  if (!token.empty() && (!absl::SimpleAtoi(token, &skip) || skip < 0 ||
                         skip > static_cast<int64_t>(items.size()))) {
    return ArmError(400, "InvalidSkipToken", "The skip token is not valid.");
  }
  json::Value list = json::Value::Array();
  const size_t end = std::min(items.size(), static_cast<size_t>(skip) + world_.page_size);
  for (size_t i = static_cast<size_t>(skip); i < end; ++i) list.Append(std::move(items[i]));
  json::Value v = json::Value::Object();
  v.Set("value", std::move(list));
  if (end < items.size()) {
    v.Set("nextLink", Str(absl::StrCat(options_.base_url, r.path,
                                       "?api-version=", QueryOr(r, "api-version"),
                                       "&$skiptoken=", end)));
  }
  return JsonResponse(200, v);
}

Response Emulator::Arm(const std::vector<std::string>& segs, const Request& r) {
  auto auth = r.headers.find("authorization");
  if (auth == r.headers.end() || !absl::StartsWith(auth->second, "Bearer ") ||
      auth->second.size() < 20) {
    return ArmError(401, "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing.");
  }
  if (QueryOr(r, "api-version").empty()) {
    return ArmError(400, "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.");
  }
  // subscriptions/<sub>/[resourceGroups/<rg>/]providers/Microsoft.Compute/<type>/...
  if (segs.size() < 5) return ArmError(404, "InvalidResourceType", "no such resource type");
  const std::string sub = absl::AsciiStrToLower(segs[1]);
  if (world_.TenantOf(sub).empty()) {
    return ArmError(404, "SubscriptionNotFound",
                    absl::StrCat("The subscription '", sub.substr(0, 64), "' could not be found."));
  }
  size_t i = 2;
  std::string rg;
  if (Eq(segs[i], "resourceGroups") && segs.size() > i + 1) {
    rg = segs[i + 1];
    i += 2;
  }
  if (segs.size() < i + 3 || !Eq(segs[i], "providers") || !Eq(segs[i + 1], "Microsoft.Compute")) {
    return ArmError(404, "InvalidResourceType", "no such resource type");
  }
  const std::vector<std::string> rest(segs.begin() + static_cast<long>(i) + 2, segs.end());
  auto in_scope = [&](const Vm& vm) {
    return vm.subscription == sub && (rg.empty() || Eq(vm.resource_group, rg));
  };
  auto uniform_member = [&](const Vm& vm) {
    const ScaleSet* s = vm.scale_set.empty() ? nullptr : world_.FindScaleSet(vm.scale_set);
    return s != nullptr && s->orchestration == ScaleSet::Orchestration::kUniform;
  };
  if (Eq(rest[0], "virtualMachines")) {
    if (rest.size() == 1) {
      std::vector<json::Value> items;
      for (const Vm& vm : world_.vms) {
        if (in_scope(vm) && !uniform_member(vm)) items.push_back(VmJson(vm));
      }
      return ArmList(std::move(items), r);
    }
    if (rest.size() == 2 && !rg.empty()) {
      for (const Vm& vm : world_.vms) {
        if (in_scope(vm) && !uniform_member(vm) && Eq(vm.name, rest[1])) {
          return JsonResponse(200, VmJson(vm));
        }
      }
    }
    return ArmError(404, "ResourceNotFound",
                    "The Resource 'Microsoft.Compute/virtualMachines' was not found.");
  }
  if (Eq(rest[0], "virtualMachineScaleSets") && rest.size() >= 2 && !rg.empty()) {
    const ScaleSet* set = world_.FindScaleSet(rest[1]);
    if (set == nullptr || set->subscription != sub || !Eq(set->resource_group, rg)) {
      return ArmError(404, "ResourceNotFound",
                      "The Resource 'Microsoft.Compute/virtualMachineScaleSets' was not found.");
    }
    auto member = [&](const Vm& vm) { return vm.scale_set == set->name; };
    if (rest.size() == 2) {
      json::Value v = json::Value::Object();
      v.Set("name", Str(set->name));
      v.Set("id", Str(set->ResourceId()));
      v.Set("type", Str("Microsoft.Compute/virtualMachineScaleSets"));
      v.Set("location", Str(world_.region));
      json::Value props = json::Value::Object();
      props.Set("orchestrationMode",
                Str(set->orchestration == ScaleSet::Orchestration::kUniform ? "Uniform"
                                                                             : "Flexible"));
      v.Set("properties", std::move(props));
      return JsonResponse(200, v);
    }
    if (Eq(rest[2], "virtualMachines") && rest.size() == 3) {
      std::vector<json::Value> items;
      for (const Vm& vm : world_.vms) {
        if (member(vm)) items.push_back(VmJson(vm));
      }
      return ArmList(std::move(items), r);
    }
    if (Eq(rest[2], "virtualMachines") && rest.size() == 4) {
      for (const Vm& vm : world_.vms) {
        if (member(vm) && uniform_member(vm) && vm.instance_id == rest[3]) {
          return JsonResponse(200, VmJson(vm));
        }
      }
    }
    return ArmError(404, "ResourceNotFound", "The scale set instance was not found.");
  }
  return ArmError(404, "InvalidResourceType", "no such resource type");
}

Response Emulator::Admin(const std::vector<std::string>& segs, const Request& r) {
  if (segs.size() == 2 && segs[1] == "state" && r.method == "GET") {
    json::Value v = json::Value::Object();
    v.Set("url", Str(options_.base_url));
    v.Set("current_kid", Str(keys_->current_kid()));
    json::Value vms = json::Value::Array();
    for (const Vm& vm : world_.vms) {
      json::Value o = json::Value::Object();
      o.Set("name", Str(vm.name));
      o.Set("imds_url", Str(ImdsUrl(vm.name)));
      vms.Append(std::move(o));
    }
    v.Set("vms", std::move(vms));
    absl::MutexLock l(&mu_);
    json::Value faults = json::Value::Object();
    for (const auto& [target, s] : faults_) {
      if (!s.faults.empty()) faults.Set(target, FaultsToJson(s.faults));
    }
    v.Set("faults", std::move(faults));
    json::Value counts = json::Value::Object();
    for (const auto& [target, n] : requests_) counts.Set(target, json::Value::Int(n));
    v.Set("requests", std::move(counts));
    return JsonResponse(200, v);
  }
  if (segs.size() == 3 && segs[1] == "faults" && (r.method == "POST" || r.method == "PUT" ||
                                                  r.method == "DELETE")) {
    Faults f;
    if (r.method != "DELETE") {
      json::ParseOptions po;
      po.max_size = kMaxBodySize;
      po.max_depth = 4;
      absl::StatusOr<json::Value> body = json::Parse(r.body, po);
      if (!body.ok()) return Text(400, absl::StrCat("faults: ", body.status().message()));
      absl::StatusOr<Faults> parsed = FaultsFromJson(*body);
      if (!parsed.ok()) return Text(400, parsed.status().message());
      f = *std::move(parsed);
    }
    absl::Status s = SetFaults(segs[2], f);
    if (!s.ok()) return Text(absl::IsNotFound(s) ? 404 : 400, s.message());
    return JsonResponse(200, FaultsToJson(f));
  }
  if (segs.size() == 2 && segs[1] == "rotate-keys" && r.method == "POST") {
    absl::Duration grace = options_.key_grace;
    const std::string g = QueryOr(r, "grace");
    if (!g.empty() && (!absl::ParseDuration(g, &grace) || grace < absl::ZeroDuration())) {
      return Text(400, "rotate-keys: grace is not a duration");
    }
    absl::StatusOr<std::string> kid = keys_->Rotate(clock_->Now(), grace);
    if (!kid.ok()) return Text(500, kid.status().message());
    json::Value v = json::Value::Object();
    v.Set("kid", Str(*kid));
    return JsonResponse(200, v);
  }
  return Text(404, "admin: not found (GET /admin/state, POST|DELETE /admin/faults/<target>, "
                   "POST /admin/rotate-keys)");
}

}  // namespace enlist::azure_emulator
