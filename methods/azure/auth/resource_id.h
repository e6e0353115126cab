// Step 7 (parsing): ARM resource ids of the compute resources a managed
// identity token can name, compared case-insensitively as ARM does:
//   /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<vm>
//   .../Microsoft.Compute/virtualMachineScaleSets/<vmss>                    (identity on the set)
//   .../Microsoft.Compute/virtualMachineScaleSets/<vmss>/virtualMachines/<n> (uniform instance)
// Flexible-orchestration instances are plain virtualMachines resources.
#ifndef ENLIST_METHODS_AZURE_AUTH_RESOURCE_ID_H_
#define ENLIST_METHODS_AZURE_AUTH_RESOURCE_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist::azure {

// Largest accepted resource id.
inline constexpr size_t kMaxResourceIdSize = 1024;

// A parsed compute resource id. Names keep their original case.
struct VmResource {
  enum class Kind { kVirtualMachine, kScaleSet, kScaleSetInstance };
  Kind kind = Kind::kVirtualMachine;
  std::string subscription;    // lowercase UUID
  std::string resource_group;
  std::string vm_name;         // VM name, or scale set name
  std::string instance_id;     // kScaleSetInstance only
  std::string id;              // the id as given
  // "vm-1", "vmss-1", or "vmss-1_3" for an instance.
  std::string DisplayName() const;
};

// Parses a generic ARM id "/subscriptions/<uuid>/resourceGroups/<rg>/
// providers/<namespace>/<type>/<name>[/...]" and returns whether it names a
// compute VM or scale set. kInvalidArgument "resource id: ..." for a
// malformed id; kNotFound "resource id: ... is not a virtual machine" for a
// well-formed id of another type (e.g. a user-assigned identity).
absl::StatusOr<VmResource> ParseVmResourceId(absl::string_view id);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_RESOURCE_ID_H_
