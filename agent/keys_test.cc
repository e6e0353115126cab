#include "agent/keys.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string NewDir() {
  std::string tmpl = absl::StrCat(getenv("TEST_TMPDIR"), "/keys-XXXXXX");
  return mkdtemp(tmpl.data());
}

int Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 0777;
}

TEST(KeysTest, GeneratesOnceWith0600AndReuses) {
  std::string dir = absl::StrCat(NewDir(), "/data");  // created by the call
  auto first = LoadOrCreateHostKeys(dir, TlsKeyType::kEcdsaP256);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->generated);
  EXPECT_EQ(Mode(absl::StrCat(dir, "/", kTlsKeyFile)), 0600);
  EXPECT_EQ(Mode(absl::StrCat(dir, "/", kSshKeyFile)), 0600);
  EXPECT_EQ(Mode(dir), 0700);
  EXPECT_EQ(EVP_PKEY_id(first->tls_key.get()), EVP_PKEY_EC);
  EXPECT_THAT(first->ssh_public_key_line, StartsWith("ssh-ed25519 AAAA"));
  auto pem = ReadFileCapped(absl::StrCat(dir, "/", kTlsKeyFile), 1 << 16);
  ASSERT_TRUE(pem.ok());
  EXPECT_THAT(*pem, StartsWith("-----BEGIN PRIVATE KEY-----"));  // PKCS#8
  // The SSH key also in OpenSSH's format, which ssh-keygen (and sshd) read.
  const std::string host_key = absl::StrCat(dir, "/", kSshHostKeyFile);
  EXPECT_EQ(Mode(host_key), 0600);
  FILE* p = popen(absl::StrCat("/usr/bin/ssh-keygen -y -f ", host_key, " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[512] = {0};
  ASSERT_NE(fgets(line, sizeof(line), p), nullptr);
  pclose(p);
  std::string pub_line = first->ssh_public_key_line.substr(0, first->ssh_public_key_line.rfind(' '));
  EXPECT_THAT(std::string(line), StartsWith(pub_line));

  auto second = LoadOrCreateHostKeys(dir, TlsKeyType::kEcdsaP256);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->tls_public_key_der, first->tls_public_key_der);
  EXPECT_EQ(second->ssh_public_key_line, first->ssh_public_key_line);

  auto loaded = LoadHostKeys(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->tls_public_key_der, first->tls_public_key_der);
}

TEST(KeysTest, Ed25519TlsKey) {
  std::string dir = NewDir();
  auto keys = LoadOrCreateHostKeys(dir, TlsKeyType::kEd25519);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(EVP_PKEY_id(keys->tls_key.get()), EVP_PKEY_ED25519);
  EXPECT_EQ(LoadHostKeys(dir)->tls_key_type, TlsKeyType::kEd25519);
}

TEST(KeysTest, ExistingKeyOfOtherTypeIsKeptAndReported) {
  std::string dir = NewDir();
  ASSERT_TRUE(LoadOrCreateHostKeys(dir, TlsKeyType::kEd25519).ok());
  auto before = ReadFileCapped(absl::StrCat(dir, "/", kTlsKeyFile), 1 << 16);
  auto keys = LoadOrCreateHostKeys(dir, TlsKeyType::kEcdsaP256);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(keys.status().message(),
              HasSubstr("holds an Ed25519 key but tls_key_type is ecdsa-p256"));
  EXPECT_EQ(*ReadFileCapped(absl::StrCat(dir, "/", kTlsKeyFile), 1 << 16), *before);
}

TEST(KeysTest, CorruptKeyIsNeverReplaced) {
  std::string dir = NewDir();
  const std::string path = absl::StrCat(dir, "/", kSshKeyFile);
  ASSERT_TRUE(WriteFileAtomic(path, "not a key").ok());
  auto keys = LoadOrCreateHostKeys(dir, TlsKeyType::kEcdsaP256);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(keys.status().message(), HasSubstr("cannot parse the private key"));
  EXPECT_THAT(keys.status().message(), HasSubstr(path));
  EXPECT_EQ(*ReadFileCapped(path, 1 << 16), "not a key");
}

TEST(KeysTest, MissingSshKeyIsGeneratedAlone) {
  std::string dir = NewDir();
  auto first = LoadOrCreateHostKeys(dir, TlsKeyType::kEcdsaP256);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(unlink(absl::StrCat(dir, "/", kSshKeyFile).c_str()), 0);
  auto second = LoadOrCreateHostKeys(dir, TlsKeyType::kEcdsaP256);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->generated);
  EXPECT_EQ(second->tls_public_key_der, first->tls_public_key_der);
  EXPECT_NE(second->ssh_public_key_line, first->ssh_public_key_line);
}

TEST(KeysTest, LoadHostKeysDoesNotCreate) {
  std::string dir = NewDir();
  auto keys = LoadHostKeys(dir);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(keys.status().message(), HasSubstr(kTlsKeyFile));
  EXPECT_EQ(Mode(absl::StrCat(dir, "/", kTlsKeyFile)), -1);
}

TEST(KeysTest, ParseTlsKeyType) {
  EXPECT_EQ(*ParseTlsKeyType("ecdsa-p256"), TlsKeyType::kEcdsaP256);
  EXPECT_EQ(*ParseTlsKeyType("ed25519"), TlsKeyType::kEd25519);
  auto bad = ParseTlsKeyType("rsa");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"rsa\" is not one of ecdsa-p256, ed25519"));
}

}  // namespace
}  // namespace enlist::agent
