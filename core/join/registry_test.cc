#include "core/join/registry.h"

#include <memory>

#include "core/join/testing/fakes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::join {
namespace {

using testing::FakeAgentMethod;
using testing::FakeAuthMethod;

TEST(RegistryTest, FindsRegisteredMethods) {
  AuthRegistry r;
  ASSERT_TRUE(r.Register(std::make_unique<FakeAuthMethod>(1, "alpha")).ok());
  ASSERT_TRUE(r.Register(std::make_unique<FakeAuthMethod>(1, "beta")).ok());
  auto m = r.Get("beta");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->name(), "beta");
  EXPECT_THAT(r.Names(), ::testing::ElementsAre("alpha", "beta"));
}

TEST(RegistryTest, DuplicateNameIsAnError) {
  AgentRegistry r;
  ASSERT_TRUE(r.Register(std::make_unique<FakeAgentMethod>("fake")).ok());
  absl::Status s = r.Register(std::make_unique<FakeAgentMethod>("fake"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "registry: join method \"fake\" is already registered");
}

TEST(RegistryTest, UnknownNameListsKnownOnes) {
  AuthRegistry r;
  ASSERT_TRUE(r.Register(std::make_unique<FakeAuthMethod>(1, "token")).ok());
  ASSERT_TRUE(r.Register(std::make_unique<FakeAuthMethod>(1, "azure")).ok());
  auto m = r.Get("gcp");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.status().message(), "unknown join method \"gcp\" (known: azure, token)");
}

TEST(RegistryTest, RejectsBadNames) {
  AuthRegistry r;
  absl::Status s = r.Register(std::make_unique<FakeAuthMethod>(1, "Bad Name"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "registry: invalid join method name \"Bad Name\"");
  EXPECT_EQ(r.Register(nullptr).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace enlist::join
