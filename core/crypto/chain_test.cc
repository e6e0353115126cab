#include "core/crypto/chain.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "core/crypto/cert_name.h"
#include "core/crypto/testing/test_pki.h"
#include "core/crypto/trust_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::crypto {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::crypto::testing;

// 2025-01-01: inside every default validity window of the test PKI.
const absl::Time kNow = absl::FromUnixSeconds(1735689600);

const t::TestPki& Pki() {
  static const t::TestPki* pki = new t::TestPki(t::MakeTestPki(/*ec=*/false));
  return *pki;
}

std::shared_ptr<const TrustStore> Roots(const X509* root) {
  auto ts = TrustStore::FromPem(t::CertPem(root));
  EXPECT_TRUE(ts.ok()) << ts.status();
  return *ts;
}

std::vector<X509Ptr> Intermediates(std::vector<const X509*> certs) {
  std::vector<X509Ptr> out;
  for (const X509* c : certs) {
    X509_up_ref(const_cast<X509*>(c));
    out.emplace_back(const_cast<X509*>(c));
  }
  return out;
}

TEST(ChainTest, BuildsLeafToRoot) {
  auto roots = Roots(Pki().root.get());
  auto chain = VerifyChain(*Pki().leaf, Intermediates({Pki().intermediate.get()}), *roots, kNow);
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->certificates.size(), 3u);
  EXPECT_EQ(chain->certificates[0].subject, "CN=metadata.azure.com");
  EXPECT_EQ(chain->certificates[0].issuer, "CN=Enlist Test Intermediate,O=Enlist Test");
  EXPECT_EQ(chain->certificates[2].subject, "CN=Enlist Test Root,O=Enlist Test");
  EXPECT_EQ(chain->valid_from, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(chain->valid_until, absl::FromUnixSeconds(1900000000));
  EXPECT_TRUE(CheckCertificateName(*Pki().leaf, {"metadata.azure.com"}).ok());
}

TEST(ChainTest, EcChain) {
  t::TestPki ec = t::MakeTestPki(/*ec=*/true);
  auto roots = Roots(ec.root.get());
  auto chain = VerifyChain(*ec.leaf, Intermediates({ec.intermediate.get()}), *roots, kNow);
  ASSERT_TRUE(chain.ok()) << chain.status();
}

TEST(ChainTest, ExtraAndReorderedIntermediatesAreFine) {
  auto roots = Roots(Pki().root.get());
  t::TestPki other = t::MakeTestPki(/*ec=*/true);
  auto chain =
      VerifyChain(*Pki().leaf, Intermediates({other.intermediate.get(), Pki().intermediate.get()}),
                  *roots, kNow);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->certificates.size(), 3u);
}

TEST(ChainTest, NonSelfSignedAnchorOnlyWhenAllowed) {
  auto anchors = Roots(Pki().intermediate.get());
  auto strict = VerifyChain(*Pki().leaf, {}, *anchors, kNow);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(strict.status().message()), HasSubstr("x509: chain: "));
  ChainOptions o;
  o.allow_non_self_signed_anchors = true;
  auto partial = VerifyChain(*Pki().leaf, {}, *anchors, kNow, o);
  ASSERT_TRUE(partial.ok()) << partial.status();
  ASSERT_EQ(partial->certificates.size(), 2u);
  EXPECT_EQ(partial->certificates[1].subject, "CN=Enlist Test Intermediate,O=Enlist Test");
}

// One immutable TrustStore shared by concurrent verifications.
TEST(ChainTest, SharedTrustStoreAcrossThreads) {
  std::shared_ptr<const TrustStore> roots = Roots(Pki().root.get());
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([roots] {
      for (int j = 0; j < 25; ++j) {
        auto good =
            VerifyChain(*Pki().leaf, Intermediates({Pki().intermediate.get()}), *roots, kNow);
        EXPECT_TRUE(good.ok()) << good.status();
        auto bad = VerifyChain(*Pki().leaf, {}, *roots, kNow);
        EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

struct Variant {
  EvpPkeyPtr key;
  X509Ptr cert;
};

// An intermediate with the same name and key as the real one but a short
// validity, and a leaf under it.
Variant ExpiredIntermediate() {
  t::CertSpec spec;
  spec.common_name = "Enlist Test Intermediate";
  spec.organization = "Enlist Test";
  spec.is_ca = true;
  spec.serial = 201;
  spec.not_before = absl::FromUnixSeconds(1600000000);
  spec.not_after = absl::FromUnixSeconds(1650000000);  // 2022
  Variant v;
  v.cert = t::IssueCert(spec, Pki().intermediate_key.get(), Pki().root.get(), Pki().root_key.get());
  return v;
}

struct RejectCase {
  const char* name;
  std::function<absl::Status()> run;
  absl::StatusCode code;
  const char* message;
};

class ChainRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(ChainRejectTest, Rejects) {
  absl::Status st = GetParam().run();
  EXPECT_EQ(st.code(), GetParam().code) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().message));
}

constexpr absl::StatusCode kUnauth = absl::StatusCode::kUnauthenticated;

INSTANTIATE_TEST_SUITE_P(
    Table, ChainRejectTest,
    ::testing::Values(
        RejectCase{"untrusted_root",
                   [] {
                     t::TestPki other = t::MakeTestPki(/*ec=*/true);
                     return VerifyChain(*Pki().leaf, Intermediates({Pki().intermediate.get()}),
                                        *Roots(other.root.get()), kNow)
                         .status();
                   },
                   kUnauth, "x509: chain: unable to get local issuer certificate (depth 1"},
        RejectCase{
            "missing_intermediate",
            [] { return VerifyChain(*Pki().leaf, {}, *Roots(Pki().root.get()), kNow).status(); },
            kUnauth,
            "x509: chain: unable to get local issuer certificate (depth 0, subject "
            "CN=metadata.azure.com)"},
        RejectCase{
            "expired_intermediate",
            [] {
              Variant v = ExpiredIntermediate();
              std::vector<X509Ptr> inter;
              inter.push_back(std::move(v.cert));
              return VerifyChain(*Pki().leaf, inter, *Roots(Pki().root.get()), kNow).status();
            },
            kUnauth,
            "x509: chain: certificate has expired (depth 1, subject CN=Enlist Test Intermediate"},
        RejectCase{"leaf_not_yet_valid",
                   [] {
                     return VerifyChain(*Pki().leaf, Intermediates({Pki().intermediate.get()}),
                                        *Roots(Pki().root.get()), absl::FromUnixSeconds(1600000000))
                         .status();
                   },
                   kUnauth, "certificate is not yet valid (depth"},
        RejectCase{"expired_at_given_time",
                   [] {
                     return VerifyChain(*Pki().leaf, Intermediates({Pki().intermediate.get()}),
                                        *Roots(Pki().root.get()), absl::FromUnixSeconds(2000000000))
                         .status();
                   },
                   kUnauth, "certificate has expired"},
        RejectCase{"self_signed_leaf",
                   [] {
                     EvpPkeyPtr k = t::NewEcKey();
                     t::CertSpec s;
                     s.common_name = "metadata.azure.com";
                     X509Ptr c = t::IssueCert(s, k.get(), nullptr, k.get());
                     return VerifyChain(*c, {}, *Roots(Pki().root.get()), kNow).status();
                   },
                   // OpenSSL says "self-signed certificate"; BoringSSL, seeing keyUsage
                   // without keyCertSign, "unable to get local issuer certificate".
                   kUnauth, "(depth 0, subject CN=metadata.azure.com)"},
        RejectCase{"too_many_intermediates",
                   [] {
                     ChainOptions o;
                     o.max_intermediates = 1;
                     return VerifyChain(*Pki().leaf,
                                        Intermediates({Pki().intermediate.get(), Pki().root.get()}),
                                        *Roots(Pki().root.get()), kNow, o)
                         .status();
                   },
                   absl::StatusCode::kInvalidArgument, "x509: chain: more than 1 intermediates"},
        RejectCase{"name_mismatch",
                   [] { return CheckCertificateName(*Pki().leaf, {"metadata.azure.us"}); }, kUnauth,
                   "not in allowed domains [metadata.azure.us]"},
        RejectCase{"evil_suffix_domain",
                   [] {
                     EvpPkeyPtr k = t::NewEcKey();
                     t::CertSpec s;
                     s.common_name = "evilmetadata.azure.com";
                     s.dns_names = {"evilmetadata.azure.com"};
                     X509Ptr c = t::IssueCert(s, k.get(), Pki().intermediate.get(),
                                              Pki().intermediate_key.get());
                     absl::Status chain = VerifyChain(*c, Intermediates({Pki().intermediate.get()}),
                                                      *Roots(Pki().root.get()), kNow)
                                              .status();
                     if (!chain.ok()) return chain;  // the chain itself is fine
                     return CheckCertificateName(*c, {"metadata.azure.com"});
                   },
                   kUnauth, "[evilmetadata.azure.com] not in allowed domains"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::crypto
