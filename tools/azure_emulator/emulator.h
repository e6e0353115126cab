// The Azure emulator's request handling, independent of the HTTP server:
// one Handle() call per request, routed to
//   IMDS per VM     /vm/<name>/metadata/{versions,attested/document,identity/oauth2/token}
//   Entra ID        /<tenant>/.well-known/openid-configuration, /<tenant>/discovery/keys
//   Microsoft PKI   /pkiops/certs/<name>.crt
//   ARM             /subscriptions/<sub>/[resourceGroups/<rg>/]providers/Microsoft.Compute/...
//   admin           /admin/state, /admin/faults/<target>, /admin/rotate-keys
// with the world file's VMs and fault switches applied. The endpoints and
// their answers are documented in docs/emulator.md. Thread-safe.
#ifndef ENLIST_TOOLS_AZURE_EMULATOR_EMULATOR_H_
#define ENLIST_TOOLS_AZURE_EMULATOR_EMULATOR_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/json/json.h"
#include "core/util/clock.h"
#include "tools/azure_emulator/fault.h"
#include "tools/azure_emulator/key_ring.h"
#include "tools/azure_emulator/pki.h"
#include "tools/azure_emulator/world.h"

namespace enlist::azure_emulator {

// Request caps: longer paths / queries / bodies are refused (414 / 413).
inline constexpr size_t kMaxPathSize = 2048;
inline constexpr size_t kMaxBodySize = 64 * 1024;

// One HTTP request, already split by the server.
struct Request {
  std::string method = "GET";
  std::string path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lowercase
  std::string body;
};

// The answer, and how long to wait before sending it (latency fault).
struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  absl::Duration delay = absl::ZeroDuration();
};

struct EmulatorOptions {
  // "http://127.0.0.1:PORT", no trailing '/': the base of every URL the
  // emulator hands out (issuer, jwks_uri, AIA, nextLink).
  std::string base_url;
  // How long rotated-out Entra keys stay published.
  absl::Duration key_grace = absl::Hours(1);
};

class Emulator {
 public:
  // Builds the PKI and the first token key. `clock` is not owned.
  static absl::StatusOr<std::unique_ptr<Emulator>> Create(World world, EmulatorOptions options,
                                                          const Clock* clock);

  // Answers one request. Never fails: errors are HTTP answers.
  Response Handle(const Request& request);

  // The trusted root (PEM) a checker must be configured with.
  const std::string& root_pem() const { return pki_.root_pem(); }
  const World& world() const { return world_; }
  const Pki& pki() const { return pki_; }
  KeyRing& keys() { return *keys_; }
  // "<base>/vm/<name>": the agent's imds_url for VM `name`.
  std::string ImdsUrl(absl::string_view vm_name) const;

  // Replaces / clears the faults of `target` (a VM name, "entra", "arm" or
  // "pkiops"). kNotFound for an unknown target.
  absl::Status SetFaults(const std::string& target, Faults faults);

 private:
  struct FaultState {
    Faults faults;
    int errors = 0, throttles = 0, documents = 0;
  };

  Emulator(World world, EmulatorOptions options, Pki pki, std::unique_ptr<KeyRing> keys,
           const Clock* clock);

  // Latency, 429 and error switches of `target`; true when `*out` is final.
  bool ApplyFaults(const std::string& target, Response* out);
  // The document fault to apply to this request (counts consumed).
  DocumentFault TakeDocumentFault(const std::string& vm);
  Faults FaultsOf(const std::string& target);

  Response Imds(const Vm& vm, absl::string_view rest, const Request& r);
  Response AttestedDocument(const Vm& vm, const Request& r);
  Response IdentityToken(const Vm& vm, const Request& r);
  Response Entra(const std::vector<std::string>& segs);
  Response Pkiops(absl::string_view file);
  Response Arm(const std::vector<std::string>& segs, const Request& r);
  Response Admin(const std::vector<std::string>& segs, const Request& r);

  absl::StatusOr<std::string> TokenFor(const Vm& vm, absl::string_view resource);
  json::Value VmJson(const Vm& vm) const;
  Response ArmList(std::vector<json::Value> items, const Request& r);

  const World world_;
  const EmulatorOptions options_;
  const Pki pki_;
  const std::unique_ptr<KeyRing> keys_;
  const Clock* const clock_;

  absl::Mutex mu_;
  std::map<std::string, FaultState> faults_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::azure_emulator

#endif  // ENLIST_TOOLS_AZURE_EMULATOR_EMULATOR_H_
