#include "agent/identity.h"

#include <dirent.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/keys.h"
#include "auth/ca/cluster_ca.h"
#include "auth/ca/host_issuer.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/crypto/testing/test_pki.h"
#include "core/der/der.h"
#include "core/der/testing/der_writer.h"
#include "core/util/clock.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using ::testing::HasSubstr;
namespace dw = ::enlist::der::testing;

constexpr char kNotThisKey[] = "identity: the TLS certificate is not for this host's TLS key";

// Positions in the TBSCertificate of an issued certificate (RFC 5280 4.1:
// version, serialNumber, signature, issuer, validity, subject, SPKI, ...).
constexpr size_t kValidityField = 4;
constexpr size_t kSpkiField = 6;

// The top-level elements of the DER SEQUENCE `seq`, as TLVs.
std::vector<std::string> Fields(absl::string_view seq) {
  std::vector<std::string> out;
  auto top = der::Reader::Create(seq);
  EXPECT_TRUE(top.ok()) << top.status();
  if (!top.ok()) return out;
  auto inner = top->ReadConstructed(der::kSequence);
  EXPECT_TRUE(inner.ok()) << inner.status();
  while (inner.ok() && !inner->empty()) {
    auto e = inner->ReadAny();
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) break;
    out.emplace_back(e->tlv);
  }
  return out;
}

// `cert` with field `index` of its TBSCertificate replaced by `tlv`. The
// signature no longer matches: MakeIdentity checks none.
std::string ReplaceTbsField(const std::string& cert, size_t index, const std::string& tlv) {
  std::vector<std::string> outer = Fields(cert);
  std::vector<std::string> tbs = Fields(outer.at(0));
  tbs.at(index) = tlv;
  outer[0] = dw::Seq(tbs);
  return dw::Seq(outer);
}

// A DER SubjectPublicKeyInfo of an RSA key as some encoders write it: the
// rsaEncryption AlgorithmIdentifier without its NULL parameters (RFC 3279
// 2.3.1 wants the NULL; libcrypto accepts either and writes the NULL).
std::string RsaSpkiWithoutNull(const std::string& spki) {
  std::vector<std::string> parts = Fields(spki);
  std::vector<std::string> alg = Fields(parts.at(0));
  EXPECT_EQ(alg.size(), 2u);
  EXPECT_EQ(alg.at(1), dw::Null());
  return dw::Seq({dw::Seq({alg.at(0)}), parts.at(1)});
}

// The same SPKI with its outer length in a long form DER forbids (BER,
// X.690 8.1.3.5): the strict reader refuses it, libcrypto takes it.
std::string WithLongFormLength(const std::string& spki) {
  EXPECT_LT(static_cast<uint8_t>(spki[1]), 0x80);
  return absl::StrCat(spki.substr(0, 1), "\x81", spki.substr(1));
}

std::string NewDir() {
  std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR"), "/identity-XXXXXX");
  return mkdtemp(tmpl.data());
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = ca::ClusterCa::LoadOrCreate(NewDir(), "test", RealClock::Get());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    issuer_ =
        std::make_unique<ca::CaHostIssuer>(ca_.get(), &RealClock::Get(), ca::HostIssuerOptions());
    dir_ = NewDir();
    auto keys = LoadOrCreateHostKeys(dir_, TlsKeyType::kEcdsaP256);
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::move(*keys);
  }

  enlist::join::v1::Result Issue(const HostKeys& keys) {
    enlist::join::v1::HostParams host;
    host.set_tls_public_key(keys.tls_public_key_der);
    host.set_ssh_public_key(keys.ssh_public_key_line);
    host.set_host_name("vm-1");
    join::IssueRequest req;
    req.host = &host;
    req.join_method = "token";
    req.token_name = "boot";
    req.role = "Node";
    auto r = issuer_->Issue(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }

  Identity Make() {
    auto id = MakeIdentity(Issue(keys_), keys_, absl::Now());
    EXPECT_TRUE(id.ok()) << id.status();
    id->server = "auth.example.com:3025";
    id->join_method = "token";
    id->token_name = "boot";
    id->role = "Node";
    return *id;
  }

  std::unique_ptr<ca::ClusterCa> ca_;
  std::unique_ptr<ca::CaHostIssuer> issuer_;
  std::string dir_;
  HostKeys keys_;
};

TEST_F(IdentityTest, SaveAndLoadRoundTrip) {
  Identity id = Make();
  EXPECT_GT(id.expires, id.joined_at + absl::Hours(7));  // the issuer's 8 h TTL
  EXPECT_TRUE(id.Valid(absl::Now()));
  EXPECT_FALSE(id.Valid(id.expires));
  EXPECT_EQ(id.RenewAt(0.5), id.joined_at + (id.expires - id.joined_at) / 2);

  IdentityStore store(dir_);
  ASSERT_TRUE(store.Save(id).ok());
  struct stat st;
  ASSERT_EQ(stat(store.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // One atomic rename: no temporary file is left behind.
  EXPECT_EQ(Files(dir_), (std::vector<std::string>{kIdentityFile, kSshHostKeyFile, kSshKeyFile, kTlsKeyFile}));

  auto loaded = store.Load(keys_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->host_id(), id.host_id());
  EXPECT_EQ(loaded->expires, id.expires);
  EXPECT_EQ(loaded->joined_at, id.joined_at);
  EXPECT_EQ(loaded->server, "auth.example.com:3025");
  EXPECT_EQ(loaded->token_name, "boot");
  EXPECT_EQ(loaded->role, "Node");
  EXPECT_EQ(loaded->result.ssh_host_cert(), id.result.ssh_host_cert());
}

TEST_F(IdentityTest, WritesSshHostCertificate) {
  const std::string cert_path = absl::StrCat(NewDir(), "/ssh_host_ed25519_key-cert.pub");
  Identity id = Make();
  ASSERT_TRUE(IdentityStore(dir_, cert_path).Save(id).ok());
  auto cert = ReadFileCapped(cert_path, 1 << 16);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(*cert, id.result.ssh_host_cert() + "\n");
}

TEST_F(IdentityTest, FailedSaveKeepsThePreviousIdentity) {
  Identity first = Make();
  ASSERT_TRUE(IdentityStore(dir_).Save(first).ok());
  Identity second = Make();
  ASSERT_NE(second.host_id(), first.host_id());
  // The SSH certificate cannot be written: nothing changes.
  IdentityStore broken(dir_, "/nonexistent-dir/cert.pub");
  absl::Status s = broken.Save(second);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("identity: writing the SSH host certificate"));
  EXPECT_EQ(IdentityStore(dir_).Load(keys_)->host_id(), first.host_id());
}

TEST_F(IdentityTest, MissingIdentityIsNotFound) {
  auto id = IdentityStore(dir_).Load(keys_);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(id.status().message(), HasSubstr("no identity yet"));
}

TEST_F(IdentityTest, CorruptFilesAreDataLoss) {
  Identity id = Make();
  IdentityStore store(dir_);
  ASSERT_TRUE(store.Save(id).ok());
  std::string good = *ReadFileCapped(store.path(), 1 << 20);
  struct Case {
    const char* name;
    std::string content;
    const char* message;
  };
  const Case kCases[] = {
      {"garbage", "\xff\xff\xff\xff not a protobuf", "corrupt: cannot parse"},
      {"truncated", good.substr(0, good.size() / 2), "corrupt: cannot parse"},
      {"empty", "", "corrupt: unknown format 0"},
      {"oversized", std::string(600 * 1024, 'x'), "corrupt: file too large"},
  };
  for (const Case& c : kCases) {
    ASSERT_TRUE(WriteFileAtomic(store.path(), c.content).ok());
    auto loaded = store.Load(keys_);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << c.name;
    EXPECT_THAT(loaded.status().message(), HasSubstr(c.message)) << c.name;
    EXPECT_THAT(loaded.status().message(), HasSubstr(store.path())) << c.name;
  }
  // The keys are untouched by any of this.
  EXPECT_EQ(LoadHostKeys(dir_)->tls_public_key_der, keys_.tls_public_key_der);
}

TEST_F(IdentityTest, CertificateForAnotherKey) {
  auto other = LoadOrCreateHostKeys(NewDir(), TlsKeyType::kEcdsaP256);
  ASSERT_TRUE(other.ok());
  auto id = MakeIdentity(Issue(*other), keys_, absl::Now());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(id.status().message(), kNotThisKey);

  // Stored, then the key changed: Load reports the mismatch.
  ASSERT_TRUE(IdentityStore(dir_).Save(Make()).ok());
  auto loaded = IdentityStore(dir_).Load(*other);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
}

// The validity comes from the certificate, UTCTime or GeneralizedTime, and
// agrees with libcrypto's reading.
TEST_F(IdentityTest, ValidityIsTheCertificates) {
  enlist::join::v1::Result r = Issue(keys_);
  r.clear_expires();
  auto leaf = crypto::ParseCertificateDer(r.tls_cert_chain(0));
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  auto id = MakeIdentity(r, keys_, absl::Now());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->not_before, *crypto::Asn1TimeToTime(X509_get0_notBefore(leaf->get())));
  EXPECT_EQ(id->expires, *crypto::Asn1TimeToTime(X509_get0_notAfter(leaf->get())));

  r.set_tls_cert_chain(
      0, ReplaceTbsField(r.tls_cert_chain(0), kValidityField,
                         dw::Seq({dw::Tlv(der::kUtcTime, "491231235959Z"),
                                  dw::Tlv(der::kGeneralizedTime, "20510101000000Z")})));
  id = MakeIdentity(r, keys_, absl::Now());
  ASSERT_TRUE(id.ok()) << id.status();
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(id->not_before, absl::FromCivil(absl::CivilSecond(2049, 12, 31, 23, 59, 59), utc));
  EXPECT_EQ(id->expires, absl::FromCivil(absl::CivilSecond(2051, 1, 1, 0, 0, 0), utc));
}

// A server that re-encodes the host's key is still understood: the check
// then compares libcrypto's normalised encodings, as it always did.
TEST_F(IdentityTest, ReencodedKeyStillMatches) {
  const enlist::join::v1::Result issued = Issue(keys_);
  ASSERT_EQ(Fields(Fields(issued.tls_cert_chain(0)).at(0)).at(kSpkiField),
            keys_.tls_public_key_der);
  auto want = MakeIdentity(issued, keys_, absl::Now());
  ASSERT_TRUE(want.ok()) << want.status();

  // DER, but not the encoding the host sent.
  crypto::EvpPkeyPtr rsa = crypto::testing::NewRsaKey();
  HostKeys rsa_keys;
  rsa_keys.tls_public_key_der = *ca::PublicKeyDer(*rsa);
  enlist::join::v1::Result r = issued;
  r.set_tls_cert_chain(0, ReplaceTbsField(issued.tls_cert_chain(0), kSpkiField,
                                          RsaSpkiWithoutNull(rsa_keys.tls_public_key_der)));
  auto id = MakeIdentity(r, rsa_keys, absl::Now());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->not_before, want->not_before);
  EXPECT_EQ(id->expires, want->expires);

  // Not DER at all: the strict reader refuses the certificate.
  r.set_tls_cert_chain(0, ReplaceTbsField(issued.tls_cert_chain(0), kSpkiField,
                                          WithLongFormLength(keys_.tls_public_key_der)));
  ASSERT_FALSE(crypto::ReadCertificateBasics(r.tls_cert_chain(0)).ok());
  id = MakeIdentity(r, keys_, absl::Now());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->not_before, want->not_before);
  EXPECT_EQ(id->expires, want->expires);

  // Another key, whatever its encoding, is still refused.
  id = MakeIdentity(issued, rsa_keys, absl::Now());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(id.status().message(), kNotThisKey);
  r.set_tls_cert_chain(0, ReplaceTbsField(issued.tls_cert_chain(0), kSpkiField,
                                          RsaSpkiWithoutNull(rsa_keys.tls_public_key_der)));
  id = MakeIdentity(r, keys_, absl::Now());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(id.status().message(), kNotThisKey);
}

TEST_F(IdentityTest, IncompleteResultsAreRejected) {
  struct Case {
    const char* name;
    void (*mutate)(enlist::join::v1::Result*);
    const char* message;
  };
  const Case kCases[] = {
      {"no host id", [](enlist::join::v1::Result* r) { r->clear_host_id(); }, "no host id"},
      {"no cert", [](enlist::join::v1::Result* r) { r->clear_tls_cert_chain(); },
       "no TLS certificate"},
      {"bad cert", [](enlist::join::v1::Result* r) { r->set_tls_cert_chain(0, "junk"); },
       "identity: TLS certificate: x509: certificate: der: expected tag 0x30, got 0x6a"},
      {"truncated cert",
       [](enlist::join::v1::Result* r) {
         r->set_tls_cert_chain(0, r->tls_cert_chain(0).substr(0, 50));
       },
       "identity: TLS certificate: x509: certificate: der: tag 0x30: length"},
      {"trailing data",
       [](enlist::join::v1::Result* r) { r->set_tls_cert_chain(0, r->tls_cert_chain(0) + "x"); },
       "identity: TLS certificate: x509: certificate: trailing data after der"},
      // libcrypto parses this certificate, but not its time.
      {"bad time",
       [](enlist::join::v1::Result* r) {
         r->set_tls_cert_chain(0,
                               ReplaceTbsField(r->tls_cert_chain(0), kValidityField,
                                               dw::Seq({dw::Tlv(der::kUtcTime, "230230000000Z"),
                                                        dw::Tlv(der::kUtcTime, "300101000000Z")})));
       },
       "identity: TLS certificate: x509: certificate: validity: not before: der: time: field out "
       "of range"},
      {"no key",
       [](enlist::join::v1::Result* r) {
         r->set_tls_cert_chain(0, ReplaceTbsField(r->tls_cert_chain(0), kSpkiField,
                                                  dw::Seq({dw::Seq({dw::Oid("1.3.101.112")})})));
       },
       "identity: TLS certificate: x509: certificate: subject public key info: key: der: "},
      {"bad ca", [](enlist::join::v1::Result* r) { r->add_tls_ca_certs("junk"); },
       "CA certificate"},
      {"no ssh cert", [](enlist::join::v1::Result* r) { r->clear_ssh_host_cert(); },
       "no OpenSSH host certificate"},
  };
  for (const Case& c : kCases) {
    enlist::join::v1::Result r = Issue(keys_);
    c.mutate(&r);
    auto id = MakeIdentity(r, keys_, absl::Now());
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(id.status().message(), HasSubstr(c.message)) << c.name;
  }
}

}  // namespace
}  // namespace enlist::agent
