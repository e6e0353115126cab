#include "auth/storage/backend_conformance.h"

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"

namespace enlist::storage {

void BackendConformanceTest::SetUp() {
  location_ = MakeTestDir(GetParam().name);
  auto backend = GetParam().open(location_, &clock_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  backend_ = std::move(*backend);
}

void BackendConformanceTest::TearDown() { backend_.reset(); }

absl::StatusOr<std::unique_ptr<Backend>> BackendConformanceTest::Reopen() {
  return GetParam().open(location_, &clock_);
}

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

#define EXPECT_STATUS ENLIST_EXPECT_STATUS

Item MakeItem(std::string key, std::string value) {
  Item item;
  item.key = std::move(key);
  item.value = std::move(value);
  return item;
}

std::vector<std::string> Keys(const RangeResult& r) {
  std::vector<std::string> keys;
  for (const Item& item : r.items) keys.push_back(item.key);
  return keys;
}

TEST_P(BackendConformanceTest, GetMissingIsNotFound) {
  EXPECT_STATUS(backend_->Get("/tokens/nope").status(), absl::StatusCode::kNotFound,
                "get /tokens/nope: not found");
  EXPECT_THAT(std::string(backend_->Get("/x").status().message()),
              HasSubstr(absl::StrCat("storage: ", backend_->name(), ": ")));
}

TEST_P(BackendConformanceTest, FreshBackendIsEmptyAtRevisionZero) {
  auto rev = backend_->CurrentRevision();
  ASSERT_TRUE(rev.ok()) << rev.status();
  EXPECT_EQ(*rev, 0);
  auto all = backend_->Range(KeyRange::Prefix("/"), {});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->items.empty());
  EXPECT_FALSE(all->more);
}

TEST_P(BackendConformanceTest, PutThenGetRoundTripsBytes) {
  const std::string value("a\0b\xff\x01", 5);
  auto rev = backend_->Put(MakeItem("/ca/tls", value));
  ASSERT_TRUE(rev.ok()) << rev.status();
  EXPECT_GT(*rev, 0);
  auto item = backend_->Get("/ca/tls");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->key, "/ca/tls");
  EXPECT_EQ(item->value, value);
  EXPECT_EQ(item->revision, *rev);
  EXPECT_EQ(item->create_revision, *rev);
  EXPECT_FALSE(item->expires.has_value());

  // An empty value is a value, not an absence.
  ASSERT_TRUE(backend_->Put(MakeItem("/empty", "")).ok());
  auto empty = backend_->Get("/empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->value, "");
}

TEST_P(BackendConformanceTest, PutOverwriteKeepsCreateRevision) {
  auto first = backend_->Put(MakeItem("/hosts/h1", "v1"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = backend_->Put(MakeItem("/hosts/h1", "v2"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(*second, *first);
  auto item = backend_->Get("/hosts/h1");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "v2");
  EXPECT_EQ(item->revision, *second);
  EXPECT_EQ(item->create_revision, *first);
}

TEST_P(BackendConformanceTest, CreateConflictsWithExistingKey) {
  auto created = backend_->Create(MakeItem("/tokens/a", "one"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_STATUS(backend_->Create(MakeItem("/tokens/a", "two")).status(),
                absl::StatusCode::kAlreadyExists, "create /tokens/a: already exists");
  auto item = backend_->Get("/tokens/a");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "one");
  // After a delete the key can be created again, with a new create revision.
  ASSERT_TRUE(backend_->Delete("/tokens/a").ok());
  auto again = backend_->Create(MakeItem("/tokens/a", "three"));
  ASSERT_TRUE(again.ok()) << again.status();
  auto item2 = backend_->Get("/tokens/a");
  ASSERT_TRUE(item2.ok()) << item2.status();
  EXPECT_EQ(item2->create_revision, *again);
  EXPECT_GT(item2->create_revision, *created);
}

TEST_P(BackendConformanceTest, CompareAndSwap) {
  auto rev = backend_->Create(MakeItem("/k", "v1"));
  ASSERT_TRUE(rev.ok()) << rev.status();
  auto swapped = backend_->CompareAndSwap(*rev, MakeItem("/k", "v2"));
  ASSERT_TRUE(swapped.ok()) << swapped.status();
  EXPECT_GT(*swapped, *rev);
  // The old revision no longer matches.
  EXPECT_STATUS(backend_->CompareAndSwap(*rev, MakeItem("/k", "v3")).status(),
                absl::StatusCode::kAborted,
                absl::StrCat("compare-and-swap /k: revision mismatch: expected ", *rev,
                             ", found ", *swapped));
  auto item = backend_->Get("/k");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "v2");
  EXPECT_EQ(item->create_revision, *rev);
}

TEST_P(BackendConformanceTest, CompareAndSwapRejections) {
  auto rev = backend_->Create(MakeItem("/k", "v1"));
  ASSERT_TRUE(rev.ok()) << rev.status();
  struct Case {
    const char* name;
    int64_t expected;
    std::string key;
    absl::StatusCode code;
    std::string substr;
  };
  const Case cases[] = {
      {"missing", *rev, "/missing", absl::StatusCode::kNotFound,
       "compare-and-swap /missing: not found"},
      {"stale", *rev + 100, "/k", absl::StatusCode::kAborted, "revision mismatch"},
      {"zero", 0, "/k", absl::StatusCode::kInvalidArgument, "expected revision 0 is not positive"},
      {"negative", -3, "/k", absl::StatusCode::kInvalidArgument,
       "expected revision -3 is not positive"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_STATUS(backend_->CompareAndSwap(c.expected, MakeItem(c.key, "x")).status(), c.code,
                  c.substr);
    EXPECT_STATUS(backend_->CompareAndDelete(c.key, c.expected).status(), c.code,
                  c.substr == "compare-and-swap /missing: not found"
                      ? "compare-and-delete /missing: not found"
                      : c.substr);
  }
  auto now = backend_->CurrentRevision();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*now, *rev) << "failed operations must not advance the revision";
}

TEST_P(BackendConformanceTest, CompareAndDelete) {
  auto rev = backend_->Create(MakeItem("/tokens/once", "v"));
  ASSERT_TRUE(rev.ok()) << rev.status();
  auto deleted = backend_->CompareAndDelete("/tokens/once", *rev);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_GT(*deleted, *rev);
  EXPECT_STATUS(backend_->Get("/tokens/once").status(), absl::StatusCode::kNotFound, "not found");
  EXPECT_STATUS(backend_->CompareAndDelete("/tokens/once", *rev).status(),
                absl::StatusCode::kNotFound, "compare-and-delete /tokens/once: not found");
}

TEST_P(BackendConformanceTest, Delete) {
  EXPECT_STATUS(backend_->Delete("/nope").status(), absl::StatusCode::kNotFound,
                "delete /nope: not found");
  auto rev = backend_->Put(MakeItem("/k", "v"));
  ASSERT_TRUE(rev.ok());
  auto deleted = backend_->Delete("/k");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, *rev + 1);
  EXPECT_STATUS(backend_->Get("/k").status(), absl::StatusCode::kNotFound, "not found");
}

TEST_P(BackendConformanceTest, RevisionsStrictlyIncreaseAcrossKeysAndOperations) {
  std::vector<int64_t> revisions;
  auto record = [&](absl::StatusOr<int64_t> r) {
    ASSERT_TRUE(r.ok()) << r.status();
    revisions.push_back(*r);
  };
  record(backend_->Put(MakeItem("/a", "1")));
  record(backend_->Create(MakeItem("/b", "1")));
  record(backend_->Put(MakeItem("/a", "2")));
  record(backend_->CompareAndSwap(revisions.back(), MakeItem("/a", "3")));
  record(backend_->Delete("/b"));
  record(backend_->Put(MakeItem("/c/1", "1")));
  record(backend_->Put(MakeItem("/c/2", "1")));
  ASSERT_TRUE(backend_->DeleteRange(KeyRange::Prefix("/c/")).ok());
  record(backend_->CurrentRevision());
  record(backend_->Put(MakeItem("/d", "1")));
  for (size_t i = 1; i < revisions.size(); ++i) {
    EXPECT_GT(revisions[i], revisions[i - 1]) << "at " << i;
  }
  auto current = backend_->CurrentRevision();
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(*current, revisions.back());
}

TEST_P(BackendConformanceTest, RangePrefixStopsAtBoundary) {
  for (const char* key : {"/token", "/tokens", "/tokens/", "/tokens/a", "/tokens/a/b",
                          "/tokens/b", "/tokens0", "/tokensx", "/tokenz", "/u"}) {
    ASSERT_TRUE(backend_->Put(MakeItem(key, key)).ok()) << key;
  }
  auto r = backend_->Range(KeyRange::Prefix("/tokens/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Keys(*r), ElementsAre("/tokens/", "/tokens/a", "/tokens/a/b", "/tokens/b"));
  EXPECT_FALSE(r->more);
  EXPECT_EQ(r->items[1].value, "/tokens/a");

  auto bare = backend_->Range(KeyRange::Prefix("/tokens"), {});
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_THAT(Keys(*bare), ElementsAre("/tokens", "/tokens/", "/tokens/a", "/tokens/a/b",
                                       "/tokens/b", "/tokens0", "/tokensx"));

  auto between = backend_->Range(KeyRange::Between("/tokens/a", "/tokens/b"), {});
  ASSERT_TRUE(between.ok()) << between.status();
  EXPECT_THAT(Keys(*between), ElementsAre("/tokens/a", "/tokens/a/b"));

  auto count = backend_->Count(KeyRange::Prefix("/tokens/"));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 4);
}

TEST_P(BackendConformanceTest, RangeSortsBytewise) {
  // 0xff sorts after ASCII; a prefix sorts before its extensions.
  for (const std::string& key : {std::string("/k/\xff"), std::string("/k/a"),
                                 std::string("/k/A"), std::string("/k/"), std::string("/k/a0")}) {
    ASSERT_TRUE(backend_->Put(MakeItem(key, "v")).ok());
  }
  auto r = backend_->Range(KeyRange::Prefix("/k/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Keys(*r), ElementsAre("/k/", "/k/A", "/k/a", "/k/a0", std::string("/k/\xff")));
}

TEST_P(BackendConformanceTest, RangePagesAscendingAndDescending) {
  std::vector<std::string> all;
  for (int i = 0; i < 25; ++i) {
    std::string key = absl::StrFormat("/events/%04d", i);
    all.push_back(key);
    ASSERT_TRUE(backend_->Put(MakeItem(key, absl::StrCat("value", i))).ok());
  }
  ASSERT_TRUE(backend_->Put(MakeItem("/eventsz", "outside")).ok());

  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  KeyRange range = KeyRange::Prefix("/events/");
  while (true) {
    auto page = backend_->Range(range, {/*limit=*/10, /*descending=*/false, false});
    ASSERT_TRUE(page.ok()) << page.status();
    sizes.push_back(page->items.size());
    for (const Item& item : page->items) seen.push_back(item.key);
    if (!page->more) break;
    range.start = NextKey(page->items.back().key);
  }
  EXPECT_THAT(sizes, ElementsAre(10, 10, 5));
  EXPECT_THAT(seen, ElementsAreArray(all));

  std::vector<std::string> reversed;
  sizes.clear();
  range = KeyRange::Prefix("/events/");
  while (true) {
    auto page = backend_->Range(range, {/*limit=*/10, /*descending=*/true, false});
    ASSERT_TRUE(page.ok()) << page.status();
    sizes.push_back(page->items.size());
    for (const Item& item : page->items) reversed.push_back(item.key);
    if (!page->more) break;
    range.end = page->items.back().key;
  }
  EXPECT_THAT(sizes, ElementsAre(10, 10, 5));
  EXPECT_THAT(reversed, ElementsAreArray(all.rbegin(), all.rend()));

  // A limit equal to the number of items leaves nothing more.
  auto exact = backend_->Range(KeyRange::Prefix("/events/"), {25, false, false});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), 25u);
  EXPECT_FALSE(exact->more);
}

TEST_P(BackendConformanceTest, RangeKeysOnlyAndRevision) {
  ASSERT_TRUE(backend_->Put(MakeItem("/h/1", "payload")).ok());
  auto last = backend_->Put(MakeItem("/h/2", "payload"));
  ASSERT_TRUE(last.ok());
  auto r = backend_->Range(KeyRange::Prefix("/h/"), {0, false, /*keys_only=*/true});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(r->items[0].value, "");
  EXPECT_GT(r->items[0].revision, 0);
  EXPECT_EQ(r->items[1].revision, *last);
  EXPECT_EQ(r->revision, *last);
}

TEST_P(BackendConformanceTest, DeleteRange) {
  for (const char* key : {"/tokens/a", "/tokens/b", "/tokensx", "/hosts/a"}) {
    ASSERT_TRUE(backend_->Put(MakeItem(key, "v")).ok());
  }
  auto before = backend_->CurrentRevision();
  ASSERT_TRUE(before.ok());
  auto deleted = backend_->DeleteRange(KeyRange::Prefix("/tokens/"));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2);
  auto after = backend_->CurrentRevision();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before + 1) << "one revision for the whole range";
  auto rest = backend_->Range(KeyRange::Prefix("/"), {});
  ASSERT_TRUE(rest.ok());
  EXPECT_THAT(Keys(*rest), ElementsAre("/hosts/a", "/tokensx"));

  // Deleting nothing is not an error and does not advance the revision.
  auto none = backend_->DeleteRange(KeyRange::Prefix("/tokens/"));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, 0);
  auto unchanged = backend_->CurrentRevision();
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, *after);

  // A bounded range.
  ASSERT_TRUE(backend_->Put(MakeItem("/e/1", "v")).ok());
  ASSERT_TRUE(backend_->Put(MakeItem("/e/2", "v")).ok());
  ASSERT_TRUE(backend_->Put(MakeItem("/e/3", "v")).ok());
  auto bounded = backend_->DeleteRange(KeyRange::Between("/e/", "/e/3"));
  ASSERT_TRUE(bounded.ok()) << bounded.status();
  EXPECT_EQ(*bounded, 2);
  EXPECT_TRUE(backend_->Get("/e/3").ok());
}

TEST_P(BackendConformanceTest, InvalidRangesAreRejected) {
  EXPECT_STATUS(backend_->Range(KeyRange::Between("/b", "/a"), {}).status(),
                absl::StatusCode::kInvalidArgument, "range end /a is not after its start");
  EXPECT_STATUS(backend_->DeleteRange(KeyRange::Between("/b", "/b")).status(),
                absl::StatusCode::kInvalidArgument, "is not after its start");
  EXPECT_STATUS(backend_->Count(KeyRange::Between(std::string(2000, '/'), "")).status(),
                absl::StatusCode::kInvalidArgument, "range bound longer than 1025 bytes");
}

TEST_P(BackendConformanceTest, SizeCaps) {
  const std::string max_key = "/" + std::string(kMaxKeySize - 1, 'k');
  const std::string max_value(kMaxValueSize, 'v');
  auto ok = backend_->Put(MakeItem(max_key, max_value));
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto item = backend_->Get(max_key);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value.size(), kMaxValueSize);

  struct Case {
    const char* name;
    std::string key;
    size_t value_size;
    std::string substr;
  };
  const Case cases[] = {
      {"empty key", "", 1, "key must not be empty"},
      {"long key", "/" + std::string(kMaxKeySize, 'k'), 1, "key is 1025 bytes (limit 1024)"},
      {"relative key", "tokens/a", 1, "key must start with '/'"},
      {"nul in key", std::string("/a\0b", 4), 1, "key must not contain a NUL byte"},
      {"long value", "/v", kMaxValueSize + 1, "value is 1048577 bytes (limit 1048576)"},
  };
  auto before = backend_->CurrentRevision();
  ASSERT_TRUE(before.ok());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Item bad = MakeItem(c.key, std::string(c.value_size, 'v'));
    const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
    EXPECT_STATUS(backend_->Put(bad).status(), kInvalid, c.substr);
    EXPECT_STATUS(backend_->Create(bad).status(), kInvalid, c.substr);
    EXPECT_STATUS(backend_->CompareAndSwap(1, bad).status(), kInvalid, c.substr);
    if (c.value_size == 1) {  // key-only operations
      EXPECT_STATUS(backend_->Get(c.key).status(), kInvalid, c.substr);
      EXPECT_STATUS(backend_->Delete(c.key).status(), kInvalid, c.substr);
      EXPECT_STATUS(backend_->CompareAndDelete(c.key, 1).status(), kInvalid, c.substr);
    }
  }
  // The over-long key is not echoed whole.
  auto long_key = backend_->Get("/" + std::string(kMaxKeySize, 'k'));
  EXPECT_LT(long_key.status().message().size(), 300u);
  auto after = backend_->CurrentRevision();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
}

TEST_P(BackendConformanceTest, ExpiredItemsAreInvisibleAndPurged) {
  if (!GetParam().clock_controls_expiry) GTEST_SKIP() << "backend keeps its own time";
  const absl::Time now = clock_.Now();
  Item lease = MakeItem("/tokens/short", "v");
  lease.expires = now + absl::Seconds(10);
  auto created = backend_->Create(lease);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(backend_->Put(MakeItem("/tokens/long", "v")).ok());
  auto item = backend_->Get("/tokens/short");
  ASSERT_TRUE(item.ok()) << item.status();
  ASSERT_TRUE(item->expires.has_value());
  EXPECT_EQ(*item->expires, now + absl::Seconds(10));

  clock_.Advance(absl::Seconds(9));
  EXPECT_TRUE(backend_->Get("/tokens/short").ok());
  clock_.Advance(absl::Seconds(1));  // expiry is exclusive: at `expires` it is gone
  EXPECT_STATUS(backend_->Get("/tokens/short").status(), absl::StatusCode::kNotFound,
                "get /tokens/short: not found");
  auto range = backend_->Range(KeyRange::Prefix("/tokens/"), {});
  ASSERT_TRUE(range.ok());
  EXPECT_THAT(Keys(*range), ElementsAre("/tokens/long"));
  auto count = backend_->Count(KeyRange::Prefix("/tokens/"));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);
  EXPECT_STATUS(backend_->CompareAndSwap(*created, MakeItem("/tokens/short", "x")).status(),
                absl::StatusCode::kNotFound, "not found");
  EXPECT_STATUS(backend_->Delete("/tokens/short").status(), absl::StatusCode::kNotFound,
                "not found");

  // An expired key can be created again, as a new key.
  auto recreated = backend_->Create(MakeItem("/tokens/short", "new"));
  ASSERT_TRUE(recreated.ok()) << recreated.status();
  auto fresh = backend_->Get("/tokens/short");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->create_revision, *recreated);
  EXPECT_FALSE(fresh->expires.has_value());

  // PurgeExpired removes what has expired and nothing else.
  for (int i = 0; i < 3; ++i) {
    Item e = MakeItem(absl::StrCat("/tmp/", i), "v");
    e.expires = clock_.Now() + absl::Seconds(1 + i);
    ASSERT_TRUE(backend_->Put(e).ok());
  }
  clock_.Advance(absl::Seconds(2));
  auto purged = backend_->PurgeExpired();
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 2);
  auto again = backend_->PurgeExpired();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  auto left = backend_->Range(KeyRange::Prefix("/tmp/"), {});
  ASSERT_TRUE(left.ok());
  EXPECT_THAT(Keys(*left), ElementsAre("/tmp/2"));
}

TEST_P(BackendConformanceTest, ExpiryMustBeInTheFuture) {
  Item past = MakeItem("/k", "v");
  past.expires = clock_.Now();
  EXPECT_STATUS(backend_->Put(past).status(), absl::StatusCode::kInvalidArgument,
                "put /k: expiry 2023-11-14T22:13:20Z is not in the future");
  EXPECT_STATUS(backend_->Create(past).status(), absl::StatusCode::kInvalidArgument,
                "is not in the future");
}

TEST_P(BackendConformanceTest, ConcurrentCompareAndSwapHasExactlyOneWinnerPerRound) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  ASSERT_TRUE(backend_->Put(MakeItem("/race", "start")).ok());
  for (int round = 0; round < kRounds; ++round) {
    auto current = backend_->Get("/race");
    ASSERT_TRUE(current.ok()) << current.status();
    std::atomic<int> winners{0};
    std::atomic<int> aborted{0};
    absl::Barrier* barrier = new absl::Barrier(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        if (barrier->Block()) delete barrier;
        auto r = backend_->CompareAndSwap(current->revision,
                                          MakeItem("/race", absl::StrCat(round, "/", t)));
        if (r.ok()) {
          winners++;
        } else if (r.status().code() == absl::StatusCode::kAborted &&
                   absl::StrContains(r.status().message(), "revision mismatch")) {
          aborted++;
        } else {
          ADD_FAILURE() << r.status();
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(aborted.load(), kThreads - 1) << "round " << round;
  }
}

TEST_P(BackendConformanceTest, ConcurrentIncrementsLoseNoUpdate) {
  constexpr int kThreads = 6;
  constexpr int kIncrements = 15;
  ASSERT_TRUE(backend_->Put(MakeItem("/counter", "0")).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          auto item = backend_->Get("/counter");
          if (!item.ok()) {
            ADD_FAILURE() << item.status();
            return;
          }
          int n = 0;
          if (!absl::SimpleAtoi(item->value, &n)) {
            ADD_FAILURE() << "bad counter " << item->value;
            return;
          }
          auto r = backend_->CompareAndSwap(item->revision,
                                            MakeItem("/counter", absl::StrCat(n + 1)));
          if (r.ok()) break;
          if (r.status().code() != absl::StatusCode::kAborted) {
            ADD_FAILURE() << r.status();
            return;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto item = backend_->Get("/counter");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->value, absl::StrCat(kThreads * kIncrements));
}

TEST_P(BackendConformanceTest, ConcurrentCreateHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> winners{0};
  std::atomic<int> conflicts{0};
  absl::Barrier* barrier = new absl::Barrier(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (barrier->Block()) delete barrier;
      auto r = backend_->Create(MakeItem("/hosts/same", absl::StrCat(t)));
      if (r.ok()) {
        winners++;
      } else if (r.status().code() == absl::StatusCode::kAlreadyExists) {
        conflicts++;
      } else {
        ADD_FAILURE() << r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
}

TEST_P(BackendConformanceTest, ReopenKeepsDataAndRevisionCounter) {
  if (!GetParam().persistent) GTEST_SKIP() << "backend is not persistent";
  ASSERT_TRUE(backend_->Put(MakeItem("/tokens/a", "A")).ok());
  Item lease = MakeItem("/tokens/lease", "L");
  lease.expires = clock_.Now() + absl::Hours(1);
  ASSERT_TRUE(backend_->Put(lease).ok());
  ASSERT_TRUE(backend_->Put(MakeItem("/tokens/gone", "G")).ok());
  ASSERT_TRUE(backend_->Delete("/tokens/gone").ok());
  auto before = backend_->CurrentRevision();
  ASSERT_TRUE(before.ok());
  auto item_before = backend_->Get("/tokens/a");
  ASSERT_TRUE(item_before.ok());
  backend_.reset();

  auto reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  backend_ = std::move(*reopened);
  auto after = backend_->CurrentRevision();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  auto item = backend_->Get("/tokens/a");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "A");
  EXPECT_EQ(item->revision, item_before->revision);
  EXPECT_EQ(item->create_revision, item_before->create_revision);
  auto l = backend_->Get("/tokens/lease");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->expires, lease.expires);
  EXPECT_STATUS(backend_->Get("/tokens/gone").status(), absl::StatusCode::kNotFound, "not found");
  auto next = backend_->Put(MakeItem("/tokens/b", "B"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, *before + 1);
}

TEST_P(BackendConformanceTest, DeferredWritesAreVisibleAtOnceAndSyncCallsBack) {
  {
    DeferredDurability defer;
    EXPECT_TRUE(DeferredDurability::Active());
    ASSERT_TRUE(backend_->Put(MakeItem("/events/1", "E")).ok());
    // Visible to every reader of this backend before it is known durable.
    auto got = backend_->Get("/events/1");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->value, "E");
  }
  EXPECT_FALSE(DeferredDurability::Active());
  absl::Notification synced;
  absl::Status result = absl::UnknownError("not called");
  backend_->Sync([&](absl::Status s) {
    result = std::move(s);
    synced.Notify();
  });
  ASSERT_TRUE(synced.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(result.ok()) << result;
  if (!GetParam().persistent) return;
  backend_.reset();
  auto reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto got = (*reopened)->Get("/events/1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value, "E");
}

TEST_P(BackendConformanceTest, DeferredDurabilityScopesNest) {
  EXPECT_FALSE(DeferredDurability::Active());
  {
    DeferredDurability outer;
    {
      DeferredDurability inner;
      EXPECT_TRUE(DeferredDurability::Active());
    }
    EXPECT_TRUE(DeferredDurability::Active());
    // Per thread: another thread is not in the scope.
    bool other = true;
    std::thread([&] { other = DeferredDurability::Active(); }).join();
    EXPECT_FALSE(other);
  }
  EXPECT_FALSE(DeferredDurability::Active());
}

TEST_P(BackendConformanceTest, TwoInstancesOnOneLocationShareState) {
  if (!GetParam().persistent) GTEST_SKIP() << "backend is not persistent";
  auto second = Reopen();
  ASSERT_TRUE(second.ok()) << second.status();
  auto r1 = backend_->Create(MakeItem("/shared", "1"));
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_STATUS((*second)->Create(MakeItem("/shared", "2")).status(),
                absl::StatusCode::kAlreadyExists, "already exists");
  auto r2 = (*second)->CompareAndSwap(*r1, MakeItem("/shared", "2"));
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_GT(*r2, *r1);
  EXPECT_STATUS(backend_->CompareAndSwap(*r1, MakeItem("/shared", "3")).status(),
                absl::StatusCode::kAborted, "revision mismatch");
  auto seen = backend_->Get("/shared");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->value, "2");
}

}  // namespace
}  // namespace enlist::storage
