#include "tools/bench/bench_world.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace enlist::bench {

std::string BenchVmName(int i) { return absl::StrFormat("bench-vm-%04d", i); }

std::string BenchWorldYaml(int vms) {
  std::string y =
      absl::StrCat("version: v1\nregion: eastus\ntenants:\n  - id: ", kBenchTenant,
                   "\n    name: bench\n    subscriptions:\n      - {id: ", kBenchSubscription,
                   ", name: bench}\nvms:\n");
  for (int i = 0; i < vms; ++i) {
    absl::StrAppend(&y, "  - name: ", BenchVmName(i), "\n",
                    absl::StrFormat("    vm_id: a1b2c3d4-%04x-4000-8000-%012x\n", i & 0xffff, i),
                    "    subscription: ", kBenchSubscription, "\n",
                    "    resource_group: bench-rg\n    identity: system\n");
  }
  return y;
}

std::string BenchTokenYaml() {
  return absl::StrCat("kind: token\nversion: v2\nmetadata:\n  name: ", kBenchTokenName,
                      "\nspec:\n  roles: [Node]\n  join_method: azure\n  azure:\n    allow:\n"
                      "      - subscription: ",
                      kBenchSubscription, "\n");
}

std::string AzureCheckerSettingsYaml(const std::string& base_url, const std::string& roots_file,
                                     int indent) {
  const std::string p(indent, ' ');
  return absl::StrCat(p, "sts_url: ", base_url, "\n", p, "login_url: ", base_url, "\n", p,
                      "arm_endpoint: ", base_url, "\n", p, "allow_http: true\n", p,
                      "roots_file: ", roots_file, "\n", p, "intermediate_url_prefixes: [\"",
                      base_url, "/pkiops/certs/\"]\n");
}

}  // namespace enlist::bench
