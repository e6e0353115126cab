#include "agent/public/renewal_loop.h"

#include <utility>

#include "agent/renewer.h"

namespace enlist::agent {

RenewalLoop::RenewalLoop(Agent* agent, StopSource* stop) : agent_(agent), stop_(stop) {}

RenewalLoop::~RenewalLoop() { Stop().IgnoreError(); }

absl::Status RenewalLoop::Start(std::function<void(const Identity&)> on_identity) {
  absl::MutexLock l(&mu_);
  if (started_) return absl::FailedPreconditionError("renewal loop: already started");
  started_ = true;
  thread_ = std::thread([this, cb = std::move(on_identity)] {
    Renewer renewer(agent_);
    if (cb) renewer.set_on_identity(cb);
    absl::Status s = renewer.Run();
    absl::MutexLock l(&mu_);
    result_ = std::move(s);
    finished_ = true;
  });
  return absl::OkStatus();
}

absl::Status RenewalLoop::Stop() {
  stop_->Stop();
  {
    absl::MutexLock l(&mu_);
    if (!started_) return absl::OkStatus();
  }
  return Wait();
}

absl::Status RenewalLoop::Wait() {
  {
    absl::MutexLock l(&mu_);
    if (!started_) return absl::FailedPreconditionError("renewal loop: not started");
  }
  {
    absl::MutexLock j(&join_mu_);
    if (thread_.joinable()) thread_.join();
  }
  absl::MutexLock l(&mu_);
  return result_;
}

}  // namespace enlist::agent
