#include "agent/public/dial.h"

#include "absl/strings/str_cat.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/status_macros.h"
#include "grpcpp/create_channel.h"

namespace enlist::agent {
namespace {

// PEM of each DER certificate, concatenated.
absl::StatusOr<std::string> PemChain(const google::protobuf::RepeatedPtrField<std::string>& ders,
                                     absl::string_view what) {
  std::string out;
  for (const std::string& der : ders) {
    absl::StatusOr<crypto::X509Ptr> cert = crypto::ParseCertificateDer(der);
    if (!cert.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("identity: ", what, ": ", cert.status().message()));
    }
    ENLIST_ASSIGN_OR_RETURN(std::string pem, ca::CertificatePem(**cert));
    out += pem;
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat("identity: no ", what));
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialAuthServer(const ServerTrustOptions& options,
                                                              absl::Time deadline,
                                                              log::Logger* logger) {
  ServerTrust trust(options, logger != nullptr ? logger : &log::Logger::Discard());
  return trust.Dial(deadline);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> IdentityChannelCredentials(
    const Identity& identity, const HostKeys& keys) {
  if (keys.tls_key == nullptr) return absl::InvalidArgumentError("identity: no tls key");
  grpc::SslCredentialsOptions o;
  ENLIST_ASSIGN_OR_RETURN(o.pem_root_certs, PemChain(identity.result.tls_ca_certs(), "ca certificates"));
  ENLIST_ASSIGN_OR_RETURN(o.pem_cert_chain,
                          PemChain(identity.result.tls_cert_chain(), "certificate chain"));
  ENLIST_ASSIGN_OR_RETURN(o.pem_private_key, ca::PrivateKeyPem(*keys.tls_key));
  return grpc::SslCredentials(o);
}

}  // namespace enlist::agent
