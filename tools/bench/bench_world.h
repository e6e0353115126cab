// The benchmark's emulated Azure: one tenant, one subscription, `vms`
// system-identity VMs (bench-vm-0000, ...), all allowed by one token.
#ifndef ENLIST_TOOLS_BENCH_BENCH_WORLD_H_
#define ENLIST_TOOLS_BENCH_BENCH_WORLD_H_

#include <string>

namespace enlist::bench {

inline constexpr char kBenchTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
inline constexpr char kBenchSubscription[] = "0b5e1a3c-6f0d-4b7e-9a51-3c2d8e4f7a10";
inline constexpr char kBenchTokenName[] = "bench-token";

// The name of VM `i` ("bench-vm-0007").
std::string BenchVmName(int i);

// The world file (tools/azure_emulator format) with `vms` VMs.
std::string BenchWorldYaml(int vms);

// The token resource (enlistctl create -f) allowing the subscription.
std::string BenchTokenYaml();

// The auth server's `methods.azure` settings for an emulator at `base_url`
// with its root in `roots_file`, as YAML mapping lines indented by
// `indent` spaces.
std::string AzureCheckerSettingsYaml(const std::string& base_url, const std::string& roots_file,
                                     int indent);

}  // namespace enlist::bench

#endif  // ENLIST_TOOLS_BENCH_BENCH_WORLD_H_
