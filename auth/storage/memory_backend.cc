#include "auth/storage/memory_backend.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

constexpr absl::string_view kName = "memory";

bool Visible(const Item& item, absl::Time now) {
  return !item.expires.has_value() || *item.expires > now;
}

absl::Status NotFound(absl::string_view op, absl::string_view key) {
  return absl::NotFoundError(absl::StrCat(internal::Context(kName, op, key), "not found"));
}

absl::Status Mismatch(absl::string_view op, absl::string_view key, int64_t expected,
                      int64_t actual) {
  return absl::AbortedError(absl::StrCat(internal::Context(kName, op, key),
                                         "revision mismatch: expected ", expected, ", found ",
                                         actual));
}

}  // namespace

MemoryBackend::MemoryBackend(const Clock* clock)
    : clock_(clock != nullptr ? clock : &RealClock::Get()) {}

MemoryBackend::Map::const_iterator MemoryBackend::FindLive(absl::string_view key,
                                                           absl::Time now) const {
  auto it = items_.find(key);
  if (it == items_.end() || !Visible(it->second, now)) return items_.end();
  return it;
}

void MemoryBackend::EraseLocked(Map::iterator it) {
  if (it->second.expires.has_value()) expiry_index_.erase({*it->second.expires, it->first});
  items_.erase(it);
}

int64_t MemoryBackend::PurgeLocked(absl::Time now) {
  int64_t purged = 0;
  while (!expiry_index_.empty() && expiry_index_.begin()->first <= now) {
    auto it = items_.find(expiry_index_.begin()->second);
    EraseLocked(it);
    ++purged;
  }
  return purged;
}

int64_t MemoryBackend::WriteLocked(const Item& item) {
  const int64_t revision = ++revision_;
  Item stored = item;
  stored.revision = revision;
  stored.create_revision = revision;
  auto it = items_.find(item.key);
  if (it != items_.end()) {
    stored.create_revision = it->second.create_revision;
    EraseLocked(it);
  }
  if (stored.expires.has_value()) expiry_index_.insert({*stored.expires, stored.key});
  items_.emplace(stored.key, std::move(stored));
  return revision;
}

absl::StatusOr<Item> MemoryBackend::Get(absl::string_view key) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "get", key));
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock l(&mu_);
  auto it = FindLive(key, now);
  if (it == items_.end()) return NotFound("get", key);
  return it->second;
}

absl::StatusOr<int64_t> MemoryBackend::Put(const Item& item) {
  const absl::Time now = clock_->Now();
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "put", item, now));
  absl::MutexLock l(&mu_);
  PurgeLocked(now);
  return WriteLocked(item);
}

absl::StatusOr<int64_t> MemoryBackend::Create(const Item& item) {
  const absl::Time now = clock_->Now();
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "create", item, now));
  absl::MutexLock l(&mu_);
  if (FindLive(item.key, now) != items_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat(internal::Context(kName, "create", item.key), "already exists"));
  }
  PurgeLocked(now);
  return WriteLocked(item);
}

absl::StatusOr<int64_t> MemoryBackend::CompareAndSwap(int64_t expected_revision,
                                                      const Item& item) {
  const absl::Time now = clock_->Now();
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "compare-and-swap", item, now));
  ENLIST_RETURN_IF_ERROR(internal::ValidateExpectedRevision(kName, "compare-and-swap", item.key,
                                                            expected_revision));
  absl::MutexLock l(&mu_);
  auto it = FindLive(item.key, now);
  if (it == items_.end()) return NotFound("compare-and-swap", item.key);
  if (it->second.revision != expected_revision) {
    return Mismatch("compare-and-swap", item.key, expected_revision, it->second.revision);
  }
  PurgeLocked(now);
  return WriteLocked(item);
}

absl::StatusOr<int64_t> MemoryBackend::Delete(absl::string_view key) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "delete", key));
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  if (FindLive(key, now) == items_.end()) return NotFound("delete", key);
  PurgeLocked(now);
  EraseLocked(items_.find(key));
  return ++revision_;
}

absl::StatusOr<int64_t> MemoryBackend::CompareAndDelete(absl::string_view key,
                                                        int64_t expected_revision) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "compare-and-delete", key));
  ENLIST_RETURN_IF_ERROR(
      internal::ValidateExpectedRevision(kName, "compare-and-delete", key, expected_revision));
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  auto it = FindLive(key, now);
  if (it == items_.end()) return NotFound("compare-and-delete", key);
  if (it->second.revision != expected_revision) {
    return Mismatch("compare-and-delete", key, expected_revision, it->second.revision);
  }
  PurgeLocked(now);
  EraseLocked(items_.find(key));
  return ++revision_;
}

absl::StatusOr<int64_t> MemoryBackend::DeleteRange(const KeyRange& range) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "delete range", range));
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  const int64_t purged = PurgeLocked(now);
  int64_t deleted = 0;
  auto it = items_.lower_bound(range.start);
  while (it != items_.end() && range.Contains(it->first)) {
    EraseLocked(it++);
    ++deleted;
  }
  if (deleted > 0 || purged > 0) ++revision_;
  return deleted;
}

absl::StatusOr<RangeResult> MemoryBackend::Range(const KeyRange& range,
                                                 const RangeOptions& options) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "range", range));
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock l(&mu_);
  RangeResult result;
  result.revision = revision_;
  auto add = [&](const Item& item) {
    if (!Visible(item, now)) return true;
    if (options.limit != 0 && result.items.size() == options.limit) {
      result.more = true;
      return false;
    }
    Item& out = result.items.emplace_back(item);
    if (options.keys_only) out.value.clear();
    return true;
  };
  auto first = items_.lower_bound(range.start);
  auto last = range.end.empty() ? items_.end() : items_.lower_bound(range.end);
  if (options.descending) {
    for (auto it = std::make_reverse_iterator(last); it != std::make_reverse_iterator(first);
         ++it) {
      if (!add(it->second)) break;
    }
  } else {
    for (auto it = first; it != last; ++it) {
      if (!add(it->second)) break;
    }
  }
  return result;
}

absl::StatusOr<int64_t> MemoryBackend::Count(const KeyRange& range) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "count", range));
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock l(&mu_);
  int64_t count = 0;
  for (auto it = items_.lower_bound(range.start); it != items_.end() && range.Contains(it->first);
       ++it) {
    if (Visible(it->second, now)) ++count;
  }
  return count;
}

absl::StatusOr<int64_t> MemoryBackend::CurrentRevision() const {
  absl::ReaderMutexLock l(&mu_);
  return revision_;
}

absl::StatusOr<int64_t> MemoryBackend::PurgeExpired() {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  const int64_t purged = PurgeLocked(now);
  if (purged > 0) ++revision_;
  return purged;
}

}  // namespace enlist::storage
