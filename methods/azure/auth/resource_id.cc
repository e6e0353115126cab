#include "methods/azure/auth/resource_id.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "methods/azure/common/attested_document.h"
#include "core/util/uuid.h"

namespace enlist::azure {
namespace {

bool ValidName(absl::string_view s) {
  if (s.empty() || s.size() > 260) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '?' || c == '#' ||
        c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string VmResource::DisplayName() const {
  if (kind == Kind::kScaleSetInstance) return absl::StrCat(vm_name, "_", instance_id);
  return vm_name;
}

absl::StatusOr<VmResource> ParseVmResourceId(absl::string_view id) {
  if (id.size() > kMaxResourceIdSize) {
    return absl::InvalidArgumentError("resource id: over the size limit");
  }
  std::vector<absl::string_view> p = absl::StrSplit(id, '/');
  // "", subscriptions, <sub>, resourceGroups, <rg>, providers, <ns>, <type>, <name>, ...
  if (p.size() < 9 || !p[0].empty() || !absl::EqualsIgnoreCase(p[1], "subscriptions") ||
      !absl::EqualsIgnoreCase(p[3], "resourceGroups") ||
      !absl::EqualsIgnoreCase(p[5], "providers")) {
    return absl::InvalidArgumentError("resource id: not an ARM resource id");
  }
  for (size_t i = 1; i < p.size(); ++i) {
    if (!ValidName(p[i])) return absl::InvalidArgumentError("resource id: empty or invalid segment");
  }
  if (!IsUuid(p[2])) {
    return absl::InvalidArgumentError("resource id: subscription is not a UUID");
  }
  VmResource r;
  r.id = std::string(id);
  r.subscription = absl::AsciiStrToLower(p[2]);
  r.resource_group = std::string(p[4]);
  const bool compute = absl::EqualsIgnoreCase(p[6], "Microsoft.Compute");
  if (compute && p.size() == 9 && absl::EqualsIgnoreCase(p[7], "virtualMachines")) {
    r.kind = VmResource::Kind::kVirtualMachine;
    r.vm_name = std::string(p[8]);
    return r;
  }
  if (compute && absl::EqualsIgnoreCase(p[7], "virtualMachineScaleSets")) {
    r.vm_name = std::string(p[8]);
    if (p.size() == 9) {
      r.kind = VmResource::Kind::kScaleSet;
      return r;
    }
    if (p.size() == 11 && absl::EqualsIgnoreCase(p[9], "virtualMachines")) {
      r.kind = VmResource::Kind::kScaleSetInstance;
      r.instance_id = std::string(p[10]);
      return r;
    }
  }
  return absl::NotFoundError(absl::StrCat("resource id: type ", p[6], "/", p[7],
                                          " is not a virtual machine"));
}

}  // namespace enlist::azure
