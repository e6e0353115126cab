// The audit log of join attempts, kept in a Backend under
// `/events/<id>`, where an id orders by event time:
// `<20-digit unix microseconds>-<16 hex digits>` (the hex part makes ids
// unique across threads and auth servers sharing a backend).
#ifndef ENLIST_AUTH_STORAGE_EVENT_STORE_H_
#define ENLIST_AUTH_STORAGE_EVENT_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/storage/backend.h"
#include "core/join/audit.h"
#include "core/util/clock.h"

namespace enlist::storage {

// The key prefix of events.
inline constexpr char kEventsPrefix[] = "/events/";

// How an EventStore behaves.
struct EventStoreOptions {
  // Keep at most this many events; the oldest are pruned. 0: no count limit.
  size_t max_events = 100000;
  // Prune events older than this (by event time). Zero: no age limit.
  absl::Duration max_age = absl::Hours(24 * 90);
  // Prune after every this many appends (and whenever Prune() is called).
  // Pruning counts the events, so it is amortised rather than per append.
  size_t prune_every = 256;
  // The time used for max_age; not owned. Null: the real clock.
  const Clock* clock = nullptr;
  // Called (outside any lock, on the recording thread) with each error
  // Record() swallows or a pruning failure; e.g. to log it. May be empty.
  std::function<void(const absl::Status&)> on_error;
};

// One stored event.
struct StoredEvent {
  // The key after kEventsPrefix; a cursor for List.
  std::string id;
  join::JoinEvent event;
};

// Which events List returns.
struct EventQuery {
  // Only events with time >= since.
  absl::Time since = absl::InfinitePast();
  // Only events with time < until.
  absl::Time until = absl::InfiniteFuture();
  // Newest first (default) or oldest first.
  bool newest_first = true;
  // Most events per page; 0 or more than kMaxEventPage means kMaxEventPage.
  size_t limit = 100;
  // The `next_cursor` of the previous page (empty for the first page); the
  // page continues after it in the same order.
  std::string cursor;
};

// Largest page List returns.
inline constexpr size_t kMaxEventPage = 1000;

// One page of events.
struct EventPage {
  std::vector<StoredEvent> events;
  // True when more events match; pass next_cursor to read them.
  bool more = false;
  std::string next_cursor;
};

// An audit log over a Backend (protobuf values,
// enlist.storage.v1.JoinEventRecord). Thread-safe.
//
// Field caps: strings longer than 1 KiB are truncated (marked "..."), at most
// 64 attributes are kept, so any event can be recorded.
//
// Errors:
//   kInvalidArgument  a malformed cursor.
//   kDataLoss         a stored event does not parse (message names the key).
//   other codes       the backend's, message prefixed "events: <op>: ".
class EventStore final : public join::AuditSink {
 public:
  // `backend` is not owned and must outlive the store.
  explicit EventStore(Backend* backend, EventStoreOptions options = {});

  // Stores `event`; returns its id. Every `prune_every` appends also
  // prunes; a pruning failure does not fail the append (it goes to on_error
  // and last_error()).
  absl::StatusOr<std::string> Append(const join::JoinEvent& event);

  // One page of events matching `query`.
  absl::StatusOr<EventPage> List(const EventQuery& query) const;

  // Applies max_age and max_events now; returns how many events were removed.
  absl::StatusOr<int64_t> Prune();

  // AuditSink: Append, never throwing and never failing the caller. A
  // failure is counted, kept as last_error() and passed to on_error.
  void Record(const join::JoinEvent& event) override;

  // The most recent error Record() or pruning swallowed (OK if none).
  absl::Status last_error() const;
  // How many errors Record() or pruning swallowed.
  int64_t error_count() const;

 private:
  void ReportError(const absl::Status& status);

  Backend* const backend_;
  const EventStoreOptions options_;
  const Clock* const clock_;
  // The high half of every id suffix, random per store.
  const uint64_t instance_;
  std::atomic<uint32_t> sequence_{0};
  std::atomic<uint64_t> appends_{0};
  mutable absl::Mutex mu_;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  int64_t error_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_EVENT_STORE_H_
