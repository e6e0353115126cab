#include "core/join/testing/fakes.h"

namespace enlist::join::testing {
namespace {

google::protobuf::Any PackString(const std::string& s) {
  google::protobuf::StringValue v;
  v.set_value(s);
  google::protobuf::Any a;
  a.PackFrom(v);
  return a;
}

class FakeCheckerSession final : public CheckerSession {
 public:
  explicit FakeCheckerSession(int rounds) : rounds_(rounds) {}
  absl::StatusOr<Step> Start() override { return Next(); }
  absl::StatusOr<Step> OnSolution(const google::protobuf::Any& payload) override {
    google::protobuf::StringValue v;
    if (!payload.UnpackTo(&v)) return absl::InvalidArgumentError("fake: not a StringValue");
    if (v.value() != absl::StrCat("s", round_)) {
      return absl::UnauthenticatedError(absl::StrCat("fake: wrong answer in round ", round_));
    }
    return Next();
  }

 private:
  Step Next() {
    if (round_ >= rounds_) {
      Accept a;
      a.attributes.emplace_back("fake.rounds", absl::StrCat(rounds_));
      return a;
    }
    ++round_;
    return PackString(absl::StrCat("c", round_));
  }
  int rounds_;
  int round_ = 0;
};

class FakeChecker final : public Checker {
 public:
  explicit FakeChecker(int rounds) : rounds_(rounds) {}
  absl::StatusOr<std::unique_ptr<CheckerSession>> Begin(const JoinContext&) override {
    return std::unique_ptr<CheckerSession>(new FakeCheckerSession(rounds_));
  }

 private:
  int rounds_;
};

class FakeSolver final : public Solver {
 public:
  absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any& challenge,
                                              absl::Time) override {
    google::protobuf::StringValue v;
    if (!challenge.UnpackTo(&v) || v.value().empty()) {
      return absl::InvalidArgumentError("fake: bad challenge");
    }
    return PackString("s" + v.value().substr(1));
  }
};

}  // namespace

absl::StatusOr<std::shared_ptr<Checker>> FakeAuthMethod::NewChecker(const CheckerOptions&) const {
  return std::shared_ptr<Checker>(std::make_shared<FakeChecker>(rounds_));
}

absl::StatusOr<std::unique_ptr<Solver>> FakeAgentMethod::NewSolver(const SolverOptions&) const {
  return std::unique_ptr<Solver>(new FakeSolver());
}

}  // namespace enlist::join::testing
