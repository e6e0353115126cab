#include "auth/ca/shared_ca.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
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

}  // namespace
}  // namespace enlist::ca
