// Test doubles for the join contract. testonly.
#ifndef ENLIST_CORE_JOIN_TESTING_FAKES_H_
#define ENLIST_CORE_JOIN_TESTING_FAKES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/join/audit.h"
#include "core/join/checker.h"
#include "core/join/issuer.h"
#include "core/join/solver.h"
#include "google/protobuf/wrappers.pb.h"

namespace enlist::join::testing {

// Issues "host-<n>" ids with placeholder certificate bytes; records calls.
class FakeIssuer final : public HostIssuer {
 public:
  absl::StatusOr<enlist::join::v1::Result> Issue(const IssueRequest& r) override {
    absl::MutexLock l(&mu_);
    if (!fail_.ok()) return fail_;
    requests_.push_back(r.token_name + "/" + r.role + "/" + r.join_method);
    enlist::join::v1::Result out;
    out.set_host_id(absl::StrCat("host-", requests_.size()));
    out.add_tls_cert_chain("cert");
    return out;
  }
  void FailWith(absl::Status s) {
    absl::MutexLock l(&mu_);
    fail_ = std::move(s);
  }
  size_t issued() const {
    absl::MutexLock l(&mu_);
    return requests_.size();
  }

 private:
  mutable absl::Mutex mu_;
  absl::Status fail_;
  std::vector<std::string> requests_;
};

// Keeps every event.
class RecordingAuditSink final : public AuditSink {
 public:
  void Record(const JoinEvent& e) override {
    absl::MutexLock l(&mu_);
    events_.push_back(e);
  }
  std::vector<JoinEvent> events() const {
    absl::MutexLock l(&mu_);
    return events_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<JoinEvent> events_;
};

// A method named "fake" with `rounds` challenge rounds: each challenge is a
// StringValue "c<i>", the right answer is "s<i>". Proves that the sessions
// handle any number of rounds and that a method needs no core edits.
class FakeTokenSpec final : public TokenSpec {};

class FakeAuthMethod final : public AuthJoinMethod {
 public:
  explicit FakeAuthMethod(int rounds = 2, std::string name = "fake")
      : rounds_(rounds), name_(std::move(name)) {}
  absl::string_view name() const override { return name_; }
  absl::StatusOr<std::shared_ptr<const TokenSpec>> ParseTokenSpec(
      const std::optional<config::YamlNode>&) const override {
    return std::shared_ptr<const TokenSpec>(std::make_shared<FakeTokenSpec>());
  }
  std::string TokenSpecYaml(const TokenSpec&) const override { return ""; }
  absl::StatusOr<std::shared_ptr<Checker>> NewChecker(const CheckerOptions&) const override;

 private:
  int rounds_;
  std::string name_;
};

class FakeAgentMethod final : public AgentJoinMethod {
 public:
  explicit FakeAgentMethod(std::string name = "fake") : name_(std::move(name)) {}
  absl::string_view name() const override { return name_; }
  absl::StatusOr<std::unique_ptr<Solver>> NewSolver(const SolverOptions&) const override;

 private:
  std::string name_;
};

}  // namespace enlist::join::testing

#endif  // ENLIST_CORE_JOIN_TESTING_FAKES_H_
