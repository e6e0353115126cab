#include "auth/storage/event_store.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auth/storage/join_event_record.pb.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

constexpr size_t kMaxFieldLength = 1024;
constexpr int kMaxAttributes = 64;
constexpr int kMaxIdAttempts = 8;
constexpr size_t kTimeDigits = 20;
constexpr size_t kIdLength = kTimeDigits + 1 + 16;

// The fixed-width time part of an id; times before 1970 sort as 1970.
std::string TimeKey(absl::Time t) {
  int64_t micros = 0;
  if (t == absl::InfiniteFuture()) {
    micros = std::numeric_limits<int64_t>::max();
  } else if (t > absl::UnixEpoch()) {
    micros = absl::ToUnixMicros(t);
  }
  return absl::StrFormat("%020d", micros);
}

bool ValidId(absl::string_view id) {
  if (id.size() != kIdLength || id[kTimeDigits] != '-') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == kTimeDigits) continue;
    char c = id[i];
    bool ok = i < kTimeDigits ? absl::ascii_isdigit(static_cast<unsigned char>(c))
                              : (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                                 (c >= 'a' && c <= 'f'));
    if (!ok) return false;
  }
  return true;
}

std::string Cap(const std::string& s) {
  if (s.size() <= kMaxFieldLength) return s;
  return s.substr(0, kMaxFieldLength - 3) + "...";
}

std::string Encode(const join::JoinEvent& e) {
  v1::JoinEventRecord pb;
  pb.set_time_unix_micros(absl::ToUnixMicros(e.time));
  pb.set_duration_micros(absl::ToInt64Microseconds(e.duration));
  pb.set_join_method(Cap(e.join_method));
  pb.set_token_name(Cap(e.token_name));
  pb.set_role(Cap(e.role));
  pb.set_host_name(Cap(e.host_name));
  pb.set_remote_addr(Cap(e.remote_addr));
  pb.set_accepted(e.accepted);
  pb.set_host_id(Cap(e.host_id));
  pb.set_code(static_cast<int32_t>(e.code));
  pb.set_reason(Cap(e.reason));
  int n = 0;
  for (const auto& [name, value] : e.attributes) {
    if (n++ == kMaxAttributes) break;
    auto* a = pb.add_attributes();
    a->set_name(Cap(name));
    a->set_value(Cap(value));
  }
  return pb.SerializeAsString();
}

absl::StatusOr<StoredEvent> Decode(const Item& item) {
  v1::JoinEventRecord pb;
  if (!pb.ParseFromString(item.value)) {
    return absl::DataLossError(absl::StrCat("events: stored event ",
                                            internal::KeyForMessage(item.key),
                                            " does not parse"));
  }
  StoredEvent out;
  out.id = item.key.substr(sizeof(kEventsPrefix) - 1);
  join::JoinEvent& e = out.event;
  e.time = absl::FromUnixMicros(pb.time_unix_micros());
  e.duration = absl::Microseconds(pb.duration_micros());
  e.join_method = pb.join_method();
  e.token_name = pb.token_name();
  e.role = pb.role();
  e.host_name = pb.host_name();
  e.remote_addr = pb.remote_addr();
  e.accepted = pb.accepted();
  e.host_id = pb.host_id();
  e.code = static_cast<absl::StatusCode>(pb.code());
  e.reason = pb.reason();
  for (const auto& a : pb.attributes()) e.attributes.emplace_back(a.name(), a.value());
  return out;
}

absl::Status Wrap(absl::string_view op, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("events: ", op, ": ", s.message()));
}

uint64_t RandomInstance() {
  absl::BitGen gen;
  return absl::Uniform<uint32_t>(gen);
}

}  // namespace

EventStore::EventStore(Backend* backend, EventStoreOptions options)
    : backend_(backend),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &RealClock::Get()),
      instance_(RandomInstance()) {}

absl::StatusOr<std::string> EventStore::Append(const join::JoinEvent& event) {
  Item item;
  item.value = Encode(event);
  const std::string time_key = TimeKey(event.time);
  std::string id;
  absl::StatusOr<int64_t> written;
  for (int attempt = 0; attempt < kMaxIdAttempts; ++attempt) {
    const uint64_t suffix = (instance_ << 32) | sequence_.fetch_add(1);
    id = absl::StrFormat("%s-%016x", time_key, suffix);
    item.key = absl::StrCat(kEventsPrefix, id);
    written = backend_->Create(item);
    // Another server (or a wrapped sequence) took the id: take the next.
    if (!absl::IsAlreadyExists(written.status())) break;
  }
  if (!written.ok()) return Wrap("append", written.status());

  if (options_.prune_every != 0 && (appends_.fetch_add(1) + 1) % options_.prune_every == 0) {
    absl::StatusOr<int64_t> pruned = Prune();
    if (!pruned.ok()) ReportError(pruned.status());
  }
  return id;
}

absl::StatusOr<EventPage> EventStore::List(const EventQuery& query) const {
  if (!query.cursor.empty() && !ValidId(query.cursor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: list: malformed cursor \"",
                     internal::KeyForMessage(query.cursor.substr(0, 64)), "\""));
  }
  KeyRange range;
  range.start = absl::StrCat(kEventsPrefix, TimeKey(query.since));
  range.end = query.until == absl::InfiniteFuture()
                  ? PrefixEnd(kEventsPrefix)
                  : absl::StrCat(kEventsPrefix, TimeKey(query.until));
  if (!query.cursor.empty()) {
    const std::string at = absl::StrCat(kEventsPrefix, query.cursor);
    if (query.newest_first) {
      range.end = std::min(range.end, at);
    } else {
      range.start = std::max(range.start, NextKey(at));
    }
  }
  EventPage page;
  if (!range.end.empty() && range.end <= range.start) return page;  // nothing can match
  RangeOptions options;
  options.limit = query.limit == 0 ? kMaxEventPage : std::min(query.limit, kMaxEventPage);
  options.descending = query.newest_first;
  absl::StatusOr<RangeResult> result = backend_->Range(range, options);
  if (!result.ok()) return Wrap("list", result.status());
  for (const Item& item : result->items) {
    ENLIST_ASSIGN_OR_RETURN(StoredEvent e, Decode(item));
    page.events.push_back(std::move(e));
  }
  page.more = result->more;
  if (page.more) page.next_cursor = page.events.back().id;
  return page;
}

absl::StatusOr<int64_t> EventStore::Prune() {
  int64_t removed = 0;
  if (options_.max_age > absl::ZeroDuration()) {
    const KeyRange old = KeyRange::Between(
        kEventsPrefix, absl::StrCat(kEventsPrefix, TimeKey(clock_->Now() - options_.max_age)));
    absl::StatusOr<int64_t> n = backend_->DeleteRange(old);
    if (!n.ok()) return Wrap("prune", n.status());
    removed += *n;
  }
  if (options_.max_events != 0) {
    const KeyRange all = KeyRange::Prefix(kEventsPrefix);
    absl::StatusOr<int64_t> count = backend_->Count(all);
    if (!count.ok()) return Wrap("prune", count.status());
    if (*count > static_cast<int64_t>(options_.max_events)) {
      // The oldest `excess` keys end at the last one of this page.
      const int64_t excess = *count - static_cast<int64_t>(options_.max_events);
      RangeOptions keys;
      keys.limit = static_cast<size_t>(excess);
      keys.keys_only = true;
      absl::StatusOr<RangeResult> oldest = backend_->Range(all, keys);
      if (!oldest.ok()) return Wrap("prune", oldest.status());
      if (!oldest->items.empty()) {
        absl::StatusOr<int64_t> n = backend_->DeleteRange(
            KeyRange::Between(kEventsPrefix, NextKey(oldest->items.back().key)));
        if (!n.ok()) return Wrap("prune", n.status());
        removed += *n;
      }
    }
  }
  return removed;
}

void EventStore::Record(const join::JoinEvent& event) {
  absl::Status status;
  try {
    status = Append(event).status();
  } catch (const std::exception& e) {  // e.g. std::bad_alloc; never reaches the caller
    status = absl::InternalError(absl::StrCat("events: append: ", e.what()));
  }
  if (!status.ok()) ReportError(status);
}

void EventStore::ReportError(const absl::Status& status) {
  {
    absl::MutexLock l(&mu_);
    last_error_ = status;
    ++error_count_;
  }
  if (options_.on_error) options_.on_error(status);
}

absl::Status EventStore::last_error() const {
  absl::MutexLock l(&mu_);
  return last_error_;
}

int64_t EventStore::error_count() const {
  absl::MutexLock l(&mu_);
  return error_count_;
}

}  // namespace enlist::storage
