// The etcd backend against real etcd clusters: the Backend conformance
// suite (a fresh 3-member cluster per test location, because the suite
// expects a never-written backend at revision 0), once over plain TCP and
// once over TLS with a client certificate, and etcd-specific behaviour:
// leases, watches (snapshots, compaction), failover when a member dies, TLS
// failures, option errors.
#include "auth/storage/etcd_backend.h"

#include <map>
#include <optional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "auth/storage/backend_conformance.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/etcd_test_cluster.h"
#include "auth/storage/etcd_test_pki.h"
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
  EtcdTlsOptions tls;
};

ClusterSlot& Slot() {
  static ClusterSlot* slot = new ClusterSlot();
  return *slot;
}

// Client TLS options for `pki`'s CA and client certificate.
EtcdTlsOptions ClientTls(const EtcdTestPki& pki) {
  EtcdTlsOptions tls;
  tls.ca_file = pki.ca_file;
  tls.cert_file = pki.client_cert_file;
  tls.key_file = pki.client_key_file;
  return tls;
}

// A cluster; with `pki`, serving clients over TLS only and requiring a
// client certificate from pki's CA.
absl::StatusOr<std::unique_ptr<EtcdTestCluster>> StartCluster(const std::string& dir,
                                                              int members = 3,
                                                              const EtcdTestPki* pki = nullptr) {
  EtcdTestClusterOptions o;
  o.members = members;
  o.dir = dir;
  if (pki != nullptr) {
    o.tls.cert_file = pki->server_cert_file;
    o.tls.key_file = pki->server_key_file;
    o.tls.trusted_ca_file = pki->ca_file;
    o.tls.client_cert_auth = true;
    o.probe_tls = ClientTls(*pki);
  }
  return EtcdTestCluster::Start(o);
}

BackendFactory EtcdFactory(bool tls) {
  BackendFactory f;
  f.name = tls ? "EtcdTls" : "Etcd";
  // The same location is the same cluster and prefix: data and revisions
  // survive reopening, and two instances share state.
  f.persistent = true;
  f.clock_controls_expiry = false;
  f.open = [tls](const std::string& location,
                 const Clock* clock) -> absl::StatusOr<std::unique_ptr<Backend>> {
    ClusterSlot& slot = Slot();
    absl::MutexLock l(&slot.mu);
    if (slot.location != location) {
      slot.cluster.reset();
      std::optional<EtcdTestPki> pki;
      if (tls) {
        absl::StatusOr<EtcdTestPki> p = WriteEtcdTestPki(location + "/pki");
        if (!p.ok()) return p.status();
        pki = *p;
      }
      absl::StatusOr<std::unique_ptr<EtcdTestCluster>> c =
          StartCluster(location + "/etcd", 3, pki.has_value() ? &*pki : nullptr);
      if (!c.ok()) return c.status();
      slot.cluster = *std::move(c);
      slot.location = location;
      slot.tls = pki.has_value() ? ClientTls(*pki) : EtcdTlsOptions{};
    }
    EtcdOptions o;
    o.client.endpoints = slot.cluster->endpoints();
    o.client.tls = slot.tls;
    o.clock = clock;
    absl::StatusOr<std::unique_ptr<EtcdBackend>> b = EtcdBackend::Open(o);
    if (!b.ok()) return b.status();
    return std::unique_ptr<Backend>(*std::move(b));
  };
  return f;
}

// The whole suite over plain TCP and over TLS with a client certificate
// (etcd started with --client-cert-auth).
INSTANTIATE_TEST_SUITE_P(Etcd, BackendConformanceTest,
                         ::testing::Values(EtcdFactory(false), EtcdFactory(true)),
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

// The leader dies while the backend talks to a follower: a write sent right
// after is forwarded to the dead leader and lost, and its attempt times out.
// Guarded writes (Delete reads the revision and guards on it) go to the next
// member then and succeed; none is applied twice.
TEST_F(EtcdBackendTest, SurvivesTheLossOfTheLeader) {
  absl::StatusOr<int> leader = cluster_->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  EtcdOptions o;
  for (int i = 1; i <= 2; ++i) {
    o.client.endpoints.push_back(cluster_->endpoints()[(*leader + i) % 3]);
  }
  o.client.request_timeout = absl::Seconds(2);
  auto opened = EtcdBackend::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<EtcdBackend> b = *std::move(opened);
  ASSERT_TRUE(b->Put(MakeItem("/gone", "x")).ok());
  auto consumed = b->Put(MakeItem("/once", "x"));
  ASSERT_TRUE(consumed.ok());
  auto swapped = b->Put(MakeItem("/swap", "x"));
  ASSERT_TRUE(swapped.ok());

  cluster_->Kill(*leader);
  auto deleted = b->Delete("/gone");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  auto created = b->Create(MakeItem("/new", "x"));
  ASSERT_TRUE(created.ok()) << created.status();
  auto cad = b->CompareAndDelete("/once", *consumed);
  ASSERT_TRUE(cad.ok()) << cad.status();
  auto cas = b->CompareAndSwap(*swapped, MakeItem("/swap", "y"));
  ASSERT_TRUE(cas.ok()) << cas.status();

  ENLIST_EXPECT_STATUS(b->Get("/gone").status(), absl::StatusCode::kNotFound, "not found");
  ENLIST_EXPECT_STATUS(b->Get("/once").status(), absl::StatusCode::kNotFound, "not found");
  EXPECT_EQ(b->Get("/swap")->value, "y");
  EXPECT_EQ(b->Get("/new")->revision, *created);
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
      {"server name without ca", [](EtcdOptions& o) { o.client.tls.server_name = "etcd"; },
       "server_name needs ca_file"},
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


// Records a watch's events as "reset", "put <key>=<value>", "delete <key>".
class EventLog {
 public:
  WatchCallback Callback() {
    return [this](const WatchEvent& e) {
      absl::MutexLock l(&mu_);
      switch (e.type) {
        case WatchEvent::Type::kReset:
          events_.push_back("reset");
          break;
        case WatchEvent::Type::kPut:
          events_.push_back(absl::StrCat("put ", e.item.key, "=", e.item.value));
          break;
        case WatchEvent::Type::kDelete:
          events_.push_back(absl::StrCat("delete ", e.item.key));
          break;
      }
    };
  }
  // Waits until at least `n` events arrived; returns them all.
  std::vector<std::string> WaitFor(size_t n) {
    absl::MutexLock l(&mu_);
    auto enough = [&] { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(15));
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> events_;
};

TEST_F(EtcdBackendTest, WatchFromACompactedRevisionReportsResetThenFollowsFromNow) {
  auto b = Open();
  ASSERT_NE(b, nullptr);
  auto r1 = b->Put(MakeItem("/tokens/a", "1"));
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_TRUE(b->Put(MakeItem("/tokens/b", "2")).ok());
  auto r3 = b->Put(MakeItem("/tokens/b", "3"));
  ASSERT_TRUE(r3.ok()) << r3.status();
  // Revisions before r3 are gone.
  ASSERT_TRUE(cluster_->Compact(*r3).ok());
  EventLog log;
  // Resuming after r1 needs r1+1, which compaction removed.
  auto w = b->Watch("/tokens/", *r1, log.Callback());
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_THAT(log.WaitFor(1), ::testing::ElementsAre("reset"));
  ASSERT_TRUE((*w)->WaitUntilWatching(absl::Seconds(10)));
  ASSERT_TRUE(b->Put(MakeItem("/tokens/c", "4")).ok());
  EXPECT_THAT(log.WaitFor(2), ::testing::ElementsAre("reset", "put /tokens/c=4"));
}

TEST_F(EtcdBackendTest, SnapshotWatchDeliversEveryKeyInPagesThenChanges) {
  auto b = Open();
  ASSERT_NE(b, nullptr);
  // More keys than one snapshot page (256).
  constexpr int kKeys = 300;
  std::vector<std::string> expected = {"reset"};
  for (int i = 0; i < kKeys; ++i) {
    std::string key = absl::StrFormat("/tokens/t%03d", i);
    ASSERT_TRUE(b->Put(MakeItem(key, absl::StrCat(i))).ok());
    expected.push_back(absl::StrCat("put ", key, "=", i));
  }
  ASSERT_TRUE(b->Put(MakeItem("/hosts/h", "outside the prefix")).ok());
  EventLog log;
  auto w = b->Watch("/tokens/", kWatchSnapshot, log.Callback());
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->WaitUntilWatching(absl::Seconds(10)));
  // watching() only once the whole snapshot was delivered.
  EXPECT_EQ(log.WaitFor(0), expected);
  ASSERT_TRUE(b->Delete("/tokens/t007").ok());
  expected.push_back("delete /tokens/t007");
  EXPECT_EQ(log.WaitFor(expected.size()), expected);
  EXPECT_EQ((*w)->connections(), 1);
}

TEST_F(EtcdBackendTest, WatchRevisionMustNotBeNegative) {
  auto b = Open();
  ASSERT_NE(b, nullptr);
  ENLIST_EXPECT_STATUS(b->Watch("/tokens/", -7, [](const WatchEvent&) {}).status(),
                       absl::StatusCode::kInvalidArgument, "negative revision -7");
}

// etcd serving clients over TLS only, with --client-cert-auth.
class EtcdTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTestDir("etcd-tls");
    auto pki = WriteEtcdTestPki(dir + "/pki");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *pki;
    auto c = StartCluster(dir + "/etcd", 1, &pki_);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
  }

  EtcdOptions Options(const EtcdTlsOptions& tls) const {
    EtcdOptions o;
    o.client.endpoints = cluster_->endpoints();
    o.client.tls = tls;
    o.client.dial_timeout = absl::Milliseconds(500);
    o.client.max_attempts = 1;
    return o;
  }

  EtcdTestPki pki_;
  std::unique_ptr<EtcdTestCluster> cluster_;
};

TEST_F(EtcdTlsTest, ClientCertificateAndServerNameOverrideWork) {
  for (const std::string server_name : {"", kEtcdTestServerName}) {
    SCOPED_TRACE(server_name);
    EtcdTlsOptions tls = ClientTls(pki_);
    tls.server_name = server_name;
    auto b = EtcdBackend::Open(Options(tls));
    ASSERT_TRUE(b.ok()) << b.status();
    Item item;
    item.key = "/tokens/x";
    item.value = server_name;
    ASSERT_TRUE((*b)->Put(item).ok());
    auto got = (*b)->Get("/tokens/x");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->value, server_name);
    // Watches use the same TLS channel.
    EventLog log;
    auto w = (*b)->Watch("/tokens/", kWatchSnapshot, log.Callback());
    ASSERT_TRUE(w.ok());
    EXPECT_TRUE((*w)->WaitUntilWatching(absl::Seconds(10)));
    EXPECT_THAT(log.WaitFor(2), ::testing::Contains(absl::StrCat("put /tokens/x=", server_name)));
  }
}

TEST_F(EtcdTlsTest, TlsMisconfigurationsAreUnavailableNamingTheEndpoint) {
  struct Case {
    const char* name;
    std::function<void(EtcdTlsOptions&)> edit;
    std::string substr;
  };
  const Case cases[] = {
      {"wrong ca", [&](EtcdTlsOptions& t) { t.ca_file = pki_.other_ca_file; },
       "over TLS: failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1"},
      {"wrong ca says why", [&](EtcdTlsOptions& t) { t.ca_file = pki_.other_ca_file; },
       "certificate verify failed"},
      {"wrong server name", [](EtcdTlsOptions& t) { t.server_name = "other.enlist.test"; },
       "other.enlist.test is not in peer certificate"},
      {"no client certificate",
       [](EtcdTlsOptions& t) {
         t.cert_file.clear();
         t.key_file.clear();
       },
       "over TLS: "},
      {"client certificate from another ca",
       [&](EtcdTlsOptions& t) {
         t.cert_file = pki_.other_client_cert_file;
         t.key_file = pki_.other_client_key_file;
       },
       "over TLS: "},
      {"plain tcp", [](EtcdTlsOptions& t) { t = EtcdTlsOptions{}; }, "cannot connect within 500ms"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EtcdTlsOptions tls = ClientTls(pki_);
    c.edit(tls);
    absl::Status s = EtcdBackend::Open(Options(tls)).status();
    ENLIST_EXPECT_STATUS(s, absl::StatusCode::kUnavailable,
                         absl::StrCat("storage: etcd: current revision /: ",
                                      cluster_->endpoints()[0], ": "));
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.substr));
  }
}

}  // namespace
}  // namespace enlist::storage
