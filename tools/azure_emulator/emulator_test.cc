// The emulator's routing, faults and artifacts. The artifacts are checked by
// OpenSSL's command-line tools directly (`openssl cms -verify`, `openssl dgst
// -verify` with a key rebuilt from the JWK), not only by Enlist's verifier,
// so the emulator is not merely "whatever our checker accepts".
#include "tools/azure_emulator/emulator.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/crypto/pkcs7.h"
#include "core/der/der_writer.h"
#include "core/encoding/base64.h"
#include "core/json/json.h"
#include "core/testing/subprocess.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::azure_emulator {
namespace {

using ::testing::HasSubstr;
namespace dw = ::enlist::der::write;

constexpr char kBase[] = "http://127.0.0.1:9";
constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr char kSub[] = "11111111-2222-3333-4444-555555555555";
constexpr char kOtherSub[] = "99999999-8888-7777-6666-555555555555";

constexpr char kWorld[] = R"(version: v1
page_size: 1
tenants:
  - id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    subscriptions: [11111111-2222-3333-4444-555555555555, 99999999-8888-7777-6666-555555555555]
identities:
  - {name: app-id, client_id: 6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b, subscription: 99999999-8888-7777-6666-555555555555, resource_group: ids-rg}
scale_sets:
  - {name: web, subscription: 11111111-2222-3333-4444-555555555555, resource_group: web-rg}
vms:
  - {name: vm-1, vm_id: 00000000-0000-4000-8000-000000000001, subscription: 11111111-2222-3333-4444-555555555555, resource_group: rg-1}
  - {name: vm-2, vm_id: 00000000-0000-4000-8000-000000000002, subscription: 11111111-2222-3333-4444-555555555555, resource_group: rg-1, identity: user, user_identity: app-id}
  - {name: vm-3, vm_id: 00000000-0000-4000-8000-000000000003, subscription: 11111111-2222-3333-4444-555555555555, resource_group: rg-2}
  - {name: web_0, vm_id: 00000000-0000-4000-8000-000000000004, subscription: 11111111-2222-3333-4444-555555555555, resource_group: web-rg, scale_set: web, instance_id: "0"}
  - {name: other, vm_id: 00000000-0000-4000-8000-000000000005, subscription: 99999999-8888-7777-6666-555555555555, resource_group: rg-9}
)";

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<World> w = ParseWorld(kWorld, "world.yaml");
    ASSERT_TRUE(w.ok()) << w.status();
    EmulatorOptions o;
    o.base_url = kBase;
    o.key_grace = absl::Minutes(10);
    auto e = Emulator::Create(*std::move(w), o, &clock_);
    ASSERT_TRUE(e.ok()) << e.status();
    emu_ = *std::move(e);
    dir_ = std::getenv("TEST_TMPDIR");
  }

  Response Get(const std::string& path, std::map<std::string, std::string> query = {},
               bool metadata = true, const std::string& bearer = "") {
    Request r;
    r.path = path;
    r.query = std::move(query);
    if (metadata) r.headers["metadata"] = "true";
    if (!bearer.empty()) r.headers["authorization"] = absl::StrCat("Bearer ", bearer);
    return emu_->Handle(r);
  }
  Response Post(const std::string& path, const std::string& body,
                std::map<std::string, std::string> query = {}) {
    Request r;
    r.method = "POST";
    r.path = path;
    r.query = std::move(query);
    r.body = body;
    return emu_->Handle(r);
  }
  json::Value Json(const Response& r) {
    absl::StatusOr<json::Value> v = json::Parse(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? *v : json::Value();
  }
  // The DER SignedData of a document answer.
  std::string DocumentDer(const Response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    json::Value v = Json(r);
    EXPECT_EQ(*v.GetString("encoding"), "pkcs7");
    absl::StatusOr<std::string> der = encoding::Base64Decode(*v.GetString("signature"));
    EXPECT_TRUE(der.ok());
    return der.ok() ? *der : "";
  }
  std::string Document(const std::string& vm, const std::string& nonce,
                       const std::string& variant = "") {
    std::map<std::string, std::string> q = {{"api-version", "2021-02-01"}, {"nonce", nonce}};
    if (!variant.empty()) q["variant"] = variant;
    return DocumentDer(Get(absl::StrCat("/vm/", vm, "/metadata/attested/document"), q));
  }
  std::string Token(const std::string& vm, const std::string& client_id = "") {
    std::map<std::string, std::string> q = {{"api-version", "2018-02-01"},
                                            {"resource", "https://management.azure.com/"}};
    if (!client_id.empty()) q["client_id"] = client_id;
    Response r = Get(absl::StrCat("/vm/", vm, "/metadata/identity/oauth2/token"), q);
    EXPECT_EQ(r.status, 200) << r.body;
    return *Json(r).GetString("access_token");
  }
  json::Value Claims(const std::string& jwt) {
    std::vector<std::string> parts = absl::StrSplit(jwt, '.');
    EXPECT_EQ(parts.size(), 3u);
    return *json::Parse(*encoding::Base64UrlDecode(parts[1]));
  }
  std::string Run(const std::vector<std::string>& argv, int* rc) {
    std::string out;
    absl::StatusOr<int> s = testing::RunCommand(argv, &out);
    *rc = s.ok() ? *s : -1;
    return out;
  }

  ManualClock clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<Emulator> emu_;
  std::string dir_;
};

TEST_F(EmulatorTest, ImdsNeedsTheMetadataHeader) {
  Response r = Get("/vm/vm-1/metadata/attested/document", {{"api-version", "2021-02-01"}}, false);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Required metadata header not specified"));
  r = Get("/vm/vm-1/metadata/identity/oauth2/token", {{"api-version", "2018-02-01"}}, false);
  EXPECT_EQ(r.status, 400);
  r = Get("/vm/vm-1/metadata/versions", {}, false);
  EXPECT_EQ(r.status, 400);
}

TEST_F(EmulatorTest, ImdsRouting) {
  EXPECT_THAT(Get("/vm/vm-1/metadata/versions").body, HasSubstr("\"2021-02-01\""));
  EXPECT_EQ(Get("/vm/nobody/metadata/versions").status, 404);
  Response r = Get("/vm/vm-1/metadata/attested/document");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("api-version was not specified"));
  EXPECT_THAT(r.body, HasSubstr("newest-versions"));
  r = Get("/vm/vm-1/metadata/attested/document", {{"api-version", "1999-01-01"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("api-version is invalid"));
  r = Get("/vm/vm-1/metadata/attested/document",
          {{"api-version", "2021-02-01"}, {"nonce", std::string(33, 'n')}});
  EXPECT_EQ(r.status, 400);
  r = Get("/vm/vm-1/metadata/identity/oauth2/token", {{"api-version", "2018-02-01"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("'resource' is missing"));
  EXPECT_EQ(Get("/vm/vm-1/metadata/instance", {{"api-version", "2021-02-01"}}).status, 404);
  EXPECT_EQ(Get(std::string(3000, 'a')).status, 414);
}

TEST_F(EmulatorTest, DocumentEchoesNonceAndVerifies) {
  absl::StatusOr<crypto::VerifiedSignedData> sd =
      crypto::VerifySignedData(Document("vm-1", "abcDEF123_-"));
  ASSERT_TRUE(sd.ok()) << sd.status();
  json::Value p = *json::Parse(sd->content);
  EXPECT_EQ(*p.GetString("nonce"), "abcDEF123_-");
  EXPECT_EQ(*p.GetString("vmId"), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(*p.GetString("subscriptionId"), kSub);
  const json::Value* ts = p.Find("timeStamp");
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(*ts->GetString("createdOn"), "01/01/26 00:00:00 -0000");
  EXPECT_EQ(*ts->GetString("expiresOn"), "01/01/26 06:00:00 -0000");
  // Before 2019-04-30 IMDS left subscriptionId out.
  Response old = Get("/vm/vm-1/metadata/attested/document",
                     {{"api-version", "2018-10-01"}, {"nonce", "n"}});
  sd = crypto::VerifySignedData(DocumentDer(old));
  ASSERT_TRUE(sd.ok());
  EXPECT_THAT(sd->content, ::testing::Not(HasSubstr("subscriptionId")));
}

TEST_F(EmulatorTest, OpensslCmsVerifiesTheStandardVariant) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/doc.der", Document("vm-1", "opensslnonce", "standard")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/root.pem", emu_->root_pem()).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/issuing.der", emu_->pki().PkiopsFile(kIssuingCaFile)).ok());
  int rc = 0;
  std::string out = Run({"/usr/bin/openssl", "x509", "-inform", "DER", "-in", dir_ + "/issuing.der",
                         "-out", dir_ + "/issuing.pem"}, &rc);
  ASSERT_EQ(rc, 0) << out;
  // `openssl cms -verify` takes extra chain certificates only from the trust
  // file: give it the root plus the intermediate (as an agent would fetch
  // it), and check below that the intermediate alone is not enough.
  absl::StatusOr<std::string> issuing_pem = ReadFileCapped(dir_ + "/issuing.pem", 1 << 16);
  ASSERT_TRUE(issuing_pem.ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/trust.pem", emu_->root_pem() + *issuing_pem).ok());
  // The leaf is a TLS-style certificate (serverAuth), as Azure's is: any purpose.
  auto verify = [&](const std::string& cafile, const std::string& out_file) {
    return Run({"/usr/bin/openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                dir_ + "/doc.der", "-CAfile", cafile, "-purpose", "any", "-attime",
                "1767225600", "-out", out_file},
               &rc);
  };
  out = verify(dir_ + "/trust.pem", dir_ + "/content.json");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Verification successful"));
  absl::StatusOr<std::string> content = ReadFileCapped(dir_ + "/content.json", 4096);
  ASSERT_TRUE(content.ok());
  EXPECT_THAT(*content, HasSubstr("\"nonce\":\"opensslnonce\""));
  // Without the emulator's root OpenSSL refuses it.
  out = verify(dir_ + "/issuing.pem", "/dev/null");
  EXPECT_NE(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Verification failure"));
  // The signer certificate: SAN in metadata.azure.com, AIA at the emulator.
  out = Run({"/usr/bin/openssl", "pkcs7", "-print_certs", "-inform", "DER", "-in",
             dir_ + "/doc.der", "-out", dir_ + "/signer.pem"}, &rc);
  ASSERT_EQ(rc, 0) << out;
  out = Run({"/usr/bin/openssl", "x509", "-noout", "-text", "-in", dir_ + "/signer.pem"}, &rc);
  EXPECT_THAT(out, HasSubstr("DNS:eastus.metadata.azure.com"));
  EXPECT_THAT(out, HasSubstr("CA Issuers - URI:http://127.0.0.1:9/pkiops/certs/issuing-ca.crt"));
}

TEST_F(EmulatorTest, OpensslVerifiesTheTokenWithTheJwk) {
  const std::string jwt = Token("vm-1");
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  ASSERT_EQ(parts.size(), 3u);
  json::Value header = *json::Parse(*encoding::Base64UrlDecode(parts[0]));
  EXPECT_EQ(*header.GetString("alg"), "RS256");
  // Discovery -> jwks_uri -> the key with the token's kid.
  Response d = Get(absl::StrCat("/", kTenant, "/.well-known/openid-configuration"), {}, false);
  ASSERT_EQ(d.status, 200);
  const std::string jwks_uri = *Json(d).GetString("jwks_uri");
  ASSERT_EQ(jwks_uri, absl::StrCat(kBase, "/", kTenant, "/discovery/keys"));
  json::Value jwks = Json(Get(jwks_uri.substr(std::string(kBase).size()), {}, false));
  const json::Value* key = nullptr;
  for (const json::Value& k : jwks.Find("keys")->array()) {
    if (*k.GetString("kid") == *header.GetString("kid")) key = &k;
  }
  ASSERT_NE(key, nullptr);
  // SubjectPublicKeyInfo from n and e by hand (RFC 8017 A.1.1, RFC 5280).
  auto uint = [](std::string b) {
    if (!b.empty() && (static_cast<uint8_t>(b[0]) & 0x80)) b.insert(b.begin(), '\0');
    return dw::IntegerBytes(b);
  };
  std::string n = *encoding::Base64UrlDecode(*key->GetString("n"));
  std::string e = *encoding::Base64UrlDecode(*key->GetString("e"));
  std::string rsa_key = dw::Seq({uint(n), uint(e)});
  std::string spki = dw::Seq({dw::Seq({*dw::Oid("1.2.840.113549.1.1.1"), dw::Null()}),
                              dw::Tlv(0x03, std::string(1, '\0') + rsa_key)});
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/pub.der", spki).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/data.txt", parts[0] + "." + parts[1]).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/sig.bin", *encoding::Base64UrlDecode(parts[2])).ok());
  int rc = 0;
  std::string out = Run({"/usr/bin/openssl", "dgst", "-sha256", "-keyform", "DER", "-verify",
                         dir_ + "/pub.der", "-signature", dir_ + "/sig.bin", dir_ + "/data.txt"},
                        &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Verified OK"));
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/data.txt", parts[0] + "." + parts[1] + "x").ok());
  out = Run({"/usr/bin/openssl", "dgst", "-sha256", "-keyform", "DER", "-verify",
             dir_ + "/pub.der", "-signature", dir_ + "/sig.bin", dir_ + "/data.txt"},
            &rc);
  EXPECT_NE(rc, 0) << out;
}

TEST_F(EmulatorTest, TokenClaimsPerIdentityKind) {
  json::Value c = Claims(Token("vm-1"));
  EXPECT_EQ(*c.GetString("iss"), absl::StrCat(kBase, "/", kTenant, "/"));
  EXPECT_EQ(*c.GetString("aud"), "https://management.azure.com/");
  EXPECT_EQ(*c.GetString("tid"), kTenant);
  EXPECT_THAT(*c.GetString("xms_mirid"), HasSubstr("/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1"));
  EXPECT_EQ(c.Find("xms_az_rid"), nullptr);
  // User-assigned: the identity's own id (another subscription) + the VM.
  c = Claims(Token("vm-2", "6A1F0C2E-3B4D-4E5F-8A9B-0C1D2E3F4A5B"));
  EXPECT_EQ(*c.GetString("xms_mirid"),
            absl::StrCat("/subscriptions/", kOtherSub,
                         "/resourceGroups/ids-rg/providers/Microsoft.ManagedIdentity/"
                         "userAssignedIdentities/app-id"));
  EXPECT_THAT(*c.GetString("xms_az_rid"), HasSubstr("/virtualMachines/vm-2"));
  EXPECT_EQ(*c.GetString("appid"), "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  // Uniform scale-set member: the identity is the scale set's.
  c = Claims(Token("web_0"));
  EXPECT_THAT(*c.GetString("xms_mirid"), ::testing::EndsWith("/virtualMachineScaleSets/web"));
  // A client_id that is not the VM's identity.
  Response r = Get("/vm/vm-1/metadata/identity/oauth2/token",
                   {{"api-version", "2018-02-01"}, {"resource", "x"},
                    {"client_id", "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Identity not found"));
}

TEST_F(EmulatorTest, KeyRotationKeepsTheOldKeyForTheGracePeriod) {
  const std::string old_kid = emu_->keys().current_kid();
  Response r = Post("/admin/rotate-keys", "");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string new_kid = *Json(r).GetString("kid");
  EXPECT_NE(new_kid, old_kid);
  auto kids = [&]() {
    std::vector<std::string> out;
    json::Value jwks = Json(Get("/common/discovery/keys", {}, false));
    for (const json::Value& k : jwks.Find("keys")->array()) out.push_back(*k.GetString("kid"));
    return out;
  };
  EXPECT_THAT(kids(), ::testing::ElementsAre(new_kid, old_kid));
  json::Value header = *json::Parse(*encoding::Base64UrlDecode(
      std::vector<std::string>(absl::StrSplit(Token("vm-1"), '.'))[0]));
  EXPECT_EQ(*header.GetString("kid"), new_kid);
  clock_.Advance(absl::Minutes(11));
  EXPECT_THAT(kids(), ::testing::ElementsAre(new_kid));
}

TEST_F(EmulatorTest, EntraRouting) {
  Response r = Get("/00000000-0000-0000-0000-00000000dead/.well-known/openid-configuration");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("AADSTS90002"));
  r = Get(absl::StrCat("/", kTenant, "/v2.0/.well-known/openid-configuration"));
  EXPECT_EQ(*Json(r).GetString("issuer"), absl::StrCat(kBase, "/", kTenant, "/v2.0"));
  EXPECT_EQ(Get(absl::StrCat("/", kTenant, "/nothing")).status, 404);
}

TEST_F(EmulatorTest, ArmReadsAndPaging) {
  const std::string bearer = Token("vm-1");
  const std::string vm1 = absl::StrCat("/subscriptions/", kSub,
                                       "/resourceGroups/RG-1/providers/Microsoft.Compute/"
                                       "virtualMachines/VM-1");
  Response r = Get(vm1, {{"api-version", "2023-03-01"}}, false);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("AuthenticationFailed"));
  r = Get(vm1, {}, false, bearer);
  EXPECT_EQ(r.status, 400);
  r = Get(vm1, {{"api-version", "2023-03-01"}}, false, bearer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*Json(r).Find("properties")->GetString("vmId"), "00000000-0000-4000-8000-000000000001");
  // The subscription's VMs, one per page (page_size: 1); uniform instances
  // are not listed as VMs.
  std::vector<std::string> names;
  std::string path = absl::StrCat("/subscriptions/", kSub,
                                  "/providers/Microsoft.Compute/virtualMachines");
  std::map<std::string, std::string> q = {{"api-version", "2023-03-01"}};
  for (int page = 0; page < 10; ++page) {
    json::Value v = Json(Get(path, q, false, bearer));
    for (const json::Value& vm : v.Find("value")->array()) names.push_back(*vm.GetString("name"));
    const json::Value* next = v.Find("nextLink");
    if (next == nullptr) break;
    ASSERT_THAT(next->string_value(), ::testing::StartsWith(absl::StrCat(kBase, path, "?")));
    std::vector<std::string> halves = absl::StrSplit(next->string_value(), "$skiptoken=");
    ASSERT_EQ(halves.size(), 2u);
    q["$skiptoken"] = halves[1];
  }
  EXPECT_THAT(names, ::testing::ElementsAre("vm-1", "vm-2", "vm-3"));
  // Scale-set instances.
  json::Value inst = Json(Get(absl::StrCat("/subscriptions/", kSub,
                                           "/resourceGroups/web-rg/providers/Microsoft.Compute/"
                                           "virtualMachineScaleSets/web/virtualMachines"),
                              {{"api-version", "2023-03-01"}}, false, bearer));
  ASSERT_EQ(inst.Find("value")->array().size(), 1u);
  EXPECT_THAT(*inst.Find("value")->array()[0].GetString("id"),
              ::testing::EndsWith("/virtualMachineScaleSets/web/virtualMachines/0"));
  r = Get(absl::StrCat("/subscriptions/", kSub,
                       "/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/nope"),
          {{"api-version", "2023-03-01"}}, false, bearer);
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("ResourceNotFound"));
}

TEST_F(EmulatorTest, PkiopsServesTheIntermediateAsDer) {
  Response r = Get("/pkiops/certs/issuing-ca.crt", {}, false);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/pkix-cert");
  EXPECT_EQ(static_cast<uint8_t>(r.body[0]), 0x30);
  EXPECT_EQ(Get("/pkiops/certs/other.crt", {}, false).status, 404);
}

TEST_F(EmulatorTest, ThrottleThenErrorThenSuccess) {
  Response r = Post("/admin/faults/vm-1",
                    R"({"throttle_count":1,"retry_after":2,"error_status":503,"error_count":1,"latency":"5ms"})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Get("/vm/vm-1/metadata/versions");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.delay, absl::Milliseconds(5));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Retry-After"), std::string("2")));
  EXPECT_EQ(Get("/vm/vm-1/metadata/versions").status, 503);
  EXPECT_EQ(Get("/vm/vm-1/metadata/versions").status, 200);
  EXPECT_EQ(Get("/vm/vm-2/metadata/versions").status, 200);
  // Endpoint faults and clearing.
  ASSERT_EQ(Post("/admin/faults/arm", R"({"error_status":500})").status, 200);
  EXPECT_EQ(Get(absl::StrCat("/subscriptions/", kSub, "/providers/Microsoft.Compute/virtualMachines"),
                {{"api-version", "x"}}, false, Token("vm-1")).status, 500);
  Request del;
  del.method = "DELETE";
  del.path = "/admin/faults/arm";
  EXPECT_EQ(emu_->Handle(del).status, 200);
  // Bad admin input.
  EXPECT_EQ(Post("/admin/faults/nobody", "{}").status, 404);
  r = Post("/admin/faults/vm-1", R"({"document":"shredded"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("unknown document fault"));
  EXPECT_EQ(Post("/admin/faults/vm-1", "{not json").status, 400);
}

TEST_F(EmulatorTest, DocumentFaults) {
  auto set = [&](const std::string& body) {
    ASSERT_EQ(Post("/admin/faults/vm-1", body).status, 200);
  };
  set(R"({"document":"wrong_nonce","document_count":1})");
  auto sd = crypto::VerifySignedData(Document("vm-1", "fresh"));
  ASSERT_TRUE(sd.ok());
  EXPECT_THAT(sd->content, ::testing::Not(HasSubstr("\"fresh\"")));
  sd = crypto::VerifySignedData(Document("vm-1", "fresh"));  // count used up
  EXPECT_THAT(sd->content, HasSubstr("\"nonce\":\"fresh\""));

  set(R"({"document":"expired"})");
  sd = crypto::VerifySignedData(Document("vm-1", "n"));
  ASSERT_TRUE(sd.ok());
  EXPECT_THAT(sd->content, HasSubstr("\"expiresOn\":\"12/31/25 23:00:00 -0000\""));

  set(R"({"document":"tampered"})");
  sd = crypto::VerifySignedData(Document("vm-1", "n"));
  EXPECT_EQ(sd.status().code(), absl::StatusCode::kUnauthenticated) << sd.status();

  set(R"({"document":"foreign_signer"})");
  sd = crypto::VerifySignedData(Document("vm-1", "n"));
  ASSERT_TRUE(sd.ok());
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(sd->signer.get()), buf, sizeof(buf));
  EXPECT_THAT(std::string(buf), HasSubstr("www.example.com"));

  set(R"({"document":"untrusted_root"})");
  sd = crypto::VerifySignedData(Document("vm-1", "n"));
  ASSERT_TRUE(sd.ok());
  EXPECT_NE(X509_cmp(sd->signer.get(), emu_->pki().good().cert.get()), 0);

  set(R"({"token_for":"other"})");
  json::Value c = Claims(Token("vm-1"));
  EXPECT_THAT(*c.GetString("xms_mirid"), HasSubstr("/virtualMachines/other"));
}

TEST_F(EmulatorTest, AdminState) {
  json::Value v = Json(Get("/admin/state", {}, false));
  EXPECT_EQ(*v.GetString("url"), kBase);
  EXPECT_EQ(*v.Find("vms")->array()[0].GetString("imds_url"), absl::StrCat(kBase, "/vm/vm-1"));
  EXPECT_EQ(Get("/admin/nothing", {}, false).status, 404);
}

}  // namespace
}  // namespace enlist::azure_emulator
