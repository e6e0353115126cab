#include "auth/ca/shared_ca.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/status_macros.h"

namespace enlist::ca {
namespace {

constexpr absl::string_view kHeader = "enlist-cluster-ca v1\n";

std::string Pin(const ClusterCaFiles& files) {
  auto certs = crypto::ParseCertificatesPem(files.tls_cert_pem);
  if (!certs.ok() || certs->empty()) return "?";
  absl::StatusOr<std::string> pin = CaPin(*(*certs)[0]);
  return pin.ok() ? *pin : "?";
}

bool Same(const ClusterCaFiles& a, const ClusterCaFiles& b) {
  return a.tls_cert_pem == b.tls_cert_pem && a.tls_key_pem == b.tls_key_pem &&
         a.ssh_key_pem == b.ssh_key_pem;
}

}  // namespace

std::string EncodeSharedCa(const ClusterCaFiles& files) {
  return absl::StrCat(kHeader, files.tls_cert_pem, files.tls_key_pem, files.ssh_key_pem);
}

absl::StatusOr<ClusterCaFiles> DecodeSharedCa(absl::string_view value) {
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("ca: shared CA in storage is unreadable: ", why));
  };
  if (!absl::ConsumePrefix(&value, kHeader)) return bad("unknown format");
  // Three PEM blocks: certificate, TLS key, SSH key.
  std::vector<std::string> blocks;
  while (!value.empty() && blocks.size() < 4) {
    size_t end = value.find("-----END ");
    if (end == absl::string_view::npos) return bad("truncated PEM block");
    size_t close = value.find("-----", end + 9);
    if (close == absl::string_view::npos) return bad("truncated PEM block");
    size_t stop = close + 5;
    if (stop < value.size() && value[stop] == '\n') ++stop;
    blocks.emplace_back(value.substr(0, stop));
    value.remove_prefix(stop);
  }
  if (blocks.size() != 3) return bad(absl::StrCat(blocks.size(), " PEM blocks (expected 3)"));
  ClusterCaFiles files{blocks[1], blocks[0], blocks[2]};
  if (!absl::StrContains(files.tls_cert_pem, "CERTIFICATE")) return bad("no certificate first");
  return files;
}

absl::StatusOr<SharedCaOrigin> SyncSharedCa(storage::Backend& backend, const std::string& data_dir,
                                            const std::string& cluster_name, const Clock& clock) {
  absl::StatusOr<ClusterCaFiles> local = ReadClusterCaFiles(data_dir);
  if (!local.ok() && !absl::IsNotFound(local.status())) return local.status();
  // Two rounds: a lost Create race is followed by adopting the winner.
  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<storage::Item> stored = backend.Get(kSharedCaKey);
    if (stored.ok()) {
      ENLIST_ASSIGN_OR_RETURN(ClusterCaFiles shared, DecodeSharedCa(stored->value));
      if (local.ok()) {
        if (Same(*local, shared)) return SharedCaOrigin::kInSync;
        return absl::FailedPreconditionError(absl::StrCat(
            "ca: ", data_dir, "/ca holds CA ", Pin(*local), " but the cluster's shared CA is ",
            Pin(shared), "; move the local CA away to adopt the cluster's (agents pinning ",
            Pin(*local), " must be re-pinned)"));
      }
      ENLIST_RETURN_IF_ERROR(WriteClusterCaFiles(data_dir, shared));
      return SharedCaOrigin::kAdopted;
    }
    if (!absl::IsNotFound(stored.status())) return stored.status();
    ClusterCaFiles offer;
    if (local.ok()) {
      offer = *local;
    } else {
      ENLIST_ASSIGN_OR_RETURN(offer, GenerateClusterCaFiles(cluster_name, clock));
    }
    storage::Item item;
    item.key = kSharedCaKey;
    item.value = EncodeSharedCa(offer);
    absl::StatusOr<int64_t> created = backend.Create(item);
    if (created.ok()) {
      if (local.ok()) return SharedCaOrigin::kOffered;
      ENLIST_RETURN_IF_ERROR(WriteClusterCaFiles(data_dir, offer));
      return SharedCaOrigin::kCreated;
    }
    if (!absl::IsAlreadyExists(created.status())) return created.status();
  }
  return absl::UnavailableError("ca: shared CA: lost the create race but cannot read the winner's");
}

SharedCaMonitor::SharedCaMonitor(storage::Backend* backend, const ClusterCaFiles& issuing)
    : backend_(backend), issuing_value_(EncodeSharedCa(issuing)), issuing_pin_(Pin(issuing)) {}

SharedCaMonitor::~SharedCaMonitor() { watch_.reset(); }

absl::Status SharedCaMonitor::Start(const storage::WatchFactory& watches) {
  ENLIST_ASSIGN_OR_RETURN(
      watch_, watches(kSharedCaKey, [this](const storage::WatchEvent& e) { OnEvent(e); }));
  return absl::OkStatus();
}

bool SharedCaMonitor::WaitUntilWatching(absl::Duration timeout) {
  return watch_ != nullptr && watch_->WaitUntilWatching(timeout);
}

void SharedCaMonitor::OnEvent(const storage::WatchEvent& e) {
  absl::MutexLock l(&mu_);
  switch (e.type) {
    case storage::WatchEvent::Type::kReset:
      // A snapshot follows; until it does the key counts as absent.
      present_ = false;
      value_.clear();
      return;
    case storage::WatchEvent::Type::kPut:
      // The watch is on a prefix: "/ca/cluster" also matches "/ca/clusterX".
      if (e.item.key != kSharedCaKey) return;
      present_ = true;
      value_ = e.item.value;
      return;
    case storage::WatchEvent::Type::kDelete:
      if (e.item.key != kSharedCaKey) return;
      present_ = false;
      value_.clear();
      return;
  }
}

absl::Status SharedCaMonitor::Verdict(const std::string* value) const {
  if (value == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ca: the cluster CA ", issuing_pin_, " this server issues from is no longer in storage (",
        kSharedCaKey,
        " was deleted); refusing joins until the server is restarted (it then stores its CA "
        "again)"));
  }
  if (*value == issuing_value_) return absl::OkStatus();
  absl::StatusOr<ClusterCaFiles> stored = DecodeSharedCa(*value);
  if (!stored.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("ca: the cluster CA in storage (",
                                                      kSharedCaKey, ") is unreadable: ",
                                                      stored.status().message(), "; refusing joins"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "ca: the cluster CA in storage (", kSharedCaKey, ") is ", Pin(*stored), ", not ",
      issuing_pin_, " this server issues from; refusing joins until the server is restarted"));
}

absl::Status SharedCaMonitor::Check() const {
  if (watch_ != nullptr && watch_->watching()) {
    absl::MutexLock l(&mu_);
    return Verdict(present_ ? &value_ : nullptr);
  }
  // No established watch: never trust the last thing it said.
  absl::StatusOr<storage::Item> item = backend_->Get(kSharedCaKey);
  if (absl::IsNotFound(item.status())) return Verdict(nullptr);
  if (!item.ok()) {
    return absl::Status(item.status().code(),
                        absl::StrCat("ca: checking the cluster CA in storage: ",
                                     item.status().message()));
  }
  return Verdict(&item->value);
}

}  // namespace enlist::ca
