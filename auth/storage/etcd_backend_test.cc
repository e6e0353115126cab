// The etcd backend against real etcd clusters: the Backend conformance
// suite (a fresh 3-member cluster per test location, because the suite
// expects a never-written backend at revision 0) and etcd-specific
// behaviour: leases, watches, failover when a member dies, option errors.
#include "auth/storage/etcd_backend.h"

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/storage/backend_conformance.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/etcd_test_cluster.h"
#include "core/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::storage {
namespace {

using ::testing::HasSubstr;

// The cluster of the current conformance test's location. Tests run one
// after another, so opening a new location stops the previous cluster.
struct ClusterSlot {
  absl::Mutex mu;
  std::string location;
  std::unique_ptr<EtcdTestCluster> cluster;
};

ClusterSlot& Slot() {
  static ClusterSlot* slot = new ClusterSlot();
  return *slot;
}

absl::StatusOr<std::unique_ptr<EtcdTestCluster>> StartCluster(const std::string& dir,
                                                              int members = 3) {
  EtcdTestClusterOptions o;
  o.members = members;
  o.dir = dir;
  return EtcdTestCluster::Start(o);
}

BackendFactory EtcdFactory() {
  BackendFactory f;
  f.name = "Etcd";
  // The same location is the same cluster and prefix: data and revisions
  // survive reopening, and two instances share state.
  f.persistent = true;
  f.clock_controls_expiry = false;
  f.open = [](const std::string& location,
              const Clock* clock) -> absl::StatusOr<std::unique_ptr<Backend>> {
    ClusterSlot& slot = Slot();
    absl::MutexLock l(&slot.mu);
    if (slot.location != location) {
      slot.cluster.reset();
      absl::StatusOr<std::unique_ptr<EtcdTestCluster>> c = StartCluster(location + "/etcd");
      if (!c.ok()) return c.status();
      slot.cluster = *std::move(c);
      slot.location = location;
    }
    EtcdOptions o;
    o.client.endpoints = slot.cluster->endpoints();
    o.clock = clock;
    absl::StatusOr<std::unique_ptr<EtcdBackend>> b = EtcdBackend::Open(o);
    if (!b.ok()) return b.status();
    return std::unique_ptr<Backend>(*std::move(b));
  };
  return f;
}

INSTANTIATE_TEST_SUITE_P(Etcd, BackendConformanceTest, ::testing::Values(EtcdFactory()),
                         BackendFactoryName);

// etcd-specific tests share one cluster per test.
class EtcdBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = StartCluster(MakeTestDir("etcd"));
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
  }

  std::unique_ptr<EtcdBackend> Open(const std::string& prefix = "/enlist",
                                    const Clock* clock = nullptr) {
    EtcdOptions o;
    o.client.endpoints = cluster_->endpoints();
    o.prefix = prefix;
    o.clock = clock;
    auto b = EtcdBackend::Open(o);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }

  static Item MakeItem(std::string key, std::string value) {
    Item item;
    item.key = std::move(key);
    item.value = std::move(value);
    return item;
  }

  std::unique_ptr<EtcdTestCluster> cluster_;
};

TEST_F(EtcdBackendTest, LeaseExpiresItemsOnEtcdsClock) {
  auto b = Open();
  ASSERT_NE(b, nullptr);
  Item short_lived = MakeItem("/tokens/short", "v");
  short_lived.expires = absl::Now() + absl::Seconds(2);
  ASSERT_TRUE(b->Create(short_lived).ok());
  // Same second, same lease: a second item shares it.
  Item sibling = MakeItem("/tokens/sibling", "v");
  sibling.expires = short_lived.expires;
  ASSERT_TRUE(b->Put(sibling).ok());
  ASSERT_TRUE(b->Put(MakeItem("/tokens/long", "v")).ok());
  auto item = b->Get("/tokens/short");
  ASSERT_TRUE(item.ok()) << item.status();
  ASSERT_TRUE(item->expires.has_value());
  EXPECT_EQ(*item->expires, absl::Ceil(*short_lived.expires - absl::UnixEpoch(), absl::Seconds(1)) +
                                absl::UnixEpoch());
  EXPECT_TRUE(enlist::testing::WaitFor(
      [&] { return absl::IsNotFound(b->Get("/tokens/short").status()); }, absl::Seconds(15)));
  EXPECT_TRUE(absl::IsNotFound(b->Get("/tokens/sibling").status()));
  EXPECT_TRUE(b->Get("/tokens/long").ok());
  // An expired key can be created again.
  EXPECT_TRUE(b->Create(MakeItem("/tokens/short", "again")).ok());
}

TEST_F(EtcdBackendTest, PrefixesIsolateClusters) {
  auto a = Open("/a");
  auto b = Open("/b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->Put(MakeItem("/tokens/x", "a")).ok());
  EXPECT_TRUE(absl::IsNotFound(b->Get("/tokens/x").status()));
  ASSERT_TRUE(b->Put(MakeItem("/tokens/x", "b")).ok());
  auto all = a->Range(KeyRange::Prefix("/"), {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 1u);
  EXPECT_EQ(all->items[0].key, "/tokens/x");
  EXPECT_EQ(all->items[0].value, "a");
  auto deleted = b->DeleteRange(KeyRange::Prefix("/"));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
  EXPECT_TRUE(a->Get("/tokens/x").ok());
}

TEST_F(EtcdBackendTest, WatchReportsPutsAndDeletesUnderItsPrefix) {
  auto b = Open();
  ASSERT_NE(b, nullptr);
  absl::Mutex mu;
  std::vector<std::string> seen;
  auto w = b->Watch("/tokens/", 0, [&](const WatchEvent& e) {
    absl::MutexLock l(&mu);
    seen.push_back(absl::StrCat(e.type == WatchEvent::Type::kDelete ? "delete " : "put ",
                                e.item.key, "=", e.item.value));
  });
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->WaitUntilWatching(absl::Seconds(10)));
  ASSERT_TRUE(b->Put(MakeItem("/tokens/a", "1")).ok());
  ASSERT_TRUE(b->Put(MakeItem("/hosts/h", "ignored")).ok());
  ASSERT_TRUE(b->Delete("/tokens/a").ok());
  absl::MutexLock l(&mu);
  auto two = [&] { return seen.size() >= 2; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&two), absl::Seconds(10)));
  EXPECT_THAT(seen, ::testing::ElementsAre("put /tokens/a=1", "delete /tokens/a="));
}

TEST_F(EtcdBackendTest, SurvivesTheLossOfOneMember) {
  auto b = Open();
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Put(MakeItem("/k", "before")).ok());
  // The backend prefers the first endpoint; kill that member.
  cluster_->Kill(0);
  auto rev = b->Put(MakeItem("/k", "after"));
  ASSERT_TRUE(rev.ok()) << rev.status();
  auto item = b->Get("/k");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "after");
  auto created = b->Create(MakeItem("/k2", "x"));
  ASSERT_TRUE(created.ok()) << created.status();
  auto swapped = b->CompareAndSwap(*created, MakeItem("/k2", "y"));
  EXPECT_TRUE(swapped.ok()) << swapped.status();
}

TEST_F(EtcdBackendTest, UnreachableEtcdIsUnavailableAtOpen) {
  cluster_.reset();
  EtcdOptions o;
  o.client.endpoints = {"127.0.0.1:1"};
  o.client.dial_timeout = absl::Milliseconds(200);
  o.client.max_attempts = 2;
  auto b = EtcdBackend::Open(o);
  ENLIST_EXPECT_STATUS(b.status(), absl::StatusCode::kUnavailable,
                       "storage: etcd: current revision /: 127.0.0.1:1: cannot connect");
}

TEST(EtcdOptionsTest, BadOptionsAreInvalidArguments) {
  struct Case {
    const char* name;
    std::function<void(EtcdOptions&)> edit;
    std::string substr;
  };
  const Case cases[] = {
      {"no endpoints", [](EtcdOptions& o) { o.client.endpoints.clear(); }, "etcd: no endpoints"},
      {"scheme", [](EtcdOptions& o) { o.client.endpoints = {"http://127.0.0.1:2379"}; },
       "without a scheme"},
      {"no port", [](EtcdOptions& o) { o.client.endpoints = {"127.0.0.1"}; }, "is not host:port"},
      {"prefix slash", [](EtcdOptions& o) { o.prefix = "/enlist/"; }, "must start with '/'"},
      {"prefix relative", [](EtcdOptions& o) { o.prefix = "enlist"; }, "must start with '/'"},
      {"cert without key", [](EtcdOptions& o) {
         o.client.tls.ca_file = "/x";
         o.client.tls.cert_file = "/y";
       }, "cert_file and key_file go together"},
      {"cert without ca", [](EtcdOptions& o) {
         o.client.tls.cert_file = "/y";
         o.client.tls.key_file = "/z";
       }, "a client certificate needs ca_file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EtcdOptions o;
    o.client.endpoints = {"127.0.0.1:2379"};
    o.check_on_open = false;
    c.edit(o);
    ENLIST_EXPECT_STATUS(EtcdBackend::Open(o).status(), absl::StatusCode::kInvalidArgument,
                         c.substr);
  }
  EtcdOptions missing;
  missing.client.endpoints = {"127.0.0.1:2379"};
  missing.client.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(EtcdBackend::Open(missing).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace enlist::storage
