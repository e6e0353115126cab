// Explicit registries of join methods: one for agent halves, one for auth
// halves, so an agent never links a checker and an auth server never links
// a solver. Programs fill them at start-up; nothing registers itself.
#ifndef ENLIST_CORE_JOIN_REGISTRY_H_
#define ENLIST_CORE_JOIN_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/join/checker.h"
#include "core/join/solver.h"

namespace enlist::join {

// Maps method names to factories. Filled before use, then read-only: reads
// are thread-safe once registration is over.
template <typename Method>
class Registry {
 public:
  // Adds `method`. kAlreadyExists if its name is taken, kInvalidArgument if
  // the name is empty or not [a-z0-9_-].
  absl::Status Register(std::unique_ptr<Method> method) {
    if (method == nullptr) return absl::InvalidArgumentError("registry: null join method");
    std::string name(method->name());
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                            std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry: invalid join method name \"", name, "\""));
    }
    if (methods_.count(name) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("registry: join method \"", name, "\" is already registered"));
    }
    methods_.emplace(std::move(name), std::move(method));
    return absl::OkStatus();
  }

  // Returns the method called `name`, or kNotFound listing the known ones.
  absl::StatusOr<const Method*> Get(absl::string_view name) const {
    auto it = methods_.find(std::string(name));
    if (it == methods_.end()) {
      return absl::NotFoundError(absl::StrCat("unknown join method \"", name,
                                              "\" (known: ", absl::StrJoin(Names(), ", "), ")"));
    }
    return it->second.get();
  }

  // Registered names, sorted.
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& kv : methods_) out.push_back(kv.first);
    return out;
  }

 private:
  std::map<std::string, std::unique_ptr<Method>> methods_;
};

using AgentRegistry = Registry<AgentJoinMethod>;
using AuthRegistry = Registry<AuthJoinMethod>;

}  // namespace enlist::join

#endif  // ENLIST_CORE_JOIN_REGISTRY_H_
