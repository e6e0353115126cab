// GatedTokenStore: reads pass through while the gate is open and fail with
// the gate's status, without touching the inner store, while it is closed;
// writes, deletes and listing never consult the gate.
#include "core/token/gated_token_store.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::token {
namespace {

using ::testing::HasSubstr;

// A MemoryTokenStore that counts reads.
class CountingTokenStore final : public TokenStore {
 public:
  absl::StatusOr<StoredToken> GetToken(absl::string_view name) const override {
    ++reads_;
    return store_.GetToken(name);
  }
  absl::Status PutToken(const TokenResource& token, bool overwrite) override {
    return store_.PutToken(token, overwrite);
  }
  absl::Status DeleteTokenIfRevision(absl::string_view name, int64_t revision) override {
    return store_.DeleteTokenIfRevision(name, revision);
  }
  absl::Status DeleteToken(absl::string_view name) override { return store_.DeleteToken(name); }
  absl::StatusOr<std::vector<StoredToken>> ListTokens() const override {
    return store_.ListTokens();
  }
  int reads() const { return reads_; }

 private:
  MemoryTokenStore store_;
  mutable int reads_ = 0;
};

TokenResource Token(const std::string& name) {
  TokenResource t;
  t.name = name;
  t.roles = {"Node"};
  t.join_method = "token";
  return t;
}

class GatedTokenStoreTest : public ::testing::Test {
 protected:
  GatedTokenStoreTest()
      : gated_(&inner_, [this] {
          ++gate_calls_;
          return gate_;
        }) {}

  CountingTokenStore inner_;
  absl::Status gate_;
  int gate_calls_ = 0;
  GatedTokenStore gated_;
};

TEST_F(GatedTokenStoreTest, OpenGateReturnsTheInnerResult) {
  ASSERT_TRUE(inner_.PutToken(Token("boot"), false).ok());
  absl::StatusOr<StoredToken> got = gated_.GetToken("boot");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->token.name, "boot");
  EXPECT_EQ(got->revision, inner_.GetToken("boot")->revision);
  // The inner store's errors pass unchanged too.
  absl::StatusOr<StoredToken> missing = gated_.GetToken("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "token \"nope\" not found");
  EXPECT_EQ(gate_calls_, 2);
}

TEST_F(GatedTokenStoreTest, ClosedGateFailsReadsWithItsStatusWithoutReadingInner) {
  ASSERT_TRUE(inner_.PutToken(Token("boot"), false).ok());
  const absl::Status closed[] = {
      absl::FailedPreconditionError("ca: the cluster CA in storage changed"),
      absl::UnavailableError("tokens: get \"boot\": storage: etcd: no leader"),
      absl::InternalError("tokens: corrupt"),
  };
  for (const absl::Status& s : closed) {
    SCOPED_TRACE(s.ToString());
    gate_ = s;
    absl::StatusOr<StoredToken> got = gated_.GetToken("boot");
    EXPECT_EQ(got.status().code(), s.code());
    EXPECT_EQ(got.status().message(), s.message());
  }
  EXPECT_EQ(inner_.reads(), 0);
  // The gate is asked on every read: reopened, reads reach the store again.
  gate_ = absl::OkStatus();
  EXPECT_TRUE(gated_.GetToken("boot").ok());
  EXPECT_EQ(inner_.reads(), 1);
}

TEST_F(GatedTokenStoreTest, WritesDeletesAndListingBypassAClosedGate) {
  gate_ = absl::FailedPreconditionError("ca: changed");
  ASSERT_TRUE(gated_.PutToken(Token("a"), false).ok());
  ASSERT_TRUE(gated_.PutToken(Token("b"), false).ok());
  absl::Status dup = gated_.PutToken(Token("a"), false);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.message(), HasSubstr("token \"a\" already exists"));

  absl::StatusOr<std::vector<StoredToken>> list = gated_.ListTokens();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].token.name, "a");

  absl::Status stale = gated_.DeleteTokenIfRevision("a", (*list)[0].revision + 100);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.message(), HasSubstr("token \"a\" changed concurrently"));
  EXPECT_TRUE(gated_.DeleteTokenIfRevision("a", (*list)[0].revision).ok());
  EXPECT_TRUE(gated_.DeleteToken("b").ok());
  absl::Status gone = gated_.DeleteToken("b");
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(gone.message(), HasSubstr("token \"b\" not found"));

  EXPECT_TRUE(inner_.ListTokens()->empty());
  EXPECT_EQ(gate_calls_, 0);
}

}  // namespace
}  // namespace enlist::token
