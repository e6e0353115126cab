// Azure Resource Manager lookups for strict mode and for tokens whose
// claims carry no VM resource id: a VM's vmId by resource id, and a VM (or
// scale-set instance) by vmId in a paged list. Requests carry a bearer token
// (the joining node's own ARM token, or a configured credential), are
// retried on 429/5xx honouring Retry-After, and follow "nextLink" pages on
// the same endpoint. Positive answers are cached: a VM's vmId never changes.
#ifndef ENLIST_METHODS_AZURE_AUTH_ARM_CLIENT_H_
#define ENLIST_METHODS_AZURE_AUTH_ARM_CLIENT_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/http/http_client.h"
#include "core/util/clock.h"
#include "methods/azure/auth/resource_id.h"
#include "methods/azure/common/retry.h"

namespace enlist::azure {

// Tuning for ArmClient.
struct ArmOptions {
  // e.g. "https://management.azure.com" (no trailing '/').
  std::string endpoint;
  std::string api_version = "2023-03-01";
  absl::Duration request_timeout = absl::Seconds(10);
  // Whole lookup deadline (all retries and pages).
  absl::Duration lookup_timeout = absl::Seconds(30);
  RetryPolicy retry;
  // Most pages read from one list.
  int max_pages = 50;
  size_t max_response_size = 8 << 20;
  // Most cached resource ids.
  size_t cache_capacity = 16384;
};

// Thread-safe. Does not own `http`, `clock` or `sleeper`.
class ArmClient {
 public:
  ArmClient(http::HttpClient* http, ArmOptions options, const Clock* clock, Sleeper* sleeper);

  // Returns properties.vmId of VM or scale-set instance `vm` (lowercase).
  // kUnauthenticated when ARM says it does not exist (404); kUnavailable
  // when ARM cannot be reached, throttles past the retries, or refuses the
  // credential (401/403); kInvalidArgument for a scale set (no single VM).
  absl::StatusOr<std::string> VmIdOf(const VmResource& vm, const std::string& bearer);

  // Returns the resource id of the VM with `vm_id` among the VMs of
  // subscription `subscription` (when `scale_set` is null) or the instances
  // of `*scale_set`. kNotFound when no listed VM has it; other errors as
  // VmIdOf.
  absl::StatusOr<std::string> FindVmByVmId(const std::string& subscription,
                                           const VmResource* scale_set, const std::string& vm_id,
                                           const std::string& bearer);

  // HTTP requests made so far (for tests and metrics).
  int requests() const;

 private:
  absl::StatusOr<std::string> GetJson(const std::string& url, const std::string& bearer,
                                      absl::Time deadline);

  http::HttpClient* const http_;
  const ArmOptions options_;
  const Clock* const clock_;
  Sleeper* const sleeper_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> vm_ids_ ABSL_GUARDED_BY(mu_);  // lowercase id -> vmId
  int requests_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_ARM_CLIENT_H_
