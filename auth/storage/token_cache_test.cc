// CachedTokenStore against a real 3-member etcd: tokens written through one
// auth server's backend are served from another's cache once its watch
// delivers them; deletes too; while the watch is down reads go to etcd
// (and fail when it is unreachable) instead of serving the cache; a
// reconnection after compaction starts from a fresh snapshot. Also the
// GatedTokenStore in front of it.
#include "auth/storage/token_cache.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/etcd_backend.h"
#include "auth/storage/etcd_test_cluster.h"
#include "auth/storage/token_store.h"
#include "core/testing/subprocess.h"
#include "core/token/gated_token_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::storage {
namespace {

using ::testing::HasSubstr;

class TokenCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(token_method::RegisterTokenAuth(methods_).ok());
    EtcdTestClusterOptions o;
    o.dir = MakeTestDir("token-cache") + "/etcd";
    auto c = EtcdTestCluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
    // Server A writes through members 1 and 2; server B (the cache) talks
    // to member 0 only, so killing it takes B's watch down. Member 0 may be
    // the Raft leader: A's writes right after the kill then meet an election
    // (a write forwarded to the dead leader times out, "no leader" for a
    // while), which A rides out with the default retry budget.
    a_ = OpenBackend({cluster_->endpoints()[1], cluster_->endpoints()[2]},
                     EtcdClientOptions().max_attempts);
    b_ = OpenBackend({cluster_->endpoints()[0]}, 2);
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    a_tokens_ = std::make_unique<BackendTokenStore>(a_.get(), &methods_);
    b_tokens_ = std::make_unique<BackendTokenStore>(b_.get(), &methods_);
  }

  void StartCache() {
    cache_ = std::make_unique<CachedTokenStore>(b_tokens_.get());
    ASSERT_TRUE(cache_->Start(b_->SnapshotWatchFactory()).ok());
    ASSERT_TRUE(cache_->WaitUntilWatching(absl::Seconds(10)));
  }

  std::unique_ptr<EtcdBackend> OpenBackend(std::vector<std::string> endpoints, int max_attempts) {
    EtcdOptions o;
    o.client.endpoints = std::move(endpoints);
    o.client.dial_timeout = absl::Milliseconds(500);
    o.client.max_attempts = max_attempts;
    auto b = EtcdBackend::Open(o);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }

  token::TokenResource MakeToken(const std::string& name, const std::string& role = "node") {
    auto tokens = token::ParseTokens(
        absl::StrCat("kind: token\nversion: v2\nmetadata:\n  name: ", name,
                     "\nspec:\n  roles: [", role,
                     "]\n  join_method: token\n  token:\n    secret: correct-horse-battery-staple\n"),
        "test.yaml", methods_);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    return tokens.ok() ? (*tokens)[0] : token::TokenResource{};
  }

  bool Eventually(const std::function<bool()>& f) {
    return testing::WaitFor(f, absl::Seconds(10));
  }

  join::AuthRegistry methods_;
  std::unique_ptr<EtcdTestCluster> cluster_;
  std::unique_ptr<EtcdBackend> a_, b_;
  std::unique_ptr<BackendTokenStore> a_tokens_, b_tokens_;
  std::unique_ptr<CachedTokenStore> cache_;
};

TEST_F(TokenCacheTest, ChangesOnOneServerReachTheOthersCache) {
  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("before"), false).ok());
  StartCache();
  // The snapshot brought the existing token.
  EXPECT_TRUE(cache_->Cached("before"));

  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("boot"), false).ok());
  ASSERT_TRUE(Eventually([&] { return cache_->Cached("boot"); }));
  const TokenCacheStats before = cache_->stats();
  auto got = cache_->GetToken("boot");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.name, "boot");
  EXPECT_EQ(cache_->stats().hits, before.hits + 1);
  EXPECT_EQ(cache_->stats().misses, before.misses);
  EXPECT_EQ(cache_->stats().fallbacks, before.fallbacks);

  // Replaced on A: B serves the new version (and revision) after the watch.
  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("boot", "proxy"), true).ok());
  auto stored = a_tokens_->GetToken("boot");
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(Eventually([&] {
    auto t = cache_->GetToken("boot");
    return t.ok() && t->revision == stored->revision;
  }));
  EXPECT_EQ(cache_->GetToken("boot")->token.roles, std::vector<std::string>{"Proxy"});

  // Deleted on A: gone from B's cache, and B says not found.
  ASSERT_TRUE(a_tokens_->DeleteToken("boot").ok());
  ASSERT_TRUE(Eventually([&] { return !cache_->Cached("boot"); }));
  ENLIST_EXPECT_STATUS(cache_->GetToken("boot").status(), absl::StatusCode::kNotFound,
                       "token \"boot\" not found");
}

TEST_F(TokenCacheTest, UncachedNamesAreReadFromEtcd) {
  StartCache();
  // Whether or not the watch delivered it yet, a fresh token works at once.
  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("fresh"), false).ok());
  EXPECT_TRUE(cache_->GetToken("fresh").ok());
  const TokenCacheStats before = cache_->stats();
  ENLIST_EXPECT_STATUS(cache_->GetToken("never").status(), absl::StatusCode::kNotFound,
                       "token \"never\" not found");
  EXPECT_EQ(cache_->stats().misses, before.misses + 1);
  EXPECT_EQ(cache_->stats().hits, before.hits);
}

TEST_F(TokenCacheTest, SingleUseConsumptionGoesToEtcd) {
  StartCache();
  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("once"), false).ok());
  ASSERT_TRUE(Eventually([&] { return cache_->Cached("once"); }));
  auto t = cache_->GetToken("once");
  ASSERT_TRUE(t.ok());
  // A consumed it first; B's cached revision no longer deletes anything.
  ASSERT_TRUE(a_tokens_->DeleteTokenIfRevision("once", t->revision).ok());
  ENLIST_EXPECT_STATUS(cache_->DeleteTokenIfRevision("once", t->revision),
                       absl::StatusCode::kNotFound, "token \"once\" not found");
}

TEST_F(TokenCacheTest, WatchDownReadsEtcdThenASnapshotRestoresTheCache) {
  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("old"), false).ok());
  StartCache();
  ASSERT_TRUE(cache_->Cached("old"));
  const int64_t resets = cache_->stats().resets;

  // B's only member dies: the watch is down, the cached token is not served.
  cluster_->Kill(0);
  ASSERT_TRUE(Eventually([&] { return !cache_->watching(); }));
  absl::Status down = cache_->GetToken("old").status();
  ENLIST_EXPECT_STATUS(down, absl::StatusCode::kUnavailable, "tokens: get \"old\": storage: etcd");
  EXPECT_THAT(std::string(down.message()), HasSubstr(cluster_->endpoints()[0]));
  EXPECT_GE(cache_->stats().fallbacks, 1);

  // Meanwhile on A: "old" goes, "new" comes, and the history is compacted.
  ASSERT_TRUE(a_tokens_->DeleteToken("old").ok());
  ASSERT_TRUE(a_tokens_->PutToken(MakeToken("new"), false).ok());
  auto rev = a_->CurrentRevision();
  ASSERT_TRUE(rev.ok());
  ASSERT_TRUE(cluster_->Compact(*rev).ok());

  ASSERT_TRUE(cluster_->Restart(0).ok());
  ASSERT_TRUE(cache_->WaitUntilWatching(absl::Seconds(20)));
  EXPECT_GT(cache_->stats().resets, resets);
  EXPECT_FALSE(cache_->Cached("old"));
  EXPECT_TRUE(cache_->Cached("new"));
  ENLIST_EXPECT_STATUS(cache_->GetToken("old").status(), absl::StatusCode::kNotFound,
                       "token \"old\" not found");
  EXPECT_TRUE(cache_->GetToken("new").ok());
}

TEST_F(TokenCacheTest, GateRefusesReadsButNotAdministration) {
  StartCache();
  absl::Status gate = absl::OkStatus();
  token::GatedTokenStore gated(cache_.get(), [&] { return gate; });
  ASSERT_TRUE(gated.PutToken(MakeToken("g"), false).ok());
  EXPECT_TRUE(gated.GetToken("g").ok());
  gate = absl::FailedPreconditionError("ca: changed");
  ENLIST_EXPECT_STATUS(gated.GetToken("g").status(), absl::StatusCode::kFailedPrecondition,
                       "ca: changed");
  auto list = gated.ListTokens();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_TRUE(gated.DeleteToken("g").ok());
}

}  // namespace
}  // namespace enlist::storage
