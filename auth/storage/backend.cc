#include "auth/storage/backend.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace enlist::storage {

KeyRange KeyRange::Prefix(absl::string_view prefix) {
  return KeyRange{std::string(prefix), PrefixEnd(prefix)};
}

KeyRange KeyRange::Between(absl::string_view start, absl::string_view end) {
  return KeyRange{std::string(start), std::string(end)};
}

bool KeyRange::Contains(absl::string_view key) const {
  return key >= start && (end.empty() || key < end);
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // no upper bound
}

std::string NextKey(absl::string_view key) {
  std::string next(key);
  next.push_back('\0');
  return next;
}

namespace {
thread_local bool deferred_durability = false;
}  // namespace

DeferredDurability::DeferredDurability() : previous_(deferred_durability) {
  deferred_durability = true;
}

DeferredDurability::~DeferredDurability() { deferred_durability = previous_; }

bool DeferredDurability::Active() { return deferred_durability; }

namespace internal {

std::string KeyForMessage(absl::string_view key) {
  constexpr size_t kMaxShown = 128;
  if (key.size() > kMaxShown) {
    return absl::StrCat(absl::CHexEscape(key.substr(0, kMaxShown)), "...");
  }
  return absl::CHexEscape(key);
}

std::string Context(absl::string_view backend, absl::string_view op, absl::string_view key) {
  if (key.empty()) return absl::StrCat("storage: ", backend, ": ", op, ": ");
  return absl::StrCat("storage: ", backend, ": ", op, " ", KeyForMessage(key), ": ");
}

absl::Status ValidateKey(absl::string_view backend, absl::string_view op, absl::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage: ", backend, ": ", op, ": key must not be empty"));
  }
  if (key.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(Context(backend, op, key), "key is ",
                                                   key.size(), " bytes (limit ", kMaxKeySize,
                                                   ")"));
  }
  if (key[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(Context(backend, op, key), "key must start with '/'"));
  }
  if (key.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(Context(backend, op, key), "key must not contain a NUL byte"));
  }
  return absl::OkStatus();
}

absl::Status ValidateItem(absl::string_view backend, absl::string_view op, const Item& item,
                          absl::Time now) {
  if (absl::Status s = ValidateKey(backend, op, item.key); !s.ok()) return s;
  if (item.value.size() > kMaxValueSize) {
    return absl::InvalidArgumentError(absl::StrCat(Context(backend, op, item.key), "value is ",
                                                   item.value.size(), " bytes (limit ",
                                                   kMaxValueSize, ")"));
  }
  if (item.expires.has_value() && *item.expires <= now) {
    return absl::InvalidArgumentError(absl::StrCat(
        Context(backend, op, item.key), "expiry ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *item.expires, absl::UTCTimeZone()),
        " is not in the future"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRange(absl::string_view backend, absl::string_view op,
                           const KeyRange& range) {
  // NextKey() of a maximal key is one byte longer than a key may be.
  if (range.start.size() > kMaxKeySize + 1 || range.end.size() > kMaxKeySize + 1) {
    return absl::InvalidArgumentError(absl::StrCat(Context(backend, op, range.start),
                                                   "range bound longer than ",
                                                   kMaxKeySize + 1, " bytes"));
  }
  if (!range.end.empty() && range.end <= range.start) {
    return absl::InvalidArgumentError(
        absl::StrCat(Context(backend, op, range.start), "range end ",
                     KeyForMessage(range.end), " is not after its start"));
  }
  return absl::OkStatus();
}

absl::Status ValidateExpectedRevision(absl::string_view backend, absl::string_view op,
                                      absl::string_view key, int64_t expected_revision) {
  if (expected_revision <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(Context(backend, op, key),
                                                   "expected revision ", expected_revision,
                                                   " is not positive"));
  }
  return absl::OkStatus();
}

}  // namespace internal

}  // namespace enlist::storage
