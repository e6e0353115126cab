#include "auth/storage/etcd_backend.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

constexpr absl::string_view kName = "etcd";
constexpr int64_t kLeaseSecondsMask = (int64_t{1} << 48) - 1;

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

// How often Delete reads the key again when a writer moved it on between
// its read and its guarded delete.
constexpr int kMaxDeleteRaces = 8;

// A guarded write failed its guard after an earlier attempt of it ended
// without an answer: that attempt may have applied it, or another writer
// got there first.
absl::Status OutcomeUnknown(absl::string_view op, absl::string_view key) {
  return absl::UnavailableError(absl::StrCat(
      internal::Context(kName, op, key),
      "outcome unknown: an attempt timed out on a member and the repeat found the key changed"));
}

absl::Status NotFound(absl::string_view op, absl::string_view key) {
  return absl::NotFoundError(absl::StrCat(internal::Context(kName, op, key), "not found"));
}

// etcd's revision 1 is the empty store's; no write ever has it.
int64_t ReportedRevision(int64_t etcd_revision) { return etcd_revision <= 1 ? 0 : etcd_revision; }

absl::Status ValidatePrefix(const std::string& prefix) {
  if (prefix.empty()) return absl::OkStatus();
  if (prefix[0] != '/' || prefix.back() == '/' || prefix.find('\0') != std::string::npos ||
      prefix.size() > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage: etcd: prefix \"", prefix,
        "\" must start with '/', not end with '/', and be at most 256 bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

EtcdBackend::EtcdBackend(EtcdOptions options, std::unique_ptr<EtcdClient> client)
    : options_(std::move(options)),
      prefix_(options_.prefix),
      clock_(options_.clock != nullptr ? options_.clock : &RealClock::Get()),
      client_(std::move(client)) {}

absl::StatusOr<std::unique_ptr<EtcdBackend>> EtcdBackend::Open(EtcdOptions options) {
  ENLIST_RETURN_IF_ERROR(ValidatePrefix(options.prefix));
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(options.client);
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("storage: ", client.status().message()));
  }
  auto backend =
      std::unique_ptr<EtcdBackend>(new EtcdBackend(std::move(options), *std::move(client)));
  if (backend->options_.check_on_open) {
    absl::StatusOr<int64_t> rev = backend->CurrentRevision();
    if (!rev.ok()) return rev.status();
  }
  return backend;
}

std::string EtcdBackend::Describe() const {
  return absl::StrCat("etcd:", absl::StrJoin(options_.client.endpoints, ","), prefix_);
}

absl::Status EtcdBackend::Failed(absl::string_view op, absl::string_view key,
                                 const absl::Status& s) const {
  return absl::Status(s.code(), absl::StrCat(internal::Context(kName, op, key), s.message()));
}

Item EtcdBackend::FromKv(const mvccpb::KeyValue& kv) const {
  Item item;
  item.key = kv.key().substr(std::min(prefix_.size(), kv.key().size()));
  item.value = kv.value();
  item.revision = kv.mod_revision();
  item.create_revision = kv.create_revision();
  if (kv.lease() != 0 && (kv.lease() & ~kLeaseSecondsMask) == kLeaseTag) {
    item.expires = absl::FromUnixSeconds(kv.lease() & kLeaseSecondsMask);
  }
  return item;
}

void EtcdBackend::EtcdRange(const KeyRange& range, std::string* key, std::string* end) const {
  *key = EtcdKey(range.start);
  if (!range.end.empty()) {
    *end = EtcdKey(range.end);
  } else if (prefix_.empty()) {
    *end = std::string(1, '\0');  // etcd: every key >= key
  } else {
    *end = PrefixEnd(prefix_ + "/");
  }
}

etcdserverpb::PutRequest EtcdBackend::PutRequestFor(const Item& item, int64_t lease) const {
  etcdserverpb::PutRequest put;
  put.set_key(EtcdKey(item.key));
  put.set_value(item.value);
  put.set_lease(lease);
  return put;
}

absl::StatusOr<int64_t> EtcdBackend::LeaseFor(absl::string_view op, const Item& item) {
  if (!item.expires.has_value()) return 0;
  // Bucket by second, rounded up: an item never disappears early.
  const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(*item.expires - absl::UnixEpoch(),
                                                          absl::Seconds(1)));
  const int64_t id = kLeaseTag | (seconds & kLeaseSecondsMask);
  const int64_t ttl =
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(absl::FromUnixSeconds(seconds) -
                                                               clock_->Now(),
                                                           absl::Seconds(1))));
  etcdserverpb::LeaseGrantRequest req;
  req.set_id(id);
  req.set_ttl(ttl);
  etcdserverpb::LeaseGrantResponse resp;
  absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                 [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                   return c.lease->LeaseGrant(&ctx, req, &resp);
                                 });
  // Another item (or server) already made this second's lease.
  if (!s.ok() && !(s.code() == absl::StatusCode::kFailedPrecondition &&
                   absl::StrContains(s.message(), "lease already exists"))) {
    return Failed(op, item.key, absl::Status(s.code(), absl::StrCat("granting lease: ", s.message())));
  }
  return id;
}

absl::StatusOr<int64_t> EtcdBackend::WriteWithLease(
    absl::string_view op, const Item& item,
    const std::function<absl::StatusOr<int64_t>(int64_t lease)>& write) {
  for (int attempt = 0;; ++attempt) {
    ENLIST_ASSIGN_OR_RETURN(int64_t lease, LeaseFor(op, item));
    absl::StatusOr<int64_t> r = write(lease);
    // The shared lease expired between grant and write: grant it again.
    if (lease != 0 && attempt == 0 && absl::IsNotFound(r.status()) &&
        absl::StrContains(r.status().message(), "lease not found")) {
      continue;
    }
    return r;
  }
}

absl::StatusOr<Item> EtcdBackend::Get(absl::string_view key) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "get", key));
  RangeRequest req;
  req.set_key(EtcdKey(key));
  etcdserverpb::RangeResponse resp;
  absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                 [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                   return c.kv->Range(&ctx, req, &resp);
                                 });
  if (!s.ok()) return Failed("get", key, s);
  if (resp.kvs_size() == 0) return NotFound("get", key);
  return FromKv(resp.kvs(0));
}

absl::StatusOr<int64_t> EtcdBackend::Put(const Item& item) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "put", item, clock_->Now()));
  return WriteWithLease("put", item, [&](int64_t lease) -> absl::StatusOr<int64_t> {
    etcdserverpb::PutRequest req = PutRequestFor(item, lease);
    etcdserverpb::PutResponse resp;
    absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                   [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                     return c.kv->Put(&ctx, req, &resp);
                                   });
    if (!s.ok()) return Failed("put", item.key, s);
    return resp.header().revision();
  });
}

absl::StatusOr<int64_t> EtcdBackend::Create(const Item& item) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "create", item, clock_->Now()));
  return WriteWithLease("create", item, [&](int64_t lease) -> absl::StatusOr<int64_t> {
    TxnRequest req;
    Compare* cmp = req.add_compare();
    cmp->set_key(EtcdKey(item.key));
    cmp->set_target(Compare::CREATE);
    cmp->set_result(Compare::EQUAL);
    cmp->set_create_revision(0);
    *req.add_success()->mutable_request_put() = PutRequestFor(item, lease);
    TxnResponse resp;
    bool maybe_applied = false;
    absl::Status s = client_->Call(
        EtcdCallKind::kGuarded,
        [&](EtcdConnection& c, grpc::ClientContext& ctx) { return c.kv->Txn(&ctx, req, &resp); },
        0, &maybe_applied);
    if (!s.ok()) return Failed("create", item.key, s);
    if (!resp.succeeded() && maybe_applied) return OutcomeUnknown("create", item.key);
    if (!resp.succeeded()) {
      return absl::AlreadyExistsError(
          absl::StrCat(internal::Context(kName, "create", item.key), "already exists"));
    }
    return resp.header().revision();
  });
}

namespace {

// A Txn guarded by mod_revision(key) == expected whose failure branch reads
// the key, so a failure says whether the key is missing or moved on.
TxnRequest GuardedTxn(const std::string& etcd_key, int64_t expected) {
  TxnRequest req;
  Compare* cmp = req.add_compare();
  cmp->set_key(etcd_key);
  cmp->set_target(Compare::MOD);
  cmp->set_result(Compare::EQUAL);
  cmp->set_mod_revision(expected);
  RangeRequest* read = req.add_failure()->mutable_request_range();
  read->set_key(etcd_key);
  read->set_keys_only(true);
  return req;
}

absl::Status GuardFailed(absl::string_view op, absl::string_view key, int64_t expected,
                         const TxnResponse& resp) {
  if (resp.responses_size() == 0 || resp.responses(0).response_range().kvs_size() == 0) {
    return NotFound(op, key);
  }
  return absl::AbortedError(absl::StrCat(
      internal::Context(kName, op, key), "revision mismatch: expected ", expected, ", found ",
      resp.responses(0).response_range().kvs(0).mod_revision()));
}

}  // namespace

absl::StatusOr<int64_t> EtcdBackend::CompareAndSwap(int64_t expected_revision, const Item& item) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateItem(kName, "compare-and-swap", item, clock_->Now()));
  ENLIST_RETURN_IF_ERROR(internal::ValidateExpectedRevision(kName, "compare-and-swap", item.key,
                                                            expected_revision));
  return WriteWithLease("compare-and-swap", item, [&](int64_t lease) -> absl::StatusOr<int64_t> {
    TxnRequest req = GuardedTxn(EtcdKey(item.key), expected_revision);
    *req.add_success()->mutable_request_put() = PutRequestFor(item, lease);
    TxnResponse resp;
    bool maybe_applied = false;
    absl::Status s = client_->Call(
        EtcdCallKind::kGuarded,
        [&](EtcdConnection& c, grpc::ClientContext& ctx) { return c.kv->Txn(&ctx, req, &resp); },
        0, &maybe_applied);
    if (!s.ok()) return Failed("compare-and-swap", item.key, s);
    if (!resp.succeeded() && maybe_applied) return OutcomeUnknown("compare-and-swap", item.key);
    if (!resp.succeeded()) return GuardFailed("compare-and-swap", item.key, expected_revision, resp);
    return resp.header().revision();
  });
}

absl::StatusOr<int64_t> EtcdBackend::Delete(absl::string_view key) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "delete", key));
  // A blind DeleteRange cannot go to another member after an ambiguous
  // failure (a repeat that finds nothing would say "not found"); a delete
  // guarded by the revision just read can. A writer racing in between moves
  // the revision on: read again.
  for (int race = 0; race < kMaxDeleteRaces; ++race) {
    RangeRequest read;
    read.set_key(EtcdKey(key));
    read.set_keys_only(true);
    etcdserverpb::RangeResponse current;
    absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                   [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                     return c.kv->Range(&ctx, read, &current);
                                   });
    if (!s.ok()) return Failed("delete", key, s);
    if (current.kvs_size() == 0) return NotFound("delete", key);
    absl::StatusOr<int64_t> deleted = GuardedDelete("delete", key, current.kvs(0).mod_revision());
    if (!absl::IsAborted(deleted.status())) return deleted;
  }
  return absl::AbortedError(absl::StrCat(internal::Context(kName, "delete", key),
                                         "changed concurrently ", kMaxDeleteRaces, " times"));
}

absl::StatusOr<int64_t> EtcdBackend::CompareAndDelete(absl::string_view key,
                                                      int64_t expected_revision) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "compare-and-delete", key));
  ENLIST_RETURN_IF_ERROR(
      internal::ValidateExpectedRevision(kName, "compare-and-delete", key, expected_revision));
  return GuardedDelete("compare-and-delete", key, expected_revision);
}

absl::StatusOr<int64_t> EtcdBackend::GuardedDelete(absl::string_view op, absl::string_view key,
                                                   int64_t expected_revision) {
  TxnRequest req = GuardedTxn(EtcdKey(key), expected_revision);
  req.add_success()->mutable_request_delete_range()->set_key(EtcdKey(key));
  TxnResponse resp;
  bool maybe_applied = false;
  absl::Status s = client_->Call(
      EtcdCallKind::kGuarded,
      [&](EtcdConnection& c, grpc::ClientContext& ctx) { return c.kv->Txn(&ctx, req, &resp); },
      0, &maybe_applied);
  if (!s.ok()) return Failed(op, key, s);
  if (!resp.succeeded() && maybe_applied) return OutcomeUnknown(op, key);
  if (!resp.succeeded()) return GuardFailed(op, key, expected_revision, resp);
  return resp.header().revision();
}

absl::StatusOr<int64_t> EtcdBackend::DeleteRange(const KeyRange& range) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "delete range", range));
  etcdserverpb::DeleteRangeRequest req;
  EtcdRange(range, req.mutable_key(), req.mutable_range_end());
  etcdserverpb::DeleteRangeResponse resp;
  absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                 [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                   return c.kv->DeleteRange(&ctx, req, &resp);
                                 });
  if (!s.ok()) return Failed("delete range", range.start, s);
  return resp.deleted();
}

absl::StatusOr<RangeResult> EtcdBackend::Range(const KeyRange& range,
                                               const RangeOptions& options) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "range", range));
  RangeRequest req;
  EtcdRange(range, req.mutable_key(), req.mutable_range_end());
  req.set_limit(static_cast<int64_t>(options.limit));
  req.set_keys_only(options.keys_only);
  if (options.descending) {
    req.set_sort_order(RangeRequest::DESCEND);
    req.set_sort_target(RangeRequest::KEY);
  }
  etcdserverpb::RangeResponse resp;
  absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                 [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                   return c.kv->Range(&ctx, req, &resp);
                                 });
  if (!s.ok()) return Failed("range", range.start, s);
  RangeResult result;
  result.revision = ReportedRevision(resp.header().revision());
  result.more = resp.more();
  result.items.reserve(resp.kvs_size());
  for (const mvccpb::KeyValue& kv : resp.kvs()) result.items.push_back(FromKv(kv));
  return result;
}

absl::StatusOr<int64_t> EtcdBackend::Count(const KeyRange& range) const {
  ENLIST_RETURN_IF_ERROR(internal::ValidateRange(kName, "count", range));
  RangeRequest req;
  EtcdRange(range, req.mutable_key(), req.mutable_range_end());
  req.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                 [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                   return c.kv->Range(&ctx, req, &resp);
                                 });
  if (!s.ok()) return Failed("count", range.start, s);
  return resp.count();
}

absl::StatusOr<int64_t> EtcdBackend::CurrentRevision() const {
  RangeRequest req;
  req.set_key(prefix_ + "/");
  req.set_count_only(true);
  etcdserverpb::RangeResponse resp;
  absl::Status s = client_->Call(EtcdCallKind::kIdempotent,
                                 [&](EtcdConnection& c, grpc::ClientContext& ctx) {
                                   return c.kv->Range(&ctx, req, &resp);
                                 });
  if (!s.ok()) return Failed("current revision", "/", s);
  return ReportedRevision(resp.header().revision());
}

absl::StatusOr<int64_t> EtcdBackend::PurgeExpired() { return 0; }

absl::StatusOr<std::unique_ptr<EtcdWatcher>> EtcdBackend::Watch(absl::string_view key_prefix,
                                                                int64_t after_revision,
                                                                EtcdWatcher::Callback on_event) {
  ENLIST_RETURN_IF_ERROR(internal::ValidateKey(kName, "watch", key_prefix));
  if (after_revision < 0 && after_revision != kWatchSnapshot) {
    return absl::InvalidArgumentError(absl::StrCat(internal::Context(kName, "watch", key_prefix),
                                                   "negative revision ", after_revision));
  }
  std::string key = EtcdKey(key_prefix);
  std::string end = PrefixEnd(key);
  return std::make_unique<EtcdWatcher>(client_.get(), std::move(key), std::move(end), prefix_,
                                       after_revision, std::move(on_event));
}

}  // namespace enlist::storage

namespace enlist::storage {

WatchFactory EtcdBackend::SnapshotWatchFactory() {
  return [this](absl::string_view key_prefix,
                WatchCallback on_event) -> absl::StatusOr<std::unique_ptr<storage::Watch>> {
    ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<EtcdWatcher> w,
                            Watch(key_prefix, kWatchSnapshot, std::move(on_event)));
    return std::unique_ptr<storage::Watch>(std::move(w));
  };
}

}  // namespace enlist::storage
