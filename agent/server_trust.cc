#include "agent/server_trust.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace enlist::agent {
namespace {

constexpr size_t kMaxCaFile = 1 << 20;

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct AddrinfoFree {
  void operator()(addrinfo* p) const { freeaddrinfo(p); }
};

std::string Where(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Waits until `fd` is ready for `events` or `deadline` passes.
absl::Status WaitFd(int fd, short events, absl::Time deadline, const std::string& what) {
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": deadline exceeded"));
    }
    pollfd p{fd, events, 0};
    int ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60000));
    int n = poll(&p, 1, ms);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat(what, ": poll: ", std::strerror(errno)));
    }
  }
}

// Connects a non-blocking socket to one of `host`'s addresses.
absl::StatusOr<int> Connect(const std::string& host, int port, absl::Time deadline) {
  const std::string where = Where(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  // getaddrinfo has no deadline; resolution is normally local (hosts file,
  // resolver cache) and bounded by the resolver's own timeout.
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("dial ", where, ": resolving host: ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, AddrinfoFree> addrs(raw);
  std::string last = "no address";
  for (addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    UniqueFd owned(fd);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = std::strerror(errno);
        continue;
      }
      ENLIST_RETURN_IF_ERROR(WaitFd(fd, POLLOUT, deadline, absl::StrCat("dial ", where)));
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    return owned.release();
  }
  return absl::UnavailableError(absl::StrCat("dial ", where, ": ", last));
}

std::string SslErrorText() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "handshake failed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<std::string> CertPem(const X509& cert) { return ca::CertificatePem(cert); }

}  // namespace

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view address,
                                                          int default_port) {
  std::string host;
  absl::string_view port_text;
  bool has_port = false;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": missing ']'"));
    }
    host = std::string(address.substr(1, close - 1));
    absl::string_view rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": bad port"));
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = address.rfind(':');
    if (colon != absl::string_view::npos && address.find(':') == colon) {
      host = std::string(address.substr(0, colon));
      port_text = address.substr(colon + 1);
      has_port = true;
    } else {
      host = std::string(address);  // bare host (or an unbracketed IPv6 literal)
    }
  }
  if (host.empty())
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": no host"));
  int port = default_port;
  if (has_port) {
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": port must be 1..65535"));
    }
  }
  return std::make_pair(host, port);
}

absl::StatusOr<std::vector<std::string>> FetchServerCertificates(const std::string& host, int port,
                                                                 const std::string& server_name,
                                                                 absl::Time deadline) {
  const std::string what = absl::StrCat("tls handshake with ", Where(host, port));
  ENLIST_ASSIGN_OR_RETURN(int raw_fd, Connect(host, port, deadline));
  UniqueFd fd(raw_fd);

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError(absl::StrCat(what, ": SSL_CTX_new failed"));
  // Nothing is verified here: the chain is only read, then checked against
  // the pin by SelectPinnedCa.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn));
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (ssl == nullptr || SSL_set_fd(ssl.get(), fd.get()) != 1) {
    return absl::InternalError(absl::StrCat(what, ": SSL_new failed"));
  }
  const std::string& sni = server_name.empty() ? host : server_name;
  if (!IsIpLiteral(sni)) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());

  ERR_clear_error();
  for (;;) {
    int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    int err = SSL_get_error(ssl.get(), rc);
    if (err == SSL_ERROR_WANT_READ) {
      ENLIST_RETURN_IF_ERROR(WaitFd(fd.get(), POLLIN, deadline, what));
    } else if (err == SSL_ERROR_WANT_WRITE) {
      ENLIST_RETURN_IF_ERROR(WaitFd(fd.get(), POLLOUT, deadline, what));
    } else if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return absl::UnavailableError(absl::StrCat(
          what, ": ", errno != 0 ? std::strerror(errno) : "connection closed by the server"));
    } else {
      return absl::UnavailableError(absl::StrCat(what, ": ", SslErrorText()));
    }
  }
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get());
  std::vector<std::string> out;
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    ENLIST_ASSIGN_OR_RETURN(std::string der, crypto::CertificateDer(*sk_X509_value(chain, i)));
    out.push_back(std::move(der));
  }
  SSL_shutdown(ssl.get());  // best effort, non-blocking
  if (out.empty())
    return absl::UnavailableError(absl::StrCat(what, ": server sent no certificate"));
  return out;
}

absl::StatusOr<std::string> SelectPinnedCa(const std::vector<std::string>& chain_der,
                                           const std::vector<std::string>& pins) {
  if (chain_der.empty())
    return absl::InvalidArgumentError("ca pin: the server sent no certificate");
  std::vector<crypto::X509Ptr> certs;
  for (const std::string& der : chain_der) {
    absl::StatusOr<crypto::X509Ptr> c = crypto::ParseCertificateDer(der);
    if (!c.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ca pin: server certificate: ", c.status().message()));
    }
    certs.push_back(std::move(*c));
  }
  std::vector<std::string> wanted;
  for (const std::string& p : pins) wanted.push_back(absl::AsciiStrToLower(p));
  std::vector<std::string> offered;
  for (const crypto::X509Ptr& cert : certs) {
    ENLIST_ASSIGN_OR_RETURN(std::string pin, ca::CaPin(*cert));
    offered.push_back(pin);
    if (std::find(wanted.begin(), wanted.end(), pin) == wanted.end()) continue;
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (key == nullptr || X509_verify(certs[0].get(), key) != 1) {
      ERR_clear_error();
      return absl::UnauthenticatedError(absl::StrCat("ca pin: the certificate matching ", pin,
                                                     " did not sign the server's certificate"));
    }
    return CertPem(*cert);
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "ca pin: the server's certificates match no pinned CA: expected ",
      absl::StrJoin(wanted, " or "), ", server offered ", absl::StrJoin(offered, ", ")));
}

ServerTrust::ServerTrust(ServerTrustOptions options, log::Logger* logger)
    : options_(std::move(options)), logger_(logger) {
  for (std::string& p : options_.ca_pins) p = absl::AsciiStrToLower(p);
}

absl::StatusOr<std::string> ServerTrust::Roots(absl::Time deadline) {
  absl::MutexLock l(&mu_);
  if (!resolved_) {
    ENLIST_ASSIGN_OR_RETURN(roots_, ResolveRoots(deadline));
    resolved_ = true;
  }
  return roots_;
}

absl::StatusOr<std::string> ServerTrust::FromCaFile() {
  absl::StatusOr<std::string> pem = ReadFileCapped(options_.ca_file, kMaxCaFile);
  if (!pem.ok()) {
    return absl::Status(pem.status().code(),
                        absl::StrCat("ca_file ", options_.ca_file, ": ", pem.status().message()));
  }
  absl::StatusOr<std::vector<crypto::X509Ptr>> certs = crypto::ParseCertificatesPem(*pem);
  if (!certs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ca_file ", options_.ca_file, ": ", certs.status().message()));
  }
  if (options_.ca_pins.empty()) return *pem;
  for (const crypto::X509Ptr& cert : *certs) {
    ENLIST_ASSIGN_OR_RETURN(std::string pin, ca::CaPin(*cert));
    if (std::find(options_.ca_pins.begin(), options_.ca_pins.end(), pin) !=
        options_.ca_pins.end()) {
      return CertPem(*cert);
    }
  }
  return absl::FailedPreconditionError(absl::StrCat("ca_file ", options_.ca_file,
                                                    ": no certificate matches ca_pin ",
                                                    absl::StrJoin(options_.ca_pins, " or ")));
}

std::string ServerTrust::CachedRoots() {
  if (options_.data_dir.empty()) return "";
  const std::string path = absl::StrCat(options_.data_dir, "/", kCaCacheFile);
  absl::StatusOr<std::string> pem = ReadFileCapped(path, kMaxCaFile);
  if (!pem.ok()) return "";
  absl::StatusOr<std::vector<crypto::X509Ptr>> certs = crypto::ParseCertificatesPem(*pem);
  if (certs.ok() && certs->size() == 1) {
    absl::StatusOr<std::string> pin = ca::CaPin(*(*certs)[0]);
    if (pin.ok() && std::find(options_.ca_pins.begin(), options_.ca_pins.end(), *pin) !=
                        options_.ca_pins.end()) {
      return *pem;
    }
  }
  logger_->Warn("Cached CA certificate does not match ca_pin, fetching it from the server.",
                {{"path", path}});
  return "";
}

absl::StatusOr<std::string> ServerTrust::ResolveRoots(absl::Time deadline) {
  if (!options_.ca_file.empty()) return FromCaFile();
  if (options_.ca_pins.empty()) {
    logger_->Warn("No ca_pin or ca_file configured, trusting the system's root certificates.",
                  {{"server", options_.server}});
    return std::string();
  }
  std::string cached = CachedRoots();
  if (!cached.empty()) return cached;

  ENLIST_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(options_.server, 443));
  ENLIST_ASSIGN_OR_RETURN(std::vector<std::string> chain,
                          FetchServerCertificates(host_port.first, host_port.second,
                                                  options_.tls_server_name, deadline));
  ENLIST_ASSIGN_OR_RETURN(std::string pem, SelectPinnedCa(chain, options_.ca_pins));
  if (!options_.data_dir.empty()) {
    const std::string path = absl::StrCat(options_.data_dir, "/", kCaCacheFile);
    absl::Status s = MakeDirs(options_.data_dir, 0700);
    if (s.ok()) s = WriteFileAtomic(path, pem, 0600);
    // The pin was checked; a failed cache write only costs a handshake later.
    if (!s.ok())
      logger_->Warn("Cannot cache the CA certificate.", {{"error", std::string(s.message())}});
  }
  logger_->Info("Server CA certificate matches ca_pin.", {{"server", options_.server}});
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ServerTrust::Dial(absl::Time deadline) {
  ENLIST_ASSIGN_OR_RETURN(std::string roots, Roots(deadline));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = roots;
  grpc::ChannelArguments args;
  if (!options_.tls_server_name.empty()) args.SetSslTargetNameOverride(options_.tls_server_name);
  // A private subchannel pool: a fresh connection per attempt, not one
  // shared (with its reconnect backoff) across channels.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options_.server, grpc::SslCredentials(ssl), args);
  if (channel == nullptr) return absl::InternalError("dial: cannot create a gRPC channel");
  return channel;
}

}  // namespace enlist::agent
