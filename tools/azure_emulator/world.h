// The emulated Azure estate, read from a YAML world file: tenants and their
// subscriptions, user-assigned managed identities, scale sets, and VMs with
// their identity, scale-set membership, fault switches and the outcome the
// demo expects of their join. The format is in docs/demo.md. Parsing is
// strict: unknown keys, bad UUIDs, references to undeclared subscriptions,
// identities or scale sets, and duplicates are kInvalidArgument errors that
// name the file, line and field.
#ifndef ENLIST_TOOLS_AZURE_EMULATOR_WORLD_H_
#define ENLIST_TOOLS_AZURE_EMULATOR_WORLD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/azure_emulator/fault.h"

namespace enlist::azure_emulator {

// Largest world file read.
inline constexpr size_t kMaxWorldFileSize = 256 * 1024;

struct Tenant {
  std::string id;                          // lowercase UUID
  std::vector<std::string> subscriptions;  // lowercase UUIDs
};

// A user-assigned managed identity (its own ARM resource, possibly in
// another resource group or subscription than the VMs using it).
struct UserIdentity {
  std::string name;
  std::string client_id;     // lowercase UUID
  std::string principal_id;  // lowercase UUID (object id)
  std::string subscription;
  std::string resource_group;
  // "/subscriptions/../resourceGroups/../providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>".
  std::string ResourceId() const;
};

struct ScaleSet {
  enum class Orchestration { kUniform, kFlexible };
  std::string name;
  std::string subscription;
  std::string resource_group;
  Orchestration orchestration = Orchestration::kUniform;
  std::string ResourceId() const;
};

struct Vm {
  std::string name;
  std::string vm_id;  // lowercase UUID
  std::string subscription;
  std::string resource_group;  // as written (case kept)
  std::string tenant;          // from the subscription's tenant
  bool user_assigned = false;
  std::string user_identity;   // UserIdentity::name when user_assigned
  std::string principal_id;    // system identity's object id (generated)
  std::string scale_set;       // ScaleSet::name or ""
  std::string instance_id;     // uniform scale-set instance id
  std::string sku = "ubuntu-24_04-lts";
  Faults faults;
  // Expected demo outcome: "joined" or "denied" (+ reason substring).
  std::string expect = "joined";
  std::string expect_reason;
  // "/subscriptions/../virtualMachines/<name>", or for a uniform scale-set
  // instance ".../virtualMachineScaleSets/<set>/virtualMachines/<instance>".
  std::string ResourceId(const ScaleSet* set) const;
};

struct World {
  std::string region = "eastus";
  int page_size = 100;  // ARM list page size
  std::vector<Tenant> tenants;
  std::vector<UserIdentity> identities;
  std::vector<ScaleSet> scale_sets;
  std::vector<Vm> vms;
  std::map<std::string, Faults> endpoint_faults;  // "entra", "arm", "pkiops"
  // demo.token_rewrite: strings replaced in the seed's token.yaml.
  std::vector<std::pair<std::string, std::string>> token_rewrite;

  const Vm* FindVm(absl::string_view name) const;
  const UserIdentity* FindIdentity(absl::string_view name) const;
  const ScaleSet* FindScaleSet(absl::string_view name) const;
  // The tenant owning `subscription` ("" if none).
  std::string TenantOf(absl::string_view subscription) const;
};

// Parses a world file's text; `source` names it in errors.
absl::StatusOr<World> ParseWorld(absl::string_view text, absl::string_view source);

// Reads (at most kMaxWorldFileSize bytes) and parses `path`.
absl::StatusOr<World> LoadWorldFile(const std::string& path);

}  // namespace enlist::azure_emulator

#endif  // ENLIST_TOOLS_AZURE_EMULATOR_WORLD_H_
