#include "auth/storage/token_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/test_backends.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/token/auth/token_checker.h"

namespace enlist::storage {
namespace {

using ::testing::HasSubstr;

#define EXPECT_STATUS ENLIST_EXPECT_STATUS

class TokenStoreTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(token_method::RegisterTokenAuth(methods_).ok());
    dir_ = MakeTestDir(GetParam().name);
    OpenStore();
  }

  void OpenStore() {
    store_.reset();
    backend_.reset();
    auto backend = GetParam().open(dir_, &clock_);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = std::move(*backend);
    TokenStoreOptions options;
    options.clock = &clock_;
    store_ = std::make_unique<BackendTokenStore>(backend_.get(), &methods_, options);
  }

  token::TokenResource MakeToken(const std::string& name, const std::string& extra_meta = "",
                                 bool single_use = false) {
    auto tokens = token::ParseTokens(
        absl::StrCat("kind: token\nversion: v2\nmetadata:\n  name: ", name, "\n", extra_meta,
                     "spec:\n  roles: [node]\n  join_method: token\n  token:\n"
                     "    secret: correct-horse-battery-staple\n    single_use: ",
                     single_use ? "true" : "false", "\n"),
        "test.yaml", methods_);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    return tokens.ok() ? (*tokens)[0] : token::TokenResource{};
  }

  ManualClock clock_{absl::FromUnixSeconds(1700000000)};  // 2023-11-14T22:13:20Z
  join::AuthRegistry methods_;
  std::string dir_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<BackendTokenStore> store_;
};

TEST_P(TokenStoreTest, PutGetRoundTripsCanonicalToken) {
  ASSERT_TRUE(store_->PutToken(MakeToken("boot", "  description: first nodes\n", true), false)
                  .ok());
  auto got = store_->GetToken("boot");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.name, "boot");
  EXPECT_EQ(got->token.roles, std::vector<std::string>{"Node"});
  EXPECT_EQ(got->token.join_method, "token");
  EXPECT_EQ(got->token.description, "first nodes");
  EXPECT_GT(got->revision, 0);
  auto* spec = dynamic_cast<const token_method::TokenMethodSpec*>(got->token.spec.get());
  ASSERT_NE(spec, nullptr);
  EXPECT_TRUE(spec->single_use());
  EXPECT_EQ(spec->secret_sha256().size(), 32u);
  // The backend holds the canonical YAML, never the secret.
  auto raw = backend_->Get("/tokens/boot");
  ASSERT_TRUE(raw.ok());
  EXPECT_THAT(raw->value, HasSubstr("secret_sha256:"));
  EXPECT_THAT(raw->value, ::testing::Not(HasSubstr("correct-horse")));
}

TEST_P(TokenStoreTest, PutWithoutOverwriteConflicts) {
  ASSERT_TRUE(store_->PutToken(MakeToken("t1"), false).ok());
  auto first = store_->GetToken("t1");
  ASSERT_TRUE(first.ok());
  EXPECT_STATUS(store_->PutToken(MakeToken("t1"), false), absl::StatusCode::kAlreadyExists,
                "token \"t1\" already exists (use --force to overwrite)");
  ASSERT_TRUE(store_->PutToken(MakeToken("t1", "  description: replaced\n"), true).ok());
  auto second = store_->GetToken("t1");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->token.description, "replaced");
  EXPECT_GT(second->revision, first->revision);
}

TEST_P(TokenStoreTest, DeleteTokenIfRevisionIsCompareAndDelete) {
  ASSERT_TRUE(store_->PutToken(MakeToken("once", "", true), false).ok());
  auto read = store_->GetToken("once");
  ASSERT_TRUE(read.ok());
  // Someone rewrites the token after we read it: our delete must fail.
  ASSERT_TRUE(store_->PutToken(MakeToken("once", "", true), true).ok());
  EXPECT_STATUS(store_->DeleteTokenIfRevision("once", read->revision), absl::StatusCode::kAborted,
                "token \"once\" changed concurrently");
  auto fresh = store_->GetToken("once");
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE(store_->DeleteTokenIfRevision("once", fresh->revision).ok());
  EXPECT_STATUS(store_->DeleteTokenIfRevision("once", fresh->revision),
                absl::StatusCode::kNotFound, "token \"once\" not found");
  EXPECT_STATUS(store_->GetToken("once").status(), absl::StatusCode::kNotFound,
                "token \"once\" not found");
}

TEST_P(TokenStoreTest, SingleUseTokenIsConsumedOnceUnderContention) {
  ASSERT_TRUE(store_->PutToken(MakeToken("single", "", true), false).ok());
  auto read = store_->GetToken("single");
  ASSERT_TRUE(read.ok());
  constexpr int kThreads = 8;
  std::atomic<int> consumed{0};
  std::atomic<int> refused{0};
  absl::Barrier* barrier = new absl::Barrier(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      if (barrier->Block()) delete barrier;
      absl::Status s = store_->DeleteTokenIfRevision("single", read->revision);
      if (s.ok()) {
        consumed++;
      } else if (absl::IsAborted(s) || absl::IsNotFound(s)) {
        refused++;
      } else {
        ADD_FAILURE() << s;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(consumed.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
}

TEST_P(TokenStoreTest, DeleteToken) {
  EXPECT_STATUS(store_->DeleteToken("ghost"), absl::StatusCode::kNotFound,
                "token \"ghost\" not found");
  ASSERT_TRUE(store_->PutToken(MakeToken("t"), false).ok());
  ASSERT_TRUE(store_->DeleteToken("t").ok());
  EXPECT_STATUS(store_->GetToken("t").status(), absl::StatusCode::kNotFound, "not found");
}

TEST_P(TokenStoreTest, ListTokensSortedAndScoped) {
  for (const char* name : {"zeta", "alpha", "mid.dle", "Alpha-2"}) {
    ASSERT_TRUE(store_->PutToken(MakeToken(name), false).ok());
  }
  // Neighbouring keys are not tokens.
  Item other;
  other.key = "/tokensx";
  other.value = "not a token";
  ASSERT_TRUE(backend_->Put(other).ok());
  auto list = store_->ListTokens();
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<std::string> names;
  for (const auto& t : *list) names.push_back(t.token.name);
  EXPECT_THAT(names, ::testing::ElementsAre("Alpha-2", "alpha", "mid.dle", "zeta"));
}

TEST_P(TokenStoreTest, ExpiringTokensStayReadableForTheGraceThenVanish) {
  // Expires one minute after the test clock.
  ASSERT_TRUE(
      store_->PutToken(MakeToken("brief", "  expires: 2023-11-14T22:14:20Z\n"), false).ok());
  auto raw = backend_->Get("/tokens/brief");
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw->expires.has_value());
  EXPECT_EQ(*raw->expires, absl::FromUnixSeconds(1700000060) + absl::Hours(1));

  clock_.Advance(absl::Minutes(2));
  auto expired = store_->GetToken("brief");
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_TRUE(expired->token.ExpiredAt(clock_.Now()));

  clock_.Advance(absl::Hours(1));
  EXPECT_STATUS(store_->GetToken("brief").status(), absl::StatusCode::kNotFound,
                "token \"brief\" not found");
}

TEST_P(TokenStoreTest, PutRejections) {
  struct Case {
    const char* name;
    token::TokenResource token;
    absl::StatusCode code;
    std::string substr;
  };
  token::TokenResource slash = MakeToken("ok");
  slash.name = "a/b";
  token::TokenResource empty = MakeToken("ok");
  empty.name = "";
  const Case cases[] = {
      {"expired", MakeToken("old", "  expires: 2020-01-01T00:00:00Z\n"),
       absl::StatusCode::kInvalidArgument,
       "tokens: put \"old\": already expired at 2020-01-01T00:00:00Z"},
      {"slash in name", slash, absl::StatusCode::kInvalidArgument,
       "tokens: put: invalid token name \"a/b\""},
      {"empty name", empty, absl::StatusCode::kInvalidArgument, "invalid token name \"\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_STATUS(store_->PutToken(c.token, true), c.code, c.substr);
  }
  auto all = backend_->Range(KeyRange::Prefix("/"), {});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->items.empty());
}

TEST_P(TokenStoreTest, NamesOutsideTheTokenAlphabetAreNotFound) {
  ASSERT_TRUE(backend_->Put(Item{"/tokens/a/b", "x", 0, 0, std::nullopt}).ok());
  const std::string names[] = {"", "a/b", "../hosts/x", std::string(300, 'a'), "a\nb"};
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    EXPECT_STATUS(store_->GetToken(name).status(), absl::StatusCode::kNotFound, "not found");
    EXPECT_STATUS(store_->DeleteToken(name), absl::StatusCode::kNotFound, "not found");
    EXPECT_STATUS(store_->DeleteTokenIfRevision(name, 1), absl::StatusCode::kNotFound,
                  "not found");
  }
  EXPECT_STATUS(store_->GetToken("a\nb").status(), absl::StatusCode::kNotFound,
                "token \"a\\nb\" not found");
}

TEST_P(TokenStoreTest, CorruptStoredTokensAreDataLoss) {
  struct Case {
    const char* name;
    std::string key;
    std::string value;
    std::string substr;
  };
  const Case cases[] = {
      {"not yaml", "/tokens/bad", "kind: [", "tokens: stored token /tokens/bad does not parse: "},
      {"unknown method", "/tokens/bad",
       "kind: token\nversion: v2\nmetadata:\n  name: bad\nspec:\n  roles: [node]\n"
       "  join_method: azure\n",
       "unknown join method \"azure\""},
      {"other name", "/tokens/bad", token::TokenToYaml(MakeToken("good"), methods_),
       "tokens: stored token /tokens/bad does not hold exactly that token"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(backend_->Put(Item{c.key, c.value, 0, 0, std::nullopt}).ok());
    EXPECT_STATUS(store_->GetToken("bad").status(), absl::StatusCode::kDataLoss, c.substr);
    EXPECT_STATUS(store_->ListTokens().status(), absl::StatusCode::kDataLoss, c.substr);
  }
}

// GetToken reuses a parsed token only while the stored item is unchanged:
// a replaced, corrupted or deleted token is read afresh every time.
TEST_P(TokenStoreTest, RepeatedReadsFollowEveryChangeOfTheStoredToken) {
  ASSERT_TRUE(store_->PutToken(MakeToken("t1", "  description: one\n"), false).ok());
  for (int i = 0; i < 2; ++i) {
    auto got = store_->GetToken("t1");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->token.description, "one");
  }
  const int64_t first = store_->GetToken("t1")->revision;
  ASSERT_TRUE(store_->PutToken(MakeToken("t1", "  description: two\n"), true).ok());
  auto replaced = store_->GetToken("t1");
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->token.description, "two");
  EXPECT_GT(replaced->revision, first);

  // Written behind the store's back: not a token any more.
  ASSERT_TRUE(backend_->Put(Item{"/tokens/t1", "kind: [", 0, 0, std::nullopt}).ok());
  EXPECT_STATUS(store_->GetToken("t1").status(), absl::StatusCode::kDataLoss,
                "tokens: stored token /tokens/t1 does not parse: ");
  ASSERT_TRUE(
      backend_->Put(Item{"/tokens/t1", token::TokenToYaml(MakeToken("t1", "  description: three\n"), methods_), 0, 0, std::nullopt})
          .ok());
  EXPECT_EQ(store_->GetToken("t1")->token.description, "three");
  ASSERT_TRUE(store_->DeleteToken("t1").ok());
  EXPECT_STATUS(store_->GetToken("t1").status(), absl::StatusCode::kNotFound,
                "token \"t1\" not found");
}

TEST_P(TokenStoreTest, TokensAndRevisionsSurviveReopen) {
  if (!GetParam().persistent) GTEST_SKIP() << "backend is not persistent";
  ASSERT_TRUE(store_->PutToken(MakeToken("kept", "", true), false).ok());
  auto before = store_->GetToken("kept");
  ASSERT_TRUE(before.ok());
  OpenStore();
  auto after = store_->GetToken("kept");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->revision, before->revision);
  EXPECT_TRUE(store_->DeleteTokenIfRevision("kept", before->revision).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, TokenStoreTest, ::testing::ValuesIn(AllTestBackends()),
                         BackendFactoryName);

}  // namespace
}  // namespace enlist::storage
