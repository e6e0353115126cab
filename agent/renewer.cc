#include "agent/renewer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace enlist::agent {
namespace {

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

}  // namespace

Renewer::Renewer(Agent* agent) : agent_(agent) {}

absl::Status Renewer::Run() {
  const AgentDeps& deps = agent_->deps();
  Sleeper* sleeper = deps.sleeper;
  log::Logger& logger = *deps.logger;
  const double fraction = agent_->options().renew_fraction;

  absl::StatusOr<Identity> first = agent_->EnsureJoined(0);
  if (!first.ok()) return sleeper->stopped() ? absl::OkStatus() : first.status();
  Identity current = std::move(*first);
  if (on_identity_) on_identity_(current);

  for (;;) {
    absl::Time renew_at = current.RenewAt(fraction);
    logger.Info("Next identity renewal scheduled.", {{"host_id", current.host_id()},
                                                     {"renew_at", TimeText(renew_at)},
                                                     {"expires", TimeText(current.expires)}});
    if (!sleeper->Sleep(renew_at - deps.clock->Now())) return absl::OkStatus();

    for (;;) {
      logger.Info("Renewing the identity.", {{"host_id", current.host_id()}});
      absl::StatusOr<Identity> next = agent_->Join(&current, 0);
      if (next.ok()) {
        if (next->host_id() != current.host_id()) {
          logger.Warn("The server assigned a new host id on renewal.",
                      {{"previous_host_id", current.host_id()}, {"host_id", next->host_id()}});
        }
        current = std::move(*next);
        if (on_identity_) on_identity_(current);
        break;
      }
      if (sleeper->stopped()) return absl::OkStatus();
      // A final error (Join retries the others itself).
      if (!current.Valid(deps.clock->Now())) {
        logger.Error(
            "Renewal failed and the identity has expired.",
            {{"host_id", current.host_id()}, {"error", std::string(next.status().message())}});
        return next.status();
      }
      absl::Duration wait = agent_->options().backoff.max;
      logger.Warn("Renewal failed, keeping the current identity.",
                  {{"host_id", current.host_id()},
                   {"expires", TimeText(current.expires)},
                   {"retry_in", absl::FormatDuration(wait)},
                   {"error", std::string(next.status().message())}});
      if (!sleeper->Sleep(wait)) return absl::OkStatus();
    }
  }
}

}  // namespace enlist::agent
