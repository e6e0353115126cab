// The SSH host certificate accepted by real OpenSSH: sshd serves it as its
// HostCertificate and an ssh client trusting our CA through @cert-authority
// verifies the host without ever having seen its key; a client trusting
// another CA refuses.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/testing/subprocess.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::ca {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST(SshdTest, OpensshTrustsHostCertificateThroughCertAuthority) {
  // sshd insists on its privilege-separation directory; CI runs as root.
  ASSERT_EQ(::geteuid(), 0u) << "this test starts sshd and must run as root (CI does)";
  ::mkdir("/run/sshd", 0755);
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/sshd";
  ASSERT_TRUE(MakeDirs(dir, 0700).ok());
  // The host key in the OpenSSH format we write (as the agent does); ssh-keygen
  // must read it back to the same public key.
  std::string out;
  auto host_key = GenerateEd25519Key();
  ASSERT_TRUE(host_key.ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/host_key", *SshPrivateKeyOpenssh(**host_key, "vm"), 0600).ok());
  ASSERT_EQ(*RunCommand({"/usr/bin/ssh-keygen", "-y", "-f", dir + "/host_key"}, &out), 0) << out;
  std::string host_pub = *SshPublicKeyLine(**host_key, "");
  EXPECT_EQ(out.substr(0, host_pub.size()), host_pub);

  auto ca_key = GenerateEd25519Key();
  ASSERT_TRUE(ca_key.ok());
  SshCertRequest req;
  req.public_key_line = host_pub;
  req.key_id = "host-under-test";
  req.principals = {"host-under-test", "127.0.0.1"};
  req.serial = 7;
  req.valid_after = absl::Now() - absl::Minutes(5);
  req.valid_before = absl::Now() + absl::Hours(1);
  auto cert = SignSshHostCert(req, **ca_key);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(WriteFileAtomic(dir + "/host_key-cert.pub", *cert + "\n", 0644).ok());

  int port = FreePort();
  ASSERT_TRUE(WriteFileAtomic(dir + "/sshd_config",
                              absl::StrCat("Port ", port, "\nListenAddress 127.0.0.1\n",
                                           "HostKey ", dir, "/host_key\n",
                                           "HostCertificate ", dir, "/host_key-cert.pub\n",
                                           "PidFile ", dir, "/sshd.pid\n",
                                           "UsePAM no\nStrictModes no\nPasswordAuthentication no\n"
                                           "KbdInteractiveAuthentication no\n"))
                  .ok());
  auto sshd = testing::Subprocess::Start({"/usr/sbin/sshd", "-D", "-e", "-f", dir + "/sshd_config"},
                                         dir + "/sshd.log");
  ASSERT_TRUE(sshd.ok()) << sshd.status();
  ASSERT_TRUE(testing::WaitFor([&] { return sshd->Output().find("Server listening") != std::string::npos; },
                               absl::Seconds(20)))
      << sshd->Output();

  auto ssh = [&](const std::string& known_hosts) {
    std::string o;
    // ssh exits non-zero either way (no user key); the output tells.
    absl::StatusOr<int> rc = RunCommand({"/usr/bin/ssh", "-v", "-F", "/dev/null", "-o", "UserKnownHostsFile=" + known_hosts,
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o",
                "BatchMode=yes", "-o", "IdentityFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o",
                "ConnectTimeout=10", "-p", absl::StrCat(port), "probe@127.0.0.1", "true"},
               &o, absl::Seconds(30));
    (void)rc;
    return o;
  };
  ASSERT_TRUE(WriteFileAtomic(dir + "/known_hosts",
                              absl::StrCat("@cert-authority [127.0.0.1]:", port, " ",
                                           *SshPublicKeyLine(**ca_key, "enlist-ca"), "\n"))
                  .ok());
  std::string trusted = ssh(dir + "/known_hosts");
  EXPECT_THAT(trusted, HasSubstr("Server host certificate: ssh-ed25519-cert-v01@openssh.com"));
  EXPECT_THAT(trusted, HasSubstr("matches the ED25519-CERT host certificate"));
  EXPECT_THAT(trusted, ::testing::Not(HasSubstr("Host key verification failed")));

  auto other_ca = GenerateEd25519Key();
  ASSERT_TRUE(WriteFileAtomic(dir + "/other_known_hosts",
                              absl::StrCat("@cert-authority [127.0.0.1]:", port, " ",
                                           *SshPublicKeyLine(**other_ca, "other"), "\n"))
                  .ok());
  std::string untrusted = ssh(dir + "/other_known_hosts");
  EXPECT_THAT(untrusted, HasSubstr("Host key verification failed"));

  sshd->Signal(SIGTERM);
  sshd->Wait(absl::Seconds(10)).IgnoreError();
}

}  // namespace
}  // namespace enlist::ca
