#include "core/crypto/chain_cache.h"

#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "core/crypto/testing/test_pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::crypto::testing;

const absl::Time kNow = absl::FromUnixSeconds(1735689600);  // 2025-01-01

struct Fixture {
  t::TestPki pki = t::MakeTestPki(/*ec=*/true);
  std::shared_ptr<const TrustStore> roots;
  std::vector<X509Ptr> intermediates;
  Fixture() {
    roots = *TrustStore::FromPem(t::CertPem(pki.root.get()));
    X509_up_ref(pki.intermediate.get());
    intermediates.emplace_back(pki.intermediate.get());
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

TEST(ChainCacheTest, MissThenHit) {
  ChainCache cache;
  auto a = cache.Verify(*F().pki.leaf, F().intermediates, *F().roots, kNow);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  // A hit needs no intermediates: the path was proven already.
  auto b = cache.Verify(*F().pki.leaf, {}, *F().roots, kNow + absl::Hours(1));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(b->certificates.size(), 3u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ChainCacheTest, FailuresAreNotCached) {
  ChainCache cache;
  auto a = cache.Verify(*F().pki.leaf, {}, *F().roots, kNow);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("unable to get local issuer"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ChainCacheTest, OutsideValidityWindowIsAMissAndReverifies) {
  ChainCache cache;
  ASSERT_TRUE(cache.Verify(*F().pki.leaf, F().intermediates, *F().roots, kNow).ok());
  // After every certificate's notAfter (2030-03-17): cache must not answer.
  const absl::Time later = absl::FromUnixSeconds(1900000001);
  auto st = cache.Verify(*F().pki.leaf, F().intermediates, *F().roots, later);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(st.status().message()), HasSubstr("certificate has expired"));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ChainCacheTest, MaxAgeBoundsReuse) {
  ChainCache::Options o;
  o.max_age = absl::Hours(1);
  ChainCache cache(o);
  auto fp = CertificateFingerprint(*F().pki.leaf);
  ASSERT_TRUE(fp.ok());
  ASSERT_TRUE(cache.Verify(*F().pki.leaf, F().intermediates, *F().roots, kNow).ok());
  EXPECT_TRUE(cache.Lookup(*fp, *F().roots, kNow + absl::Minutes(59)).has_value());
  EXPECT_FALSE(cache.Lookup(*fp, *F().roots, kNow + absl::Minutes(61)).has_value());
}

TEST(ChainCacheTest, KeyedByTrustStore) {
  ChainCache cache;
  ASSERT_TRUE(cache.Verify(*F().pki.leaf, F().intermediates, *F().roots, kNow).ok());
  t::TestPki other = t::MakeTestPki(/*ec=*/true);
  auto other_roots = *TrustStore::FromPem(t::CertPem(other.root.get()));
  auto st = cache.Verify(*F().pki.leaf, F().intermediates, *other_roots, kNow);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(ChainCacheTest, LruEviction) {
  ChainCache::Options o;
  o.capacity = 2;
  ChainCache cache(o);
  VerifiedChain chain;
  chain.valid_from = absl::InfinitePast();
  chain.valid_until = absl::InfiniteFuture();
  Sha256Digest a{}, b{}, c{};
  a[0] = 1;
  b[0] = 2;
  c[0] = 3;
  cache.Insert(a, *F().roots, kNow, chain);
  cache.Insert(b, *F().roots, kNow, chain);
  EXPECT_TRUE(cache.Lookup(a, *F().roots, kNow).has_value());  // a is now most recent
  cache.Insert(c, *F().roots, kNow, chain);                    // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Lookup(b, *F().roots, kNow).has_value());
  EXPECT_TRUE(cache.Lookup(a, *F().roots, kNow).has_value());
  EXPECT_TRUE(cache.Lookup(c, *F().roots, kNow).has_value());
}

TEST(ChainCacheTest, ConcurrentUse) {
  ChainCache cache;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&cache] {
      for (int j = 0; j < 20; ++j) {
        auto r = cache.Verify(*F().pki.leaf, F().intermediates, *F().roots, kNow);
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache.hits() + cache.misses(), 80u);
  EXPECT_GE(cache.hits(), 76u);
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace enlist::crypto
