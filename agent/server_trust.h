// How the agent decides to trust the auth server (or proxy) before it has
// an identity: by CA pin, by CA file, or by the system's roots.
//
// With `ca_pin` (sha256:<hex> of the CA certificate's SubjectPublicKeyInfo,
// as `enlist-auth` prints it), the agent makes one unverified TLS handshake
// to read the server's certificate chain, picks the certificate whose SPKI
// hash is pinned, checks that it signed the server's leaf certificate, and
// from then on uses it as the only root for gRPC's own (verifying) TLS. The
// pinned CA is cached as `<data_dir>/ca.pem` (0600, atomic); later starts
// re-check the cached file against the pin and skip the handshake.
#ifndef ENLIST_AGENT_SERVER_TRUST_H_
#define ENLIST_AGENT_SERVER_TRUST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/log/logger.h"
#include "grpcpp/channel.h"

namespace enlist::agent {

inline constexpr char kCaCacheFile[] = "ca.pem";

// Splits "host:port", "[v6]:port" or a bare host (given `default_port`).
// kInvalidArgument for an empty host or a port that is not 1..65535.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(absl::string_view address,
                                                          int default_port);

// Makes one TLS handshake to `host`:`port` without verifying anything and
// returns the certificates the server sent (DER, leaf first). `server_name`
// is sent as SNI (skipped for IP literals). Non-blocking I/O bounded by
// `deadline`. kUnavailable when the server cannot be reached or the
// handshake fails, kDeadlineExceeded when the deadline passes.
absl::StatusOr<std::vector<std::string>> FetchServerCertificates(const std::string& host, int port,
                                                                 const std::string& server_name,
                                                                 absl::Time deadline);

// From a server chain (DER, leaf first), returns the PEM of the certificate
// whose SPKI SHA-256 matches one of `pins` and that signed the leaf.
// kUnauthenticated when no certificate matches (the message names the
// expected pins and those offered) or the pinned one did not sign the leaf;
// kInvalidArgument for an empty or unparsable chain.
absl::StatusOr<std::string> SelectPinnedCa(const std::vector<std::string>& chain_der,
                                           const std::vector<std::string>& pins);

struct ServerTrustOptions {
  // The address to dial ("host:port").
  std::string server;
  // Accepted CA pins ("sha256:<hex>", any case).
  std::vector<std::string> ca_pins;
  // PEM file with the CA certificate(s) to trust. When pins are set too,
  // one of its certificates must match a pin.
  std::string ca_file;
  // Where ca.pem is cached; empty: no cache.
  std::string data_dir;
  // Name to expect in the server's certificate (and send as SNI) instead of
  // the host part of `server`.
  std::string tls_server_name;
};

// Resolves the roots once and dials TLS channels to the server. With
// neither pins nor a CA file, gRPC's default roots are used (a proxy with a
// public certificate). Thread-safe.
class ServerTrust {
 public:
  // `logger` outlives the object.
  ServerTrust(ServerTrustOptions options, log::Logger* logger);

  // The PEM roots to trust ("" means gRPC's default roots), resolving them
  // on first use (cache file, CA file or handshake). Errors: kUnauthenticated
  // for a pin mismatch (final), kUnavailable/kDeadlineExceeded when the
  // server cannot be reached for the handshake (retry), kFailedPrecondition
  // for a CA file that matches no pin, kNotFound/kInvalidArgument for an
  // unreadable or malformed CA file.
  absl::StatusOr<std::string> Roots(absl::Time deadline);

  // A new channel to the server using Roots(). Each call makes a fresh
  // channel with its own connection, so one attempt's reconnect backoff
  // never delays the next.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(absl::Time deadline);

 private:
  absl::StatusOr<std::string> ResolveRoots(absl::Time deadline);
  absl::StatusOr<std::string> FromCaFile();
  std::string CachedRoots();

  ServerTrustOptions options_;
  log::Logger* logger_;
  absl::Mutex mu_;
  bool resolved_ ABSL_GUARDED_BY(mu_) = false;
  std::string roots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_SERVER_TRUST_H_
