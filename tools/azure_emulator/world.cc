#include "tools/azure_emulator/world.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/config/yaml.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "core/util/uuid.h"

namespace enlist::azure_emulator {
namespace {

using config::YamlNode;

// ARM names: 1-80 characters of letters, digits, '-', '_', '.', '(' and ')'.
bool IsArmName(absl::string_view s) {
  if (s.empty() || s.size() > 80) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
          c == '.' || c == '(' || c == ')')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> OptStr(const YamlNode& map, absl::string_view key,
                                   std::string fallback = "") {
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> n, map.Child(key));
  if (!n.has_value()) return fallback;
  return n->AsString();
}

absl::StatusOr<std::string> Uuid(const YamlNode& map, absl::string_view key) {
  ENLIST_ASSIGN_OR_RETURN(YamlNode n, map.Required(key));
  ENLIST_ASSIGN_OR_RETURN(std::string s, n.AsString());
  if (!IsUuid(s)) return n.Invalid(absl::StrCat("\"", s, "\" is not a UUID"));
  return absl::AsciiStrToLower(s);
}

absl::StatusOr<std::string> Name(const YamlNode& map, absl::string_view key) {
  ENLIST_ASSIGN_OR_RETURN(YamlNode n, map.Required(key));
  ENLIST_ASSIGN_OR_RETURN(std::string s, n.AsString());
  if (!IsArmName(s)) {
    return n.Invalid(absl::StrCat("\"", s.substr(0, 100),
                                  "\" is not an Azure name (1-80 of A-Z a-z 0-9 - _ . ( ))"));
  }
  return s;
}

absl::StatusOr<std::vector<YamlNode>> List(const YamlNode& root, absl::string_view key) {
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> n, root.Child(key));
  if (!n.has_value()) return std::vector<YamlNode>{};
  return n->Elements();
}

// A stable UUID-shaped object id derived from `seed` (a VM id), so a
// system identity's principal id is the same on every start.
std::string DerivedUuid(absl::string_view seed) {
  std::string out(seed);
  std::reverse(out.begin(), out.begin() + 8);
  out[14] = '4';
  return out;
}

absl::Status ParseVm(const YamlNode& v, const World& w, std::set<std::string>* vm_ids, Vm* vm) {
  ENLIST_RETURN_IF_ERROR(v.CheckFields({"name", "vm_id", "subscription", "resource_group",
                                        "identity", "user_identity", "principal_id", "scale_set",
                                        "instance_id", "sku", "faults", "expect", "reason"}));
  ENLIST_ASSIGN_OR_RETURN(vm->name, Name(v, "name"));
  ENLIST_ASSIGN_OR_RETURN(vm->vm_id, Uuid(v, "vm_id"));
  if (!vm_ids->insert(vm->vm_id).second) {
    ENLIST_ASSIGN_OR_RETURN(YamlNode n, v.Required("vm_id"));
    return n.Invalid("two VMs have this vm_id");
  }
  ENLIST_ASSIGN_OR_RETURN(vm->subscription, Uuid(v, "subscription"));
  vm->tenant = w.TenantOf(vm->subscription);
  if (vm->tenant.empty()) {
    ENLIST_ASSIGN_OR_RETURN(YamlNode n, v.Required("subscription"));
    return n.Invalid("subscription is not listed under any tenant");
  }
  ENLIST_ASSIGN_OR_RETURN(vm->resource_group, Name(v, "resource_group"));
  ENLIST_ASSIGN_OR_RETURN(std::string identity, OptStr(v, "identity", "system"));
  ENLIST_ASSIGN_OR_RETURN(vm->user_identity, OptStr(v, "user_identity"));
  if (identity == "user") {
    vm->user_assigned = true;
    if (vm->user_identity.empty()) return v.Invalid("identity: user needs user_identity");
    if (w.FindIdentity(vm->user_identity) == nullptr) {
      ENLIST_ASSIGN_OR_RETURN(YamlNode n, v.Required("user_identity"));
      return n.Invalid(absl::StrCat("no identity named \"", vm->user_identity,
                                    "\" under identities"));
    }
  } else if (identity == "system") {
    if (!vm->user_identity.empty()) return v.Invalid("user_identity needs identity: user");
  } else {
    ENLIST_ASSIGN_OR_RETURN(YamlNode n, v.Required("identity"));
    return n.Invalid(absl::StrCat("\"", identity, "\" is not system or user"));
  }
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> pid, v.Child("principal_id"));
  if (pid.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(vm->principal_id, Uuid(v, "principal_id"));
  } else {
    vm->principal_id = DerivedUuid(vm->vm_id);
  }
  ENLIST_ASSIGN_OR_RETURN(vm->scale_set, OptStr(v, "scale_set"));
  ENLIST_ASSIGN_OR_RETURN(vm->instance_id, OptStr(v, "instance_id"));
  if (!vm->scale_set.empty()) {
    const ScaleSet* set = w.FindScaleSet(vm->scale_set);
    ENLIST_ASSIGN_OR_RETURN(YamlNode n, v.Required("scale_set"));
    if (set == nullptr) {
      return n.Invalid(absl::StrCat("no scale set named \"", vm->scale_set, "\" under scale_sets"));
    }
    if (set->subscription != vm->subscription ||
        !absl::EqualsIgnoreCase(set->resource_group, vm->resource_group)) {
      return n.Invalid("a scale-set member must be in its scale set's subscription and resource group");
    }
    if (set->orchestration == ScaleSet::Orchestration::kUniform) {
      if (vm->instance_id.empty()) return v.Invalid("a uniform scale-set member needs instance_id");
      for (char c : vm->instance_id) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
          return v.Invalid("instance_id must be a number");
        }
      }
    } else if (!vm->instance_id.empty()) {
      return v.Invalid("instance_id is only for uniform scale sets");
    }
  } else if (!vm->instance_id.empty()) {
    return v.Invalid("instance_id needs scale_set");
  }
  ENLIST_ASSIGN_OR_RETURN(vm->sku, OptStr(v, "sku", vm->sku));
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> faults, v.Child("faults"));
  if (faults.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(vm->faults, ParseFaults(*faults));
  }
  ENLIST_ASSIGN_OR_RETURN(vm->expect, OptStr(v, "expect", "joined"));
  ENLIST_ASSIGN_OR_RETURN(vm->expect_reason, OptStr(v, "reason"));
  if (vm->expect != "joined" && vm->expect != "denied") {
    ENLIST_ASSIGN_OR_RETURN(YamlNode n, v.Required("expect"));
    return n.Invalid("must be joined or denied");
  }
  if (vm->expect == "joined" && !vm->expect_reason.empty()) {
    return v.Invalid("reason is only for expect: denied");
  }
  return absl::OkStatus();
}

}  // namespace

std::string UserIdentity::ResourceId() const {
  return absl::StrCat("/subscriptions/", subscription, "/resourceGroups/", resource_group,
                      "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/", name);
}

std::string ScaleSet::ResourceId() const {
  return absl::StrCat("/subscriptions/", subscription, "/resourceGroups/", resource_group,
                      "/providers/Microsoft.Compute/virtualMachineScaleSets/", name);
}

std::string Vm::ResourceId(const ScaleSet* set) const {
  if (set != nullptr && set->orchestration == ScaleSet::Orchestration::kUniform) {
    return absl::StrCat(set->ResourceId(), "/virtualMachines/", instance_id);
  }
  return absl::StrCat("/subscriptions/", subscription, "/resourceGroups/", resource_group,
                      "/providers/Microsoft.Compute/virtualMachines/", name);
}

const Vm* World::FindVm(absl::string_view name) const {
  for (const Vm& v : vms) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

const UserIdentity* World::FindIdentity(absl::string_view name) const {
  for (const UserIdentity& i : identities) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const ScaleSet* World::FindScaleSet(absl::string_view name) const {
  for (const ScaleSet& s : scale_sets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string World::TenantOf(absl::string_view subscription) const {
  for (const Tenant& t : tenants) {
    for (const std::string& s : t.subscriptions) {
      if (s == subscription) return t.id;
    }
  }
  return "";
}

absl::StatusOr<World> ParseWorld(absl::string_view text, absl::string_view source) {
  config::YamlLimits limits;
  limits.max_bytes = kMaxWorldFileSize;
  limits.max_depth = 12;
  ENLIST_ASSIGN_OR_RETURN(YamlNode root, YamlNode::ParseOne(text, source, limits));
  if (!root.IsMap()) return root.Invalid("a world file is a map");
  ENLIST_RETURN_IF_ERROR(root.CheckFields({"version", "region", "page_size", "tenants",
                                           "identities", "scale_sets", "vms", "endpoint_faults",
                                           "demo"}));
  World w;
  ENLIST_ASSIGN_OR_RETURN(YamlNode version, root.Required("version"));
  ENLIST_ASSIGN_OR_RETURN(std::string v, version.AsString());
  if (v != "v1") return version.Invalid(absl::StrCat("unsupported version \"", v, "\" (v1)"));
  ENLIST_ASSIGN_OR_RETURN(w.region, OptStr(root, "region", w.region));
  for (char c : w.region) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return root.Invalid("region: lowercase letters and digits only (e.g. eastus)");
    }
  }
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> ps, root.Child("page_size"));
  if (ps.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(int64_t n, ps->AsInt());
    if (n < 1 || n > 1000) return ps->Invalid("must be 1-1000");
    w.page_size = static_cast<int>(n);
  }

  std::set<std::string> seen_subs;
  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> tenants, List(root, "tenants"));
  if (tenants.empty()) return root.Invalid("tenants: at least one tenant");
  for (const YamlNode& t : tenants) {
    ENLIST_RETURN_IF_ERROR(t.CheckFields({"id", "name", "subscriptions"}));
    Tenant tenant;
    ENLIST_ASSIGN_OR_RETURN(tenant.id, Uuid(t, "id"));
    ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> subs, List(t, "subscriptions"));
    for (const YamlNode& s : subs) {
      std::string id;
      if (s.IsMap()) {
        ENLIST_RETURN_IF_ERROR(s.CheckFields({"id", "name"}));
        ENLIST_ASSIGN_OR_RETURN(id, Uuid(s, "id"));
      } else {
        ENLIST_ASSIGN_OR_RETURN(id, s.AsString());
        if (!IsUuid(id)) return s.Invalid(absl::StrCat("\"", id, "\" is not a UUID"));
        id = absl::AsciiStrToLower(id);
      }
      if (!seen_subs.insert(id).second) return s.Invalid("subscription listed twice");
      tenant.subscriptions.push_back(id);
    }
    w.tenants.push_back(std::move(tenant));
  }

  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> ids, List(root, "identities"));
  for (const YamlNode& i : ids) {
    ENLIST_RETURN_IF_ERROR(
        i.CheckFields({"name", "client_id", "principal_id", "subscription", "resource_group"}));
    UserIdentity id;
    ENLIST_ASSIGN_OR_RETURN(id.name, Name(i, "name"));
    if (w.FindIdentity(id.name) != nullptr) return i.Invalid("identity name used twice");
    ENLIST_ASSIGN_OR_RETURN(id.client_id, Uuid(i, "client_id"));
    ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> pid, i.Child("principal_id"));
    if (pid.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(id.principal_id, Uuid(i, "principal_id"));
    } else {
      id.principal_id = DerivedUuid(id.client_id);
    }
    ENLIST_ASSIGN_OR_RETURN(id.subscription, Uuid(i, "subscription"));
    if (w.TenantOf(id.subscription).empty()) {
      return i.Invalid("subscription is not listed under any tenant");
    }
    ENLIST_ASSIGN_OR_RETURN(id.resource_group, Name(i, "resource_group"));
    w.identities.push_back(std::move(id));
  }

  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> sets, List(root, "scale_sets"));
  for (const YamlNode& s : sets) {
    ENLIST_RETURN_IF_ERROR(s.CheckFields({"name", "subscription", "resource_group", "orchestration"}));
    ScaleSet set;
    ENLIST_ASSIGN_OR_RETURN(set.name, Name(s, "name"));
    if (w.FindScaleSet(set.name) != nullptr) return s.Invalid("scale set name used twice");
    ENLIST_ASSIGN_OR_RETURN(set.subscription, Uuid(s, "subscription"));
    if (w.TenantOf(set.subscription).empty()) {
      return s.Invalid("subscription is not listed under any tenant");
    }
    ENLIST_ASSIGN_OR_RETURN(set.resource_group, Name(s, "resource_group"));
    ENLIST_ASSIGN_OR_RETURN(std::string o, OptStr(s, "orchestration", "uniform"));
    if (o == "flexible") {
      set.orchestration = ScaleSet::Orchestration::kFlexible;
    } else if (o != "uniform") {
      ENLIST_ASSIGN_OR_RETURN(YamlNode n, s.Required("orchestration"));
      return n.Invalid(absl::StrCat("\"", o, "\" is not uniform or flexible"));
    }
    w.scale_sets.push_back(std::move(set));
  }

  std::set<std::string> vm_ids;
  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> vms, List(root, "vms"));
  for (const YamlNode& v : vms) {
    Vm vm;
    ENLIST_RETURN_IF_ERROR(ParseVm(v, w, &vm_ids, &vm));
    if (w.FindVm(vm.name) != nullptr) return v.Invalid("VM name used twice");
    w.vms.push_back(std::move(vm));
  }
  for (const Vm& vm : w.vms) {
    if (!vm.faults.token_for.empty() && w.FindVm(vm.faults.token_for) == nullptr) {
      return root.Invalid(absl::StrCat("vms: ", vm.name, ": faults.token_for: no VM named \"",
                                       vm.faults.token_for, "\""));
    }
  }

  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> ef, root.Child("endpoint_faults"));
  if (ef.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(auto entries, ef->Entries());
    for (const auto& [name, node] : entries) {
      if (name != "entra" && name != "arm" && name != "pkiops") {
        return node.Invalid(absl::StrCat("unknown endpoint \"", name, "\" (entra, arm, pkiops)"));
      }
      ENLIST_ASSIGN_OR_RETURN(Faults f, ParseFaults(node));
      if (f.document != DocumentFault::kNone || !f.token_for.empty()) {
        return node.Invalid("document and token_for are VM faults");
      }
      w.endpoint_faults[name] = f;
    }
  }

  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> demo, root.Child("demo"));
  if (demo.has_value()) {
    ENLIST_RETURN_IF_ERROR(demo->CheckFields({"token_rewrite"}));
    ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> tr, demo->Child("token_rewrite"));
    if (tr.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(auto entries, tr->Entries());
      for (const auto& [from, node] : entries) {
        ENLIST_ASSIGN_OR_RETURN(std::string to, node.AsString());
        // The demo rewrites with sed: keep both sides to safe characters.
        for (absl::string_view s : {absl::string_view(from), absl::string_view(to)}) {
          if (!IsArmName(s)) return node.Invalid("rewrite strings: A-Z a-z 0-9 - _ . only");
        }
        w.token_rewrite.emplace_back(from, to);
      }
    }
  }
  return w;
}

absl::StatusOr<World> LoadWorldFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileCapped(path, kMaxWorldFileSize);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("world file: ", text.status().message()));
  }
  return ParseWorld(*text, path);
}

}  // namespace enlist::azure_emulator
