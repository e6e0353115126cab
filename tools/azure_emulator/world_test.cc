#include "tools/azure_emulator/world.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::azure_emulator {
namespace {

using ::testing::HasSubstr;

constexpr char kHeader[] = R"(version: v1
region: westeurope
tenants:
  - id: 72F988BF-86F1-41AF-91AB-2D7CD011DB47
    subscriptions: [11111111-2222-3333-4444-555555555555, {id: 99999999-8888-7777-6666-555555555555, name: other}]
identities:
  - name: app-id
    client_id: 6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b
    subscription: 99999999-8888-7777-6666-555555555555
    resource_group: ids-rg
scale_sets:
  - {name: web, subscription: 11111111-2222-3333-4444-555555555555, resource_group: web-rg}
  - {name: flex, subscription: 11111111-2222-3333-4444-555555555555, resource_group: web-rg, orchestration: flexible}
)";

TEST(WorldTest, ParsesEveryKind) {
  std::string text = absl::StrCat(kHeader, R"(vms:
  - {name: a, vm_id: 00000000-0000-4000-8000-000000000001, subscription: 11111111-2222-3333-4444-555555555555, resource_group: RG}
  - {name: b, vm_id: 00000000-0000-4000-8000-000000000002, subscription: 11111111-2222-3333-4444-555555555555, resource_group: rg, identity: user, user_identity: app-id, expect: denied, reason: nope}
  - {name: web_3, vm_id: 00000000-0000-4000-8000-000000000003, subscription: 11111111-2222-3333-4444-555555555555, resource_group: WEB-rg, scale_set: web, instance_id: "3"}
  - {name: flex_1, vm_id: 00000000-0000-4000-8000-000000000004, subscription: 11111111-2222-3333-4444-555555555555, resource_group: web-rg, scale_set: flex, faults: {latency: 50ms, throttle_count: 2, retry_after: 3, document: wrong_nonce, document_count: 1}}
demo:
  token_rewrite: {group1: web-rg}
)");
  absl::StatusOr<World> w = ParseWorld(text, "world.yaml");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->region, "westeurope");
  ASSERT_EQ(w->vms.size(), 4u);
  EXPECT_EQ(w->vms[0].tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47");
  EXPECT_FALSE(w->vms[0].user_assigned);
  EXPECT_TRUE(w->vms[1].user_assigned);
  EXPECT_EQ(w->vms[1].expect, "denied");
  EXPECT_EQ(w->FindIdentity("app-id")->ResourceId(),
            "/subscriptions/99999999-8888-7777-6666-555555555555/resourceGroups/ids-rg/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/app-id");
  EXPECT_EQ(w->vms[2].ResourceId(w->FindScaleSet("web")),
            "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/web-rg/providers/"
            "Microsoft.Compute/virtualMachineScaleSets/web/virtualMachines/3");
  EXPECT_EQ(w->vms[3].ResourceId(w->FindScaleSet("flex")),
            "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/web-rg/providers/"
            "Microsoft.Compute/virtualMachines/flex_1");
  EXPECT_EQ(w->vms[3].faults.latency, absl::Milliseconds(50));
  EXPECT_EQ(w->vms[3].faults.document, DocumentFault::kWrongNonce);
  EXPECT_EQ(w->vms[3].faults.retry_after_seconds, 3);
  ASSERT_EQ(w->token_rewrite.size(), 1u);
  EXPECT_EQ(w->token_rewrite[0].second, "web-rg");
}

struct BadCase {
  const char* name;
  std::string vms;  // appended after kHeader (or the whole file when no header)
  const char* message;
  bool header = true;
};

class WorldErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(WorldErrorTest, PreciseError) {
  const BadCase& c = GetParam();
  absl::StatusOr<World> w =
      ParseWorld(c.header ? absl::StrCat(kHeader, c.vms) : c.vms, "world.yaml");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(w.status().message()), HasSubstr(c.message)) << w.status();
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("world.yaml:"));
}

constexpr char kVm[] =
    "vms:\n  - {name: a, vm_id: 00000000-0000-4000-8000-000000000001, subscription: "
    "11111111-2222-3333-4444-555555555555, resource_group: rg";

INSTANTIATE_TEST_SUITE_P(
    Cases, WorldErrorTest,
    ::testing::Values(
        BadCase{"version", "version: v9\ntenants: []\n", "unsupported version \"v9\"", false},
        BadCase{"unknown_top", "colour: blue\n", "colour: unknown field"},
        BadCase{"unknown_vm_key", absl::StrCat(kVm, ", size: big}\n"), "vms[0].size: unknown field"},
        BadCase{"bad_uuid",
                "vms:\n  - {name: a, vm_id: not-a-uuid, subscription: "
                "11111111-2222-3333-4444-555555555555, resource_group: rg}\n",
                "\"not-a-uuid\" is not a UUID"},
        BadCase{"unknown_subscription",
                "vms:\n  - {name: a, vm_id: 00000000-0000-4000-8000-000000000001, subscription: "
                "12345678-2222-3333-4444-555555555555, resource_group: rg}\n",
                "subscription is not listed under any tenant"},
        BadCase{"bad_name", absl::StrCat(kVm, "}\n  - {name: 'a b', vm_id: 00000000-0000-4000-8000-000000000002, subscription: 11111111-2222-3333-4444-555555555555, resource_group: rg}\n"),
                "is not an Azure name"},
        BadCase{"duplicate_vm_id", absl::StrCat(kVm, "}\n  - {name: b, vm_id: 00000000-0000-4000-8000-000000000001, subscription: 11111111-2222-3333-4444-555555555555, resource_group: rg}\n"),
                "two VMs have this vm_id"},
        BadCase{"user_without_identity", absl::StrCat(kVm, ", identity: user}\n"),
                "identity: user needs user_identity"},
        BadCase{"unknown_identity", absl::StrCat(kVm, ", identity: user, user_identity: nobody}\n"),
                "no identity named \"nobody\""},
        BadCase{"unknown_scale_set", absl::StrCat(kVm, ", scale_set: nope}\n"),
                "no scale set named \"nope\""},
        BadCase{"uniform_needs_instance",
                "vms:\n  - {name: a, vm_id: 00000000-0000-4000-8000-000000000001, subscription: "
                "11111111-2222-3333-4444-555555555555, resource_group: web-rg, scale_set: web}\n",
                "needs instance_id"},
        BadCase{"member_elsewhere", absl::StrCat(kVm, ", scale_set: web, instance_id: '1'}\n"),
                "must be in its scale set's subscription and resource group"},
        BadCase{"bad_expect", absl::StrCat(kVm, ", expect: maybe}\n"), "must be joined or denied"},
        BadCase{"bad_fault", absl::StrCat(kVm, ", faults: {document: shredded}}\n"),
                "unknown document fault \"shredded\""},
        BadCase{"bad_status", absl::StrCat(kVm, ", faults: {error_status: 200}}\n"),
                "error_status must be 400-599"},
        BadCase{"token_for_unknown", absl::StrCat(kVm, ", faults: {token_for: ghost}}\n"),
                "faults.token_for: no VM named \"ghost\""},
        BadCase{"endpoint", "endpoint_faults: {dns: {latency: 1s}}\n", "unknown endpoint \"dns\""},
        BadCase{"syntax", "vms: [\n", "world.yaml:"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

TEST(WorldTest, MissingFileIsNotFound) {
  absl::StatusOr<World> w = LoadWorldFile("/nonexistent/world.yaml");
  EXPECT_EQ(w.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("world file: "));
}

}  // namespace
}  // namespace enlist::azure_emulator
