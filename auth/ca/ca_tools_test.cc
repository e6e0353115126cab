// The CA's output checked by the real tools: `openssl verify` for X.509 and
// `ssh-keygen -L` for the OpenSSH certificate.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/der/der_writer.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using ::testing::HasSubstr;

std::string RunTool(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  *exit_code = pclose(p);
  return out;
}

class CaToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::getenv("TEST_TMPDIR");
    ca_key_ = *GenerateP256Key();
    CertProfile ca;
    ca.common_name = "enlist test CA";
    ca.is_ca = true;
    ca.not_before = absl::Now() - absl::Hours(1);
    ca.not_after = absl::Now() + absl::Hours(24 * 365);
    auto c = IssueCertificate(ca, *ca_key_, nullptr, *ca_key_);
    ASSERT_TRUE(c.ok()) << c.status();
    ca_cert_ = *std::move(c);
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/ca.pem", *CertificatePem(*ca_cert_)).ok());
  }

  std::string dir_;
  crypto::EvpPkeyPtr ca_key_;
  crypto::X509Ptr ca_cert_;
};

TEST_F(CaToolsTest, OpensslVerifiesHostCertificate) {
  auto host_key = *GenerateP256Key();
  CertProfile p;
  p.common_name = "5b6e1c1e-0000-4000-8000-000000000001";
  p.dns_names = {"vm-1", "vm-1.internal"};
  p.uris = {"urn:enlist:host:5b6e1c1e-0000-4000-8000-000000000001"};
  p.server_auth = p.client_auth = true;
  p.not_before = absl::Now() - absl::Minutes(1);
  p.not_after = absl::Now() + absl::Hours(8);
  p.join_extension_json = R"({"host_id":"5b6e1c1e","role":"Node","join_method":"azure"})";
  auto cert = IssueCertificate(p, *host_key, ca_cert_.get(), *ca_key_);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/host.pem", *CertificatePem(**cert)).ok());
  int rc = 0;
  std::string out = RunTool("openssl verify -CAfile " + dir_ + "/ca.pem " + dir_ + "/host.pem", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr(": OK"));
  out = RunTool("openssl x509 -noout -text -in " + dir_ + "/host.pem", &rc);
  EXPECT_THAT(out, HasSubstr("DNS:vm-1, DNS:vm-1.internal"));
  EXPECT_THAT(out, HasSubstr("URI:urn:enlist:host:5b6e1c1e"));
  EXPECT_THAT(out, HasSubstr("\"join_method\":\"azure\""));
}

TEST_F(CaToolsTest, OpensslReadsAuthorityInfoAccess) {
  auto key = *GenerateP256Key();
  CertProfile p;
  p.common_name = "eastus.metadata.azure.com";
  p.dns_names = {"eastus.metadata.azure.com"};
  p.ca_issuer_urls = {"http://127.0.0.1:8080/pkiops/certs/issuing-ca.crt",
                      "http://www.microsoft.com/pkiops/certs/other.crt"};
  p.not_before = absl::Now() - absl::Minutes(1);
  p.not_after = absl::Now() + absl::Hours(8);
  auto cert = IssueCertificate(p, *key, ca_cert_.get(), *ca_key_);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/aia.pem", *CertificatePem(**cert)).ok());
  int rc = 0;
  std::string out = RunTool("openssl x509 -noout -text -in " + dir_ + "/aia.pem", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Authority Information Access"));
  EXPECT_THAT(out, HasSubstr("CA Issuers - URI:http://127.0.0.1:8080/pkiops/certs/issuing-ca.crt"));
  EXPECT_THAT(out, HasSubstr("CA Issuers - URI:http://www.microsoft.com/pkiops/certs/other.crt"));
  out = RunTool("openssl verify -CAfile " + dir_ + "/ca.pem " + dir_ + "/aia.pem", &rc);
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(CaToolsTest, OpensslRejectsCertificateFromAnotherCa) {
  auto other_key = *GenerateP256Key();
  CertProfile p;
  p.common_name = "h";
  p.not_before = absl::Now() - absl::Minutes(1);
  p.not_after = absl::Now() + absl::Hours(1);
  auto cert = IssueCertificate(p, *other_key, nullptr, *other_key);  // self-signed leaf
  ASSERT_TRUE(cert.ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/other.pem", *CertificatePem(**cert)).ok());
  int rc = 0;
  std::string out = RunTool("openssl verify -CAfile " + dir_ + "/ca.pem " + dir_ + "/other.pem", &rc);
  EXPECT_NE(rc, 0) << out;
}

TEST_F(CaToolsTest, SshKeygenReadsHostCertificate) {
  auto ssh_ca = *GenerateEd25519Key();
  auto host = *GenerateEd25519Key();
  SshCertRequest req;
  req.public_key_line = *SshPublicKeyLine(*host, "vm-1");
  req.key_id = "host-id-1";
  req.principals = {"host-id-1", "vm-1", "vm-1.internal"};
  req.serial = 42;
  req.valid_after = absl::Now() - absl::Minutes(1);
  req.valid_before = absl::Now() + absl::Hours(8);
  auto cert = SignSshHostCert(req, *ssh_ca);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/host-cert.pub", *cert + "\n").ok());
  int rc = 0;
  std::string out = RunTool("ssh-keygen -L -f " + dir_ + "/host-cert.pub", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("ssh-ed25519-cert-v01@openssh.com host certificate"));
  EXPECT_THAT(out, HasSubstr("Key ID: \"host-id-1\""));
  EXPECT_THAT(out, HasSubstr("Serial: 42"));
  EXPECT_THAT(out, HasSubstr("vm-1.internal"));
  EXPECT_THAT(out, HasSubstr("Signing CA: ED25519"));
}

// A CA key that cannot sign (its public half only) is an internal error,
// not a certificate.
TEST(SshKeyTest, ACaKeyThatCannotSignIsRefused) {
  auto ca = *GenerateEd25519Key();
  uint8_t pub[32];
  size_t len = sizeof(pub);
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(ca.get(), pub, &len), 1);
  crypto::EvpPkeyPtr public_only(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub, len));
  ASSERT_NE(public_only, nullptr);
  SshCertRequest req;
  req.public_key_line = *SshPublicKeyLine(**GenerateEd25519Key(), "vm-1");
  req.key_id = "host-id-1";
  req.principals = {"vm-1"};
  req.valid_after = absl::Now();
  req.valid_before = absl::Now() + absl::Hours(1);
  absl::StatusOr<std::string> cert = SignSshHostCert(req, *public_only);
  EXPECT_EQ(cert.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(cert.status().message(), "ssh cert: signing failed");
}

TEST(SshKeyTest, RejectsUnsupportedAndMalformedKeys) {
  struct Case {
    const char* line;
    const char* want;
  } cases[] = {
      {"ssh-ed25519 !!!!", "ssh key: key data is not valid base64"},
      {"ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", "ssh key: key data does not match its type"},
      {"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", "unsupported key type \"ssh-rsa\""},
      {"onlyone", "expected \"<type> <base64> [comment]\""},
      {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=", "malformed ssh-ed25519 key"},
  };
  for (const Case& c : cases) {
    auto k = ParseSshPublicKey(c.line);
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(std::string(k.status().message()), HasSubstr(c.want)) << c.line;
  }
}

// An EC key on curve `param` or an RSA key of `param` bits.
crypto::EvpPkeyPtr KeyGen(int type, int param) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
  if ((type == EVP_PKEY_EC ? EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), param)
                           : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), param)) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &key) != 1) {
    return nullptr;
  }
  return crypto::EvpPkeyPtr(key);
}

TEST(HostKeyTest, RejectsWeakOrGarbageKeys) {
  EXPECT_EQ(CheckHostPublicKey("garbage").message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
  EXPECT_EQ(CheckHostPublicKey("").message(), "ca: host TLS public key: empty or too large");
  EXPECT_EQ(CheckHostPublicKey(std::string(2049, '0')).message(),
            "ca: host TLS public key: empty or too large");
  auto k = *GenerateP256Key();
  auto der = *PublicKeyDer(*k);
  EXPECT_TRUE(CheckHostPublicKey(der).ok());
  EXPECT_EQ(CheckHostPublicKey(der + "x").message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
}

TEST(HostKeyTest, AcceptsSupportedKeysAndRefusesOffCurvePoints) {
  for (auto gen : {GenerateP256Key, GenerateEd25519Key}) {
    auto k = *gen();
    absl::Status s = CheckHostPublicKey(*PublicKeyDer(*k));
    EXPECT_TRUE(s.ok()) << s;
  }
  crypto::EvpPkeyPtr p384 = KeyGen(EVP_PKEY_EC, NID_secp384r1);
  ASSERT_NE(p384, nullptr);
  EXPECT_TRUE(CheckHostPublicKey(*PublicKeyDer(*p384)).ok());
  crypto::EvpPkeyPtr rsa = KeyGen(EVP_PKEY_RSA, 2048);
  ASSERT_NE(rsa, nullptr);
  EXPECT_TRUE(CheckHostPublicKey(*PublicKeyDer(*rsa)).ok());
  crypto::EvpPkeyPtr weak = KeyGen(EVP_PKEY_RSA, 1024);
  ASSERT_NE(weak, nullptr);
  EXPECT_EQ(CheckHostPublicKey(*PublicKeyDer(*weak)).message(),
            "ca: host TLS public key: RSA key shorter than 2048 bits");
  crypto::EvpPkeyPtr p521 = KeyGen(EVP_PKEY_EC, NID_secp521r1);
  ASSERT_NE(p521, nullptr);
  EXPECT_EQ(CheckHostPublicKey(*PublicKeyDer(*p521)).message(),
            "ca: host TLS public key: EC curve not P-256 or P-384");
  // A P-256 point with its last coordinate byte changed is off the curve.
  auto k = *GenerateP256Key();
  std::string der = *PublicKeyDer(*k);
  der.back() ^= 0x01;
  EXPECT_EQ(CheckHostPublicKey(der).message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
  // An Ed25519 key must be 32 bytes: drop the last one and fix the lengths
  // (30 2a | 30 05 06 03 2b 65 70 | 03 21 00 <32 bytes>).
  std::string ed = *PublicKeyDer(**GenerateEd25519Key());
  ASSERT_EQ(ed.size(), 44u);
  ed.pop_back();
  ed[1] = 0x29;
  ed[10] = 0x20;
  EXPECT_EQ(CheckHostPublicKey(ed).message(),
            "ca: host TLS public key: not a DER SubjectPublicKeyInfo");
}

// A SubjectPublicKeyInfo from an AlgorithmIdentifier (DER) and key bits.
std::string Spki(const std::string& algorithm, const std::string& key) {
  return der::write::Seq({algorithm, der::write::BitString(key)});
}

TEST(HostKeyTest, PointEncodingsAndParameters) {
  auto k = *GenerateP256Key();
  const std::string der = *PublicKeyDer(*k);
  ASSERT_EQ(der.size(), 91u);  // 30 59 | AlgorithmIdentifier (21) | 03 42 00 04 X Y
  const std::string algorithm = der.substr(2, 21);
  const std::string point = der.substr(26);
  ASSERT_EQ(point[0], '\x04');
  EXPECT_TRUE(CheckHostPublicKey(Spki(algorithm, point)).ok());
  // Compressed (x with y's parity; RFC 5480 makes it optional to support):
  // refused by name, whichever parity.
  const std::string compressed =
      "ca: host TLS public key: compressed EC point; send the uncompressed form (RFC 5480)";
  for (char parity : {'\x02', '\x03'}) {
    absl::Status s = CheckHostPublicKey(Spki(algorithm, parity + point.substr(1, 32)));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), compressed);
  }
  const std::string not_a_key = "ca: host TLS public key: not a DER SubjectPublicKeyInfo";
  // Hybrid forms (0x06/0x07) and the point at infinity are refused.
  for (char hybrid : {'\x06', '\x07'}) {
    EXPECT_EQ(CheckHostPublicKey(Spki(algorithm, hybrid + point.substr(1))).message(), not_a_key);
  }
  EXPECT_EQ(CheckHostPublicKey(Spki(algorithm, std::string(1, '\0'))).message(), not_a_key);
  EXPECT_EQ(CheckHostPublicKey(Spki(algorithm, "")).message(), not_a_key);
  // Ed25519 takes no parameters, not even NULL.
  const std::string ed = *PublicKeyDer(**GenerateEd25519Key());
  EXPECT_EQ(CheckHostPublicKey(
                Spki(std::string("\x30\x07\x06\x03\x2b\x65\x70\x05\x00", 9), ed.substr(12)))
                .message(),
            not_a_key);
  // rsaEncryption must carry NULL parameters (RFC 3279); libcrypto's decoder
  // alone takes others.
  crypto::EvpPkeyPtr rsa = KeyGen(EVP_PKEY_RSA, 2048);
  ASSERT_NE(rsa, nullptr);
  std::string rsa_der = *PublicKeyDer(*rsa);
  const std::string null_params("\x05\x00", 2);
  const size_t at =
      rsa_der.find(std::string("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 9) + null_params);
  ASSERT_NE(at, std::string::npos);
  rsa_der.replace(at + 9, 2, std::string("\x04\x00", 2));  // an empty OCTET STRING instead
  EXPECT_EQ(CheckHostPublicKey(rsa_der).message(), not_a_key);
}

// An rsaEncryption SubjectPublicKeyInfo around `rsa_public_key` (the
// RSAPublicKey bytes, taken as they are).
std::string RsaSpki(const std::string& rsa_public_key) {
  return Spki(std::string("\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00", 15),
              rsa_public_key);
}

// libcrypto decodes BER and negative INTEGERs in an RSAPublicKey and
// re-encodes them differently; the CA would then certify bytes that are not
// the key it checked. Only strict DER with positive integers passes.
TEST(HostKeyTest, RsaPublicKeyMustBeStrictDerWithPositiveIntegers) {
  crypto::EvpPkeyPtr rsa = KeyGen(EVP_PKEY_RSA, 2048);
  ASSERT_NE(rsa, nullptr);
  const std::string der = *PublicKeyDer(*rsa);
  // ... 02 82 01 01 00 <modulus, 256 bytes> 02 03 01 00 01
  ASSERT_EQ(der.size(), 294u);
  ASSERT_EQ(der.substr(289), std::string("\x02\x03\x01\x00\x01", 5));
  const std::string modulus = der.substr(33, 256);
  ASSERT_EQ(der.substr(28, 5), std::string("\x02\x82\x01\x01\x00", 5));
  ASSERT_NE(static_cast<uint8_t>(modulus[0]) & 0x80, 0);
  namespace w = der::write;
  const std::string n = w::IntegerBytes(std::string(1, '\0') + modulus);
  const std::string e = w::Integer(0x10001);
  // The helpers rebuild the key's own bytes.
  ASSERT_EQ(RsaSpki(w::Seq({n, e})), der);
  EXPECT_TRUE(CheckHostPublicKey(der).ok());

  const std::string not_a_key = "ca: host TLS public key: not a DER SubjectPublicKeyInfo";
  struct Case {
    const char* name;
    std::string rsa_public_key;
  } cases[] = {
      {"exponent with a leading zero octet (BER)",
       w::Seq({n, w::IntegerBytes(std::string("\x00\x01\x00\x01", 4))})},
      {"modulus with two leading zero octets (BER)",
       w::Seq({w::IntegerBytes(std::string(2, '\0') + modulus), e})},
      {"negative modulus", w::Seq({w::IntegerBytes(modulus), e})},
      {"negative exponent", w::Seq({n, w::IntegerBytes(std::string("\x81\x00\x01", 3))})},
      {"empty exponent", w::Seq({n, w::IntegerBytes("")})},
      {"long-form length where the short form fits",
       w::Seq({n, std::string("\x02\x81\x03\x01\x00\x01", 6)})},
      {"a third integer", w::Seq({n, e, e})},
      {"bytes after the sequence", w::Seq({n, e}) + std::string(2, '\0')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(CheckHostPublicKey(RsaSpki(c.rsa_public_key)).message(), not_a_key);
  }
}

}  // namespace
}  // namespace enlist::ca
