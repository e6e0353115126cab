#include "auth/storage/event_store.h"

#include <sqlite3.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/sqlite_backend.h"
#include "auth/storage/test_backends.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

join::JoinEvent Event(absl::Time t, std::string host) {
  join::JoinEvent e;
  e.time = t;
  e.duration = absl::Milliseconds(250);
  e.join_method = "azure";
  e.token_name = "azure-token";
  e.role = "Node";
  e.host_name = std::move(host);
  e.remote_addr = "10.0.0.7:51234";
  e.accepted = true;
  e.host_id = "h1";
  e.attributes = {{"subscription_id", "1111"}, {"resource_group", "group1"}};
  return e;
}

std::vector<std::string> Hosts(const EventPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.events) out.push_back(e.event.host_name);
  return out;
}

class EventStoreTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    auto backend = GetParam().open(MakeTestDir(GetParam().name), &clock_);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
  }

  std::unique_ptr<EventStore> MakeStore(EventStoreOptions options = {}) {
    options.clock = &clock_;
    return std::make_unique<EventStore>(backend_.get(), options);
  }

  ManualClock clock_{kT0};
  std::unique_ptr<Backend> backend_;
};

TEST_P(EventStoreTest, AppendRoundTripsEveryField) {
  auto store = MakeStore();
  join::JoinEvent denied = Event(kT0, "vm-2");
  denied.accepted = false;
  denied.host_id = "";
  denied.code = absl::StatusCode::kPermissionDenied;
  denied.reason = "azure: no allow rule matches";
  auto id = store->Append(denied);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(*id, ::testing::MatchesRegex("00001700000000000000-[0-9a-f]{16}"));
  auto page = store->List({});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->events.size(), 1u);
  const StoredEvent& got = page->events[0];
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.event.time, kT0);
  EXPECT_EQ(got.event.duration, absl::Milliseconds(250));
  EXPECT_EQ(got.event.join_method, "azure");
  EXPECT_EQ(got.event.token_name, "azure-token");
  EXPECT_EQ(got.event.role, "Node");
  EXPECT_EQ(got.event.host_name, "vm-2");
  EXPECT_EQ(got.event.remote_addr, "10.0.0.7:51234");
  EXPECT_FALSE(got.event.accepted);
  EXPECT_EQ(got.event.code, absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(got.event.reason, "azure: no allow rule matches");
  EXPECT_THAT(got.event.attributes,
              ElementsAre(Pair("subscription_id", "1111"), Pair("resource_group", "group1")));
}

TEST_P(EventStoreTest, ListsByEventTimeBothWaysWithFilters) {
  auto store = MakeStore();
  // Appended out of time order; listed in time order.
  for (int i : {3, 1, 4, 0, 2}) {
    ASSERT_TRUE(store->Append(Event(kT0 + absl::Seconds(i), absl::StrCat("e", i))).ok());
  }
  auto newest = store->List({});
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_THAT(Hosts(*newest), ElementsAre("e4", "e3", "e2", "e1", "e0"));
  EXPECT_FALSE(newest->more);

  EventQuery oldest_first;
  oldest_first.newest_first = false;
  auto oldest = store->List(oldest_first);
  ASSERT_TRUE(oldest.ok());
  EXPECT_THAT(Hosts(*oldest), ElementsAre("e0", "e1", "e2", "e3", "e4"));

  EventQuery window;
  window.since = kT0 + absl::Seconds(1);  // inclusive
  window.until = kT0 + absl::Seconds(3);  // exclusive
  auto w = store->List(window);
  ASSERT_TRUE(w.ok());
  EXPECT_THAT(Hosts(*w), ElementsAre("e2", "e1"));
}

TEST_P(EventStoreTest, PagesWithCursorInBothOrders) {
  auto store = MakeStore();
  for (int i = 0; i < 7; ++i) {
    // Several events share a timestamp: ids still order and page correctly.
    ASSERT_TRUE(store->Append(Event(kT0 + absl::Seconds(i / 3), absl::StrCat("e", i))).ok());
  }
  for (bool newest_first : {true, false}) {
    SCOPED_TRACE(newest_first);
    EventQuery q;
    q.newest_first = newest_first;
    q.limit = 3;
    std::vector<std::string> ids;
    std::vector<size_t> sizes;
    while (true) {
      auto page = store->List(q);
      ASSERT_TRUE(page.ok()) << page.status();
      sizes.push_back(page->events.size());
      for (const auto& e : page->events) ids.push_back(e.id);
      if (!page->more) break;
      q.cursor = page->next_cursor;
    }
    EXPECT_THAT(sizes, ElementsAre(3, 3, 1));
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 7u);
    EXPECT_TRUE(newest_first ? std::is_sorted(ids.rbegin(), ids.rend())
                             : std::is_sorted(ids.begin(), ids.end()));
  }
}

TEST_P(EventStoreTest, MalformedCursorsAreRejected) {
  auto store = MakeStore();
  const std::string cursors[] = {"x", "../hosts/h1", "00001700000000000000-XYZ0000000000000",
                                 "00001700000000000000_0000000000000000"};
  for (const std::string& c : cursors) {
    SCOPED_TRACE(c);
    EventQuery q;
    q.cursor = c;
    ENLIST_EXPECT_STATUS(store->List(q).status(), absl::StatusCode::kInvalidArgument,
                         "events: list: malformed cursor");
  }
}

TEST_P(EventStoreTest, ConcurrentAppendsGetUniqueIds) {
  auto store = MakeStore();
  constexpr int kThreads = 6;
  constexpr int kEach = 15;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Same timestamp everywhere: uniqueness rests on the id suffix.
        auto id = store->Append(Event(kT0, absl::StrCat(t, "-", i)));
        if (!id.ok()) ADD_FAILURE() << id.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto count = backend_->Count(KeyRange::Prefix(kEventsPrefix));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kThreads * kEach);
}

TEST_P(EventStoreTest, RetentionByCountKeepsTheNewest) {
  EventStoreOptions options;
  options.max_events = 10;
  options.max_age = absl::ZeroDuration();
  options.prune_every = 5;
  auto store = MakeStore(options);
  for (int i = 0; i < 23; ++i) {
    ASSERT_TRUE(store->Append(Event(kT0 + absl::Seconds(i), absl::StrCat("e", i))).ok());
  }
  auto count = backend_->Count(KeyRange::Prefix(kEventsPrefix));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 13) << "pruned at the 20th append, 3 since";
  auto pruned = store->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 3);
  EventQuery q;
  q.newest_first = false;
  auto page = store->List(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 10u);
  EXPECT_EQ(page->events.front().event.host_name, "e13");
  EXPECT_EQ(page->events.back().event.host_name, "e22");
  EXPECT_EQ(store->error_count(), 0);
}

TEST_P(EventStoreTest, RetentionByAge) {
  EventStoreOptions options;
  options.max_events = 0;
  options.max_age = absl::Hours(24);
  options.prune_every = 0;
  auto store = MakeStore(options);
  ASSERT_TRUE(store->Append(Event(kT0 - absl::Hours(48), "ancient")).ok());
  ASSERT_TRUE(store->Append(Event(kT0 - absl::Hours(25), "old")).ok());
  ASSERT_TRUE(store->Append(Event(kT0 - absl::Hours(1), "recent")).ok());
  ASSERT_TRUE(store->Append(Event(kT0 + absl::Seconds(1), "")).ok());
  auto pruned = store->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 2);
  auto page = store->List({});
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Hosts(*page), ElementsAre("", "recent"));
}

TEST_P(EventStoreTest, OversizedFieldsAreTruncatedNotRefused) {
  auto store = MakeStore();
  join::JoinEvent e = Event(kT0, std::string(5000, 'h'));
  e.reason = std::string(3000, 'r');
  e.attributes.assign(100, {"k", "v"});
  ASSERT_TRUE(store->Append(e).ok());
  auto page = store->List({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  const join::JoinEvent& got = page->events[0].event;
  EXPECT_EQ(got.host_name.size(), 1024u);
  EXPECT_EQ(got.host_name.substr(1021), "...");
  EXPECT_EQ(got.reason.size(), 1024u);
  EXPECT_EQ(got.attributes.size(), 64u);
}

TEST_P(EventStoreTest, CorruptEventsAreDataLoss) {
  auto store = MakeStore();
  ASSERT_TRUE(backend_->Put(Item{"/events/00001700000000000000-0000000000000000",
                                 "\xff\xff", 0, 0, std::nullopt})
                  .ok());
  ENLIST_EXPECT_STATUS(
      store->List({}).status(), absl::StatusCode::kDataLoss,
      "events: stored event /events/00001700000000000000-0000000000000000 does not parse");
}

TEST_P(EventStoreTest, RecordIsTheAuditSink) {
  auto store = MakeStore();
  join::AuditSink& sink = *store;
  sink.Record(Event(kT0, "via-sink"));
  auto page = store->List({});
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Hosts(*page), ElementsAre("via-sink"));
  EXPECT_TRUE(store->last_error().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreTest, ::testing::ValuesIn(AllTestBackends()),
                         BackendFactoryName);

// A storage failure inside Record() reaches on_error and last_error(), never
// the caller.
TEST(EventStoreErrorTest, RecordReportsStorageFailures) {
  const std::string dir = MakeTestDir("events-locked");
  SqliteOptions sqlite;
  sqlite.data_dir = dir;
  sqlite.busy_timeout = absl::Milliseconds(1);
  auto backend = SqliteBackend::Open(sqlite);
  ASSERT_TRUE(backend.ok()) << backend.status();
  std::vector<absl::Status> reported;
  EventStoreOptions options;
  options.on_error = [&](const absl::Status& s) { reported.push_back(s); };
  EventStore store(backend->get(), options);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/enlist.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  store.Record(Event(kT0, "lost"));
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  ASSERT_EQ(reported.size(), 1u);
  ENLIST_EXPECT_STATUS(reported[0], absl::StatusCode::kUnavailable,
                       "events: append: storage: sqlite: create /events/");
  ENLIST_EXPECT_STATUS(store.last_error(), absl::StatusCode::kUnavailable, "database is locked");
  EXPECT_EQ(store.error_count(), 1);
  store.Record(Event(kT0, "kept"));
  EXPECT_EQ(store.error_count(), 1);
}

}  // namespace
}  // namespace enlist::storage
