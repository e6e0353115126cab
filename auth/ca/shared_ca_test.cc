#include "auth/ca/shared_ca.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/memory_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using storage::MakeTestDir;

TEST(SharedCaTest, EncodeDecodeRoundTrips) {
  auto files = GenerateClusterCaFiles("c", RealClock::Get());
  ASSERT_TRUE(files.ok()) << files.status();
  auto back = DecodeSharedCa(EncodeSharedCa(*files));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tls_cert_pem, files->tls_cert_pem);
  EXPECT_EQ(back->tls_key_pem, files->tls_key_pem);
  EXPECT_EQ(back->ssh_key_pem, files->ssh_key_pem);
  ENLIST_EXPECT_STATUS(DecodeSharedCa("junk").status(), absl::StatusCode::kDataLoss,
                       "ca: shared CA in storage is unreadable: unknown format");
  ENLIST_EXPECT_STATUS(
      DecodeSharedCa("enlist-cluster-ca v1\n-----BEGIN X-----\nAA\n-----END X-----\n").status(),
      absl::StatusCode::kDataLoss, "1 PEM blocks (expected 3)");
}

TEST(SharedCaTest, ServersStartingTogetherAgreeOnOneCa) {
  storage::MemoryBackend backend;
  constexpr int kServers = 6;
  std::vector<std::string> dirs;
  for (int i = 0; i < kServers; ++i) dirs.push_back(MakeTestDir("shared_ca"));
  std::atomic<int> created{0}, adopted{0};
  absl::Barrier* barrier = new absl::Barrier(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      if (barrier->Block()) delete barrier;
      auto origin = SyncSharedCa(backend, dirs[i], "c", RealClock::Get());
      ASSERT_TRUE(origin.ok()) << origin.status();
      if (*origin == SharedCaOrigin::kCreated) created++;
      if (*origin == SharedCaOrigin::kAdopted) adopted++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(adopted.load(), kServers - 1);
  std::string pin;
  for (const std::string& dir : dirs) {
    auto ca = ClusterCa::LoadOrCreate(dir, "c", RealClock::Get());
    ASSERT_TRUE(ca.ok()) << ca.status();
    EXPECT_FALSE((*ca)->created());
    if (pin.empty()) pin = (*ca)->pin();
    EXPECT_EQ((*ca)->pin(), pin);
  }
  // A restart finds everything in sync.
  auto again = SyncSharedCa(backend, dirs[0], "c", RealClock::Get());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, SharedCaOrigin::kInSync);
}

TEST(SharedCaTest, ExistingLocalCaIsOfferedAndADifferentOneRefused) {
  storage::MemoryBackend backend;
  const std::string single = MakeTestDir("shared_ca");
  auto old = ClusterCa::LoadOrCreate(single, "c", RealClock::Get());
  ASSERT_TRUE(old.ok());
  auto offered = SyncSharedCa(backend, single, "c", RealClock::Get());
  ASSERT_TRUE(offered.ok()) << offered.status();
  EXPECT_EQ(*offered, SharedCaOrigin::kOffered);

  const std::string other = MakeTestDir("shared_ca");
  ASSERT_TRUE(ClusterCa::LoadOrCreate(other, "c", RealClock::Get()).ok());
  ENLIST_EXPECT_STATUS(SyncSharedCa(backend, other, "c", RealClock::Get()).status(),
                       absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("but the cluster's shared CA is ", (*old)->pin()));
}


// A storage::Watch the test drives: it keeps the callback and says
// "watching" when told to.
class FakeWatch final : public storage::Watch {
 public:
  explicit FakeWatch(std::atomic<bool>* watching) : watching_(watching) {}
  bool watching() const override { return watching_->load(); }
  bool WaitUntilWatching(absl::Duration) override { return watching_->load(); }

 private:
  std::atomic<bool>* watching_;
};

class SharedCaMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ours = GenerateClusterCaFiles("c", RealClock::Get());
    auto theirs = GenerateClusterCaFiles("c", RealClock::Get());
    ASSERT_TRUE(ours.ok() && theirs.ok());
    ours_ = *ours;
    theirs_ = *theirs;
    monitor_ = std::make_unique<SharedCaMonitor>(&backend_, ours_);
    ASSERT_TRUE(monitor_
                    ->Start([this](absl::string_view prefix, storage::WatchCallback cb)
                                -> absl::StatusOr<std::unique_ptr<storage::Watch>> {
                      prefix_ = std::string(prefix);
                      emit_ = std::move(cb);
                      return std::make_unique<FakeWatch>(&watching_);
                    })
                    .ok());
  }

  void Emit(storage::WatchEvent::Type type, const std::string& key, const std::string& value) {
    storage::WatchEvent e;
    e.type = type;
    e.item.key = key;
    e.item.value = value;
    emit_(e);
  }
  void Snapshot(const std::string* value) {
    Emit(storage::WatchEvent::Type::kReset, "", "");
    if (value != nullptr) Emit(storage::WatchEvent::Type::kPut, kSharedCaKey, *value);
    watching_ = true;
  }
  static std::string PinOf(const ClusterCaFiles& f) {
    auto certs = crypto::ParseCertificatesPem(f.tls_cert_pem);
    return *CaPin(*(*certs)[0]);
  }

  storage::MemoryBackend backend_;
  ClusterCaFiles ours_, theirs_;
  std::atomic<bool> watching_{false};
  std::string prefix_;
  storage::WatchCallback emit_;
  std::unique_ptr<SharedCaMonitor> monitor_;
};

TEST_F(SharedCaMonitorTest, AnswersFromTheWatchWhileItIsEstablished) {
  EXPECT_EQ(prefix_, kSharedCaKey);
  const std::string ours = EncodeSharedCa(ours_);
  Snapshot(&ours);
  EXPECT_TRUE(monitor_->Check().ok());
  // Storage (empty) is not read while watching.
  Emit(storage::WatchEvent::Type::kPut, "/ca/cluster-other", "junk");
  EXPECT_TRUE(monitor_->Check().ok());

  struct Case {
    const char* name;
    storage::WatchEvent::Type type;
    std::string value;
    std::string substr;
  };
  const Case cases[] = {
      {"replaced", storage::WatchEvent::Type::kPut, EncodeSharedCa(theirs_),
       absl::StrCat("ca: the cluster CA in storage (/ca/cluster) is ", PinOf(theirs_), ", not ",
                    PinOf(ours_), " this server issues from; refusing joins until the server is "
                    "restarted")},
      {"deleted", storage::WatchEvent::Type::kDelete, "",
       absl::StrCat("ca: the cluster CA ", PinOf(ours_),
                    " this server issues from is no longer in storage (/ca/cluster was deleted)")},
      {"garbage", storage::WatchEvent::Type::kPut, "junk",
       "ca: the cluster CA in storage (/ca/cluster) is unreadable: ca: shared CA in storage is "
       "unreadable: unknown format; refusing joins"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Emit(c.type, kSharedCaKey, c.value);
    ENLIST_EXPECT_STATUS(monitor_->Check(), absl::StatusCode::kFailedPrecondition, c.substr);
    // Put back: accepted again.
    Emit(storage::WatchEvent::Type::kPut, kSharedCaKey, ours);
    EXPECT_TRUE(monitor_->Check().ok());
  }
  // A reset forgets the value until the snapshot brings it back.
  Emit(storage::WatchEvent::Type::kReset, "", "");
  ENLIST_EXPECT_STATUS(monitor_->Check(), absl::StatusCode::kFailedPrecondition,
                       "is no longer in storage");
}

TEST_F(SharedCaMonitorTest, ReadsStorageWhenTheWatchIsDown) {
  const std::string ours = EncodeSharedCa(ours_);
  Snapshot(&ours);
  ASSERT_TRUE(monitor_->Check().ok());
  watching_ = false;
  // The watch last said "ours", but storage is empty: storage wins.
  ENLIST_EXPECT_STATUS(monitor_->Check(), absl::StatusCode::kFailedPrecondition,
                       "is no longer in storage");
  storage::Item item;
  item.key = kSharedCaKey;
  item.value = EncodeSharedCa(theirs_);
  ASSERT_TRUE(backend_.Put(item).ok());
  ENLIST_EXPECT_STATUS(monitor_->Check(), absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("is ", PinOf(theirs_), ", not ", PinOf(ours_)));
  item.value = ours;
  ASSERT_TRUE(backend_.Put(item).ok());
  EXPECT_TRUE(monitor_->Check().ok());
}

}  // namespace
}  // namespace enlist::ca
