#include "methods/azure/auth/arm_client.h"

#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/json/json.h"
#include "core/util/status_macros.h"

namespace enlist::azure {
namespace {

double RandomUnit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

absl::StatusOr<json::Value> ParseArmJson(const std::string& body) {
  json::ParseOptions po;
  po.max_size = body.size() + 1;
  po.max_depth = 64;
  absl::StatusOr<json::Value> v = json::Parse(body, po);
  if (!v.ok()) {
    return absl::UnavailableError(absl::StrCat("arm: malformed response: ", v.status().message()));
  }
  if (!v->is_object()) return absl::UnavailableError("arm: malformed response: not an object");
  return v;
}

// properties.vmId of one VM object, lowercase, or "".
std::string VmIdMember(const json::Value& vm) {
  const json::Value* props = vm.Find("properties");
  if (props == nullptr) return "";
  const json::Value* id = props->Find("vmId");
  if (id == nullptr || !id->is_string()) return "";
  return absl::AsciiStrToLower(id->string_value());
}

}  // namespace

ArmClient::ArmClient(http::HttpClient* http, ArmOptions options, const Clock* clock,
                     Sleeper* sleeper)
    : http_(http), options_(std::move(options)), clock_(clock), sleeper_(sleeper) {}

int ArmClient::requests() const {
  absl::MutexLock l(&mu_);
  return requests_;
}

absl::StatusOr<std::string> ArmClient::GetJson(const std::string& url, const std::string& bearer,
                                               absl::Time deadline) {
  http::HttpRequest req;
  req.url = url;
  req.headers = {{"Authorization", absl::StrCat("Bearer ", bearer)},
                 {"Accept", "application/json"}};
  req.timeout = options_.request_timeout;
  req.max_response_size = options_.max_response_size;
  RetryResult r = DoWithRetry(
      [this](const http::HttpRequest& q) {
        {
          absl::MutexLock l(&mu_);
          ++requests_;
        }
        return http_->Get(q);
      },
      req, options_.retry, deadline, *clock_, *sleeper_, RandomUnit);
  if (!r.response.ok()) {
    return absl::UnavailableError(absl::StrCat("arm: ", r.response.status().message()));
  }
  const int status = r.response->status;
  if (status == 200) return std::move(r.response->body);
  std::string what = absl::StrCat("arm: ", http::ErrorPrefix("Get", url), "HTTP ", status);
  if (status == 404) return absl::NotFoundError(what);
  if (status == 401 || status == 403) {
    return absl::UnavailableError(
        absl::StrCat(what, " (the ARM credential needs read access to the VM)"));
  }
  if (status == 429) return absl::UnavailableError(absl::StrCat(what, " (throttled)"));
  return absl::UnavailableError(what);
}

absl::StatusOr<std::string> ArmClient::VmIdOf(const VmResource& vm, const std::string& bearer) {
  if (vm.kind == VmResource::Kind::kScaleSet) {
    return absl::InvalidArgumentError("arm: a scale set has no single vmId");
  }
  const std::string key = absl::AsciiStrToLower(vm.id);
  {
    absl::MutexLock l(&mu_);
    auto it = vm_ids_.find(key);
    if (it != vm_ids_.end()) return it->second;
  }
  absl::Time deadline = clock_->Now() + options_.lookup_timeout;
  absl::StatusOr<std::string> body = GetJson(
      absl::StrCat(options_.endpoint, vm.id, "?api-version=", options_.api_version), bearer,
      deadline);
  if (absl::IsNotFound(body.status())) {
    return absl::UnauthenticatedError(
        absl::StrCat("arm: VM \"", vm.DisplayName(), "\" does not exist"));
  }
  if (!body.ok()) return body.status();
  ENLIST_ASSIGN_OR_RETURN(json::Value v, ParseArmJson(*body));
  std::string vm_id = VmIdMember(v);
  if (vm_id.empty()) return absl::UnavailableError("arm: response has no properties.vmId");
  absl::MutexLock l(&mu_);
  if (vm_ids_.size() >= options_.cache_capacity) vm_ids_.erase(vm_ids_.begin());
  vm_ids_[key] = vm_id;
  return vm_id;
}

absl::StatusOr<std::string> ArmClient::FindVmByVmId(const std::string& subscription,
                                                    const VmResource* scale_set,
                                                    const std::string& vm_id,
                                                    const std::string& bearer) {
  const std::string want = absl::AsciiStrToLower(vm_id);
  std::string url =
      scale_set != nullptr
          ? absl::StrCat(options_.endpoint, scale_set->id, "/virtualMachines?api-version=",
                         options_.api_version)
          : absl::StrCat(options_.endpoint, "/subscriptions/", subscription,
                         "/providers/Microsoft.Compute/virtualMachines?api-version=",
                         options_.api_version);
  absl::Time deadline = clock_->Now() + options_.lookup_timeout;
  for (int page = 0; page < options_.max_pages && !url.empty(); ++page) {
    ENLIST_ASSIGN_OR_RETURN(std::string body, GetJson(url, bearer, deadline));
    ENLIST_ASSIGN_OR_RETURN(json::Value v, ParseArmJson(body));
    const json::Value* list = v.Find("value");
    if (list == nullptr || !list->is_array()) {
      return absl::UnavailableError("arm: list response has no \"value\" array");
    }
    for (const json::Value& vm : list->array()) {
      if (VmIdMember(vm) != want) continue;
      const json::Value* id = vm.Find("id");
      if (id == nullptr || !id->is_string()) {
        return absl::UnavailableError("arm: listed VM has no id");
      }
      absl::MutexLock l(&mu_);
      if (vm_ids_.size() >= options_.cache_capacity) vm_ids_.erase(vm_ids_.begin());
      vm_ids_[absl::AsciiStrToLower(id->string_value())] = want;
      return id->string_value();
    }
    url.clear();
    const json::Value* next = v.Find("nextLink");
    if (next != nullptr && next->is_string() && !next->string_value().empty()) {
      // Pages must stay on the configured endpoint: the bearer goes with them.
      if (!absl::StartsWith(next->string_value(), absl::StrCat(options_.endpoint, "/"))) {
        return absl::UnavailableError("arm: nextLink leaves the ARM endpoint");
      }
      url = next->string_value();
    }
  }
  return absl::NotFoundError("arm: no VM with the attested vmId in the listed resources");
}

}  // namespace enlist::azure
