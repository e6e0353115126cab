#include "auth/storage/host_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/test_backends.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

class HostStoreTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    auto backend = GetParam().open(MakeTestDir(GetParam().name), &clock_);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
    store_ = std::make_unique<HostStore>(backend_.get());
  }

  static HostJoin Join(std::string id, absl::Time t, std::string serial) {
    HostJoin j;
    j.host_id = std::move(id);
    j.host_name = "vm-1";
    j.join_method = "azure";
    j.token_name = "azure-token";
    j.role = "Node";
    j.attributes = {{"subscription_id", "11111111-1111-1111-1111-111111111111"},
                    {"resource_group", "group1"}};
    j.time = t;
    j.cert_serial = std::move(serial);
    return j;
  }

  ManualClock clock_{kT0};
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<HostStore> store_;
};

TEST_P(HostStoreTest, FirstJoinCreatesRecord) {
  auto r = store_->RecordJoin(Join("h1", kT0, "01ab"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->revision, 0);
  auto got = store_->Get("h1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->host_id, "h1");
  EXPECT_EQ(got->host_name, "vm-1");
  EXPECT_EQ(got->join_method, "azure");
  EXPECT_EQ(got->token_name, "azure-token");
  EXPECT_EQ(got->role, "Node");
  EXPECT_THAT(got->attributes,
              ElementsAre(Pair("subscription_id", "11111111-1111-1111-1111-111111111111"),
                          Pair("resource_group", "group1")));
  EXPECT_EQ(got->first_join, kT0);
  EXPECT_EQ(got->last_join, kT0);
  EXPECT_THAT(got->cert_serials, ElementsAre("01ab"));
  EXPECT_EQ(got->join_count, 1);
  EXPECT_EQ(got->revision, r->revision);
}

TEST_P(HostStoreTest, LaterJoinsUpdateAndKeepHistory) {
  ASSERT_TRUE(store_->RecordJoin(Join("h1", kT0, "01")).ok());
  HostJoin again = Join("h1", kT0 + absl::Hours(1), "02");
  again.host_name = "vm-1-renamed";
  again.attributes = {{"vm_id", "abc"}};
  ASSERT_TRUE(store_->RecordJoin(again).ok());
  // The same certificate reported twice is kept once.
  ASSERT_TRUE(store_->RecordJoin(Join("h1", kT0 + absl::Hours(2), "02")).ok());
  // A late report of an older join does not move last_join back.
  ASSERT_TRUE(store_->RecordJoin(Join("h1", kT0 - absl::Hours(1), "")).ok());
  auto got = store_->Get("h1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->first_join, kT0 - absl::Hours(1));
  EXPECT_EQ(got->last_join, kT0 + absl::Hours(2));
  EXPECT_THAT(got->cert_serials, ElementsAre("01", "02"));
  EXPECT_EQ(got->join_count, 4);
  EXPECT_EQ(got->host_name, "vm-1");
}

TEST_P(HostStoreTest, NewHostIdCreatesWithoutReadingAndStillMergesAnExistingRecord) {
  HostJoin first = Join("h1", kT0, "01");
  first.new_host_id = true;
  auto created = store_->RecordJoin(first);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->join_count, 1);
  // A wrong hint (the record exists): the create fails, the record is read
  // and updated, nothing is lost.
  HostJoin again = Join("h1", kT0 + absl::Hours(1), "02");
  again.new_host_id = true;
  auto updated = store_->RecordJoin(again);
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto got = store_->Get("h1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->join_count, 2);
  EXPECT_EQ(got->first_join, kT0);
  EXPECT_EQ(got->last_join, kT0 + absl::Hours(1));
  EXPECT_THAT(got->cert_serials, ElementsAre("01", "02"));
}

TEST_P(HostStoreTest, CertificateSerialsAreBoundedNewestLast) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(store_->RecordJoin(Join("h1", kT0 + absl::Minutes(i), absl::StrCat("s", i))).ok());
  }
  auto got = store_->Get("h1");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->cert_serials.size(), 20u);
  EXPECT_EQ(got->cert_serials.front(), "s5");
  EXPECT_EQ(got->cert_serials.back(), "s24");
}

TEST_P(HostStoreTest, ConcurrentJoinsLoseNoUpdate) {
  HostStoreOptions options;
  options.max_attempts = 1000;
  options.max_cert_serials = 1000;
  HostStore store(backend_.get(), options);
  constexpr int kThreads = 6;
  constexpr int kJoins = 8;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kJoins; ++i) {
        auto r = store.RecordJoin(Join("busy", kT0 + absl::Seconds(i), absl::StrCat(t, "-", i)));
        if (!r.ok()) ADD_FAILURE() << r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto got = store.Get("busy");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->join_count, kThreads * kJoins);
  EXPECT_EQ(got->cert_serials.size(), static_cast<size_t>(kThreads * kJoins));
}

TEST_P(HostStoreTest, ListIsSortedAndScoped) {
  for (const char* id : {"h3", "h1", "h2"}) ASSERT_TRUE(store_->RecordJoin(Join(id, kT0, "")).ok());
  ASSERT_TRUE(backend_->Put(Item{"/hostsx", "not a host", 0, 0, std::nullopt}).ok());
  auto list = store_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<std::string> ids;
  for (const auto& r : *list) ids.push_back(r.host_id);
  EXPECT_THAT(ids, ElementsAre("h1", "h2", "h3"));
}

TEST_P(HostStoreTest, Delete) {
  ASSERT_TRUE(store_->RecordJoin(Join("h1", kT0, "")).ok());
  ASSERT_TRUE(store_->Delete("h1").ok());
  ENLIST_EXPECT_STATUS(store_->Get("h1").status(), absl::StatusCode::kNotFound,
                       "hosts: get h1: unknown host");
  ENLIST_EXPECT_STATUS(store_->Delete("h1"), absl::StatusCode::kNotFound,
                       "hosts: delete h1: unknown host");
}

TEST_P(HostStoreTest, Rejections) {
  struct Case {
    const char* name;
    HostJoin join;
    std::string substr;
  };
  HostJoin long_name = Join("h1", kT0, "");
  long_name.host_name = std::string(1025, 'n');
  HostJoin many = Join("h1", kT0, "");
  many.attributes.assign(65, {"a", "b"});
  HostJoin long_attr = Join("h1", kT0, "");
  long_attr.attributes = {{"big", std::string(2000, 'v')}};
  const Case cases[] = {
      {"empty id", Join("", kT0, ""), "hosts: record join: invalid host id \"\""},
      {"slash in id", Join("a/b", kT0, ""), "invalid host id \"a/b\""},
      {"long id", Join(std::string(129, 'h'), kT0, ""), "invalid host id"},
      {"long host name", long_name, "hosts: record join h1: host name is 1025 bytes (limit 1024)"},
      {"many attributes", many, "65 attributes (limit 64)"},
      {"long attribute", long_attr, "attribute \"big\" is longer than 1024 bytes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ENLIST_EXPECT_STATUS(store_->RecordJoin(c.join).status(), absl::StatusCode::kInvalidArgument,
                         c.substr);
  }
  ENLIST_EXPECT_STATUS(store_->Get("../tokens/x").status(), absl::StatusCode::kInvalidArgument,
                       "hosts: get: invalid host id");
  auto all = backend_->Range(KeyRange::Prefix("/"), {});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->items.empty());
}

TEST_P(HostStoreTest, CorruptRecordsAreDataLoss) {
  ASSERT_TRUE(backend_->Put(Item{"/hosts/bad", "\xff\xff\xff", 0, 0, std::nullopt}).ok());
  ENLIST_EXPECT_STATUS(store_->Get("bad").status(), absl::StatusCode::kDataLoss,
                       "hosts: stored record /hosts/bad does not parse");
  ENLIST_EXPECT_STATUS(store_->RecordJoin(Join("bad", kT0, "")).status(),
                       absl::StatusCode::kDataLoss, "does not parse");
  ENLIST_EXPECT_STATUS(store_->List().status(), absl::StatusCode::kDataLoss, "does not parse");
  // A valid record under the wrong key.
  ASSERT_TRUE(store_->RecordJoin(Join("good", kT0, "")).ok());
  auto good = backend_->Get("/hosts/good");
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(backend_->Put(Item{"/hosts/bad", good->value, 0, 0, std::nullopt}).ok());
  ENLIST_EXPECT_STATUS(store_->Get("bad").status(), absl::StatusCode::kDataLoss,
                       "hosts: stored record /hosts/bad holds another host");
}

INSTANTIATE_TEST_SUITE_P(Backends, HostStoreTest, ::testing::ValuesIn(AllTestBackends()),
                         BackendFactoryName);

}  // namespace
}  // namespace enlist::storage
