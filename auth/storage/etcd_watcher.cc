#include "auth/storage/etcd_watcher.h"

#include "absl/time/clock.h"

namespace enlist::storage {

EtcdWatcher::EtcdWatcher(EtcdClient* client, std::string etcd_key, std::string etcd_end,
                         std::string strip_prefix, int64_t after_revision, Callback on_event)
    : client_(client),
      key_(std::move(etcd_key)),
      end_(std::move(etcd_end)),
      strip_(std::move(strip_prefix)),
      on_event_(std::move(on_event)),
      revision_(after_revision) {
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

int64_t EtcdWatcher::revision() const {
  absl::MutexLock l(&mu_);
  return revision_;
}

void EtcdWatcher::Run() {
  absl::Duration backoff = client_->options().retry_backoff;
  for (;;) {
    RunStream();
    absl::MutexLock l(&mu_);
    watching_ = false;
    // Waits out the backoff, waking early on stop.
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), backoff);
    if (stopping_) return;
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

void EtcdWatcher::RunStream() {
  grpc::ClientContext ctx;
  EtcdClient::PrepareStreamContext(&ctx);
  int64_t start;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    active_ = &ctx;
    start = revision_;
  }
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
      if (resp.created()) {
        absl::MutexLock l(&mu_);
        watching_ = true;
        if (revision_ == 0) revision_ = resp.header().revision();
      }
      if (resp.compact_revision() > 0) {
        // Missed changes: tell the owner to drop everything, restart from now.
        WatchEvent reset;
        reset.type = WatchEvent::Type::kReset;
        on_event_(reset);
        absl::MutexLock l(&mu_);
        revision_ = 0;
        break;
      }
      if (resp.canceled()) break;
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
  stream->WritesDone();
  ctx.TryCancel();
  stream->Finish().IgnoreError();
  absl::MutexLock l(&mu_);
  active_ = nullptr;
}

}  // namespace enlist::storage
