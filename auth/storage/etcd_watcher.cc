#include "auth/storage/etcd_watcher.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace enlist::storage {
namespace {

// Keys per snapshot page: bounded responses however large the range.
constexpr int64_t kSnapshotPage = 256;

}  // namespace

EtcdWatcher::EtcdWatcher(EtcdClient* client, std::string etcd_key, std::string etcd_end,
                         std::string strip_prefix, int64_t after_revision, Callback on_event)
    : client_(client),
      key_(std::move(etcd_key)),
      end_(std::move(etcd_end)),
      strip_(std::move(strip_prefix)),
      snapshot_(after_revision == kWatchSnapshot),
      on_event_(std::move(on_event)),
      revision_(std::max<int64_t>(after_revision, 0)) {
  thread_ = std::thread([this] { Run(); });
}

EtcdWatcher::~EtcdWatcher() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  thread_.join();
}

bool EtcdWatcher::WaitUntilWatching(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&watching_), timeout);
}

bool EtcdWatcher::watching() const {
  absl::MutexLock l(&mu_);
  return watching_;
}

int64_t EtcdWatcher::revision() const {
  absl::MutexLock l(&mu_);
  return revision_;
}

int64_t EtcdWatcher::connections() const {
  absl::MutexLock l(&mu_);
  return connections_;
}

bool EtcdWatcher::Stopping() const {
  absl::MutexLock l(&mu_);
  return stopping_;
}

void EtcdWatcher::Run() {
  const absl::Duration initial = client_->options().retry_backoff;
  absl::Duration backoff = initial;
  for (;;) {
    if (RunStream()) backoff = initial;
    absl::MutexLock l(&mu_);
    watching_ = false;
    // Waits out the backoff (jittered, so servers that lost the same member
    // do not reconnect in step), waking early on stop.
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), EtcdClient::Jittered(backoff));
    if (stopping_) return;
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

bool EtcdWatcher::DeliverSnapshot() {
  etcdserverpb::RangeRequest req;
  req.set_key(key_);
  req.set_range_end(end_);
  req.set_limit(kSnapshotPage);
  int64_t at = 0;
  bool reset_sent = false;
  for (;;) {
    if (Stopping()) return false;
    etcdserverpb::RangeResponse resp;
    // One attempt: this thread's loop retries, and stopping stays prompt.
    absl::Status s = client_->Call(
        EtcdCallKind::kIdempotent,
        [&](EtcdConnection& c, grpc::ClientContext& ctx) { return c.kv->Range(&ctx, req, &resp); },
        /*max_attempts=*/1);
    // "required revision has been compacted" between pages lands here too:
    // the next connection takes a new snapshot.
    if (!s.ok()) return false;
    if (at == 0) {
      at = resp.header().revision();
      // Later pages read the same revision: one consistent snapshot.
      req.set_revision(at);
    }
    if (!reset_sent) {
      WatchEvent reset;
      reset.type = WatchEvent::Type::kReset;
      on_event_(reset);
      reset_sent = true;
    }
    for (const mvccpb::KeyValue& kv : resp.kvs()) {
      WatchEvent ev;
      ev.type = WatchEvent::Type::kPut;
      ev.item.key = kv.key().substr(std::min(strip_.size(), kv.key().size()));
      ev.item.value = kv.value();
      ev.item.revision = kv.mod_revision();
      ev.item.create_revision = kv.create_revision();
      on_event_(ev);
    }
    if (!resp.more() || resp.kvs_size() == 0) break;
    // The next key after the last one.
    req.set_key(resp.kvs(resp.kvs_size() - 1).key() + std::string(1, '\0'));
  }
  absl::MutexLock l(&mu_);
  revision_ = at;
  return true;
}

bool EtcdWatcher::RunStream() {
  if (snapshot_ && !DeliverSnapshot()) return false;
  grpc::ClientContext ctx;
  EtcdClient::PrepareStreamContext(&ctx);
  int64_t start;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return false;
    active_ = &ctx;
    start = revision_;
  }
  bool established = false;
  EtcdConnection* conn = client_->NextForStream();
  auto stream = conn->watch->Watch(&ctx);
  etcdserverpb::WatchRequest req;
  etcdserverpb::WatchCreateRequest* create = req.mutable_create_request();
  create->set_key(key_);
  create->set_range_end(end_);
  if (start > 0) create->set_start_revision(start + 1);
  if (stream->Write(req)) {
    etcdserverpb::WatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.compact_revision() > 0) {
        // Changes were missed. Stop trusting what was delivered at once.
        {
          absl::MutexLock l(&mu_);
          watching_ = false;
          revision_ = 0;
        }
        // The snapshot mode's next connection starts with kReset itself.
        if (!snapshot_) {
          WatchEvent reset;
          reset.type = WatchEvent::Type::kReset;
          on_event_(reset);
        }
        break;
      }
      if (resp.canceled()) break;
      if (resp.created()) {
        established = true;
        absl::MutexLock l(&mu_);
        watching_ = true;
        ++connections_;
        if (revision_ == 0) revision_ = resp.header().revision();
      }
      for (const mvccpb::Event& e : resp.events()) {
        WatchEvent ev;
        ev.type = e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete
                                                    : WatchEvent::Type::kPut;
        const std::string& k = e.kv().key();
        ev.item.key = k.substr(std::min(strip_.size(), k.size()));
        ev.item.value = e.kv().value();
        ev.item.revision = e.kv().mod_revision();
        ev.item.create_revision = e.kv().create_revision();
        on_event_(ev);
        absl::MutexLock l(&mu_);
        revision_ = std::max(revision_, e.kv().mod_revision());
      }
    }
  }
  {
    // Not trusted from the moment the stream ended.
    absl::MutexLock l(&mu_);
    watching_ = false;
  }
  stream->WritesDone();
  ctx.TryCancel();
  stream->Finish().IgnoreError();
  absl::MutexLock l(&mu_);
  active_ = nullptr;
  return established;
}

}  // namespace enlist::storage
