#include "agent/identity.h"

#include <openssl/x509.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/identity.pb.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::agent {
namespace {

constexpr uint32_t kFormatVersion = 1;
// A Result is capped at 256 KiB on the wire; the file adds a few fields.
constexpr size_t kMaxIdentityFile = 512 * 1024;

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* ts) {
  int64_t s = absl::ToUnixSeconds(t);
  ts->set_seconds(s);
  ts->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

struct LeafValidity {
  absl::Time not_before;
  absl::Time not_after;
};

absl::Status NotThisHostsKey() {
  return absl::FailedPreconditionError(
      "identity: the TLS certificate is not for this host's TLS key");
}

// The libcrypto check: decodes the certificate and re-encodes its key, so a
// certificate whose issuer re-encoded the same key still matches. Under
// OpenSSL 3 both steps go through provider decoders and encoders, which is
// why CheckLeaf tries the byte comparison first. `outline` is
// ReadCertificateBasics' verdict on the same bytes; when libcrypto rejects
// the certificate or its validity as well, the outline's reason is
// reported, being the more precise.
absl::StatusOr<LeafValidity> CheckLeafDecoded(absl::string_view der, const HostKeys& keys,
                                              const absl::Status& outline) {
  absl::StatusOr<crypto::X509Ptr> leaf = crypto::ParseCertificateDer(der);
  if (!leaf.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "identity: TLS certificate: ", outline.ok() ? leaf.status().message() : outline.message()));
  }
  crypto::EvpPkeyPtr pub(X509_get_pubkey(leaf->get()));
  if (pub == nullptr) return absl::InvalidArgumentError("identity: TLS certificate has no key");
  ENLIST_ASSIGN_OR_RETURN(std::string spki, ca::PublicKeyDer(*pub));
  if (spki != keys.tls_public_key_der) return NotThisHostsKey();
  absl::StatusOr<absl::Time> not_before = crypto::Asn1TimeToTime(X509_get0_notBefore(leaf->get()));
  absl::StatusOr<absl::Time> not_after = crypto::Asn1TimeToTime(X509_get0_notAfter(leaf->get()));
  for (const absl::Status& s : {not_before.status(), not_after.status()}) {
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "identity: TLS certificate: ", outline.ok() ? s.message() : outline.message()));
    }
  }
  return LeafValidity{*not_before, *not_after};
}

// Checks that `der` is a certificate for the host's TLS key and returns its
// validity. Enlist's auth server copies the agent's SubjectPublicKeyInfo
// into the certificate verbatim (ca::IssueCertificateDer's subject_spki),
// so reading the certificate's outline with the DER reader and comparing
// bytes settles the usual case without libcrypto. Anything else (another
// server's re-encoding of the key, a certificate the strict reader refuses
// but libcrypto takes, another key, garbage) gets the libcrypto check, so
// every certificate accepted before is accepted now, with the same
// validity. What the outline read leaves unchecked (names, extensions,
// signature) MakeIdentity never relied on: it checks no signature, and the
// certificate is decoded in full wherever it is used (agent/public/dial.cc).
absl::StatusOr<LeafValidity> CheckLeaf(absl::string_view der, const HostKeys& keys) {
  absl::StatusOr<crypto::CertificateBasics> basics = crypto::ReadCertificateBasics(der);
  if (basics.ok() && basics->subject_public_key_info == keys.tls_public_key_der) {
    return LeafValidity{basics->not_before, basics->not_after};
  }
  return CheckLeafDecoded(der, keys, basics.status());
}

}  // namespace

absl::Time Identity::RenewAt(double fraction) const {
  fraction = std::clamp(fraction, 0.0, 1.0);
  return joined_at + (expires - joined_at) * fraction;
}

absl::StatusOr<Identity> MakeIdentity(enlist::join::v1::Result result, const HostKeys& keys,
                                      absl::Time joined_at) {
  if (result.host_id().empty()) return absl::InvalidArgumentError("identity: no host id");
  if (result.tls_cert_chain_size() == 0) {
    return absl::InvalidArgumentError("identity: no TLS certificate");
  }
  ENLIST_ASSIGN_OR_RETURN(LeafValidity validity, CheckLeaf(result.tls_cert_chain(0), keys));
  // The CA certificates are the same join after join (and for every agent
  // of a process), so ParseCertificateDer's cache by DER answers these after
  // the first join; leaves that CheckLeaf settles by bytes no longer go into
  // that cache (bounded, cleared when full) to evict them.
  for (int i = 0; i < result.tls_ca_certs_size(); ++i) {
    absl::StatusOr<crypto::X509Ptr> ca = crypto::ParseCertificateDer(result.tls_ca_certs(i));
    if (!ca.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("identity: CA certificate ", i, ": ", ca.status().message()));
    }
  }
  if (!absl::StartsWith(result.ssh_host_cert(), "ssh-") ||
      !absl::StrContains(result.ssh_host_cert(), "-cert-v01@openssh.com ")) {
    return absl::InvalidArgumentError("identity: no OpenSSH host certificate");
  }

  Identity id;
  id.joined_at = joined_at;
  id.not_before = validity.not_before;
  id.expires = validity.not_after;
  if (result.has_expires()) id.expires = std::min(id.expires, FromTimestamp(result.expires()));
  id.result = std::move(result);
  return id;
}

IdentityStore::IdentityStore(std::string data_dir, std::string ssh_host_cert_path)
    : path_(absl::StrCat(data_dir, "/", kIdentityFile)),
      ssh_host_cert_path_(std::move(ssh_host_cert_path)) {}

absl::Status IdentityStore::Save(const Identity& identity) const {
  enlist::agent::v1::StoredIdentity stored;
  stored.set_format_version(kFormatVersion);
  *stored.mutable_result() = identity.result;
  ToTimestamp(identity.joined_at, stored.mutable_joined_at());
  stored.set_server(identity.server);
  stored.set_join_method(identity.join_method);
  stored.set_token_name(identity.token_name);
  stored.set_role(identity.role);
  std::string data;
  if (!stored.SerializeToString(&data)) {
    return absl::InternalError("identity: cannot serialize the identity");
  }
  // The SSH certificate first: if it fails, the stored identity (and the
  // certificate sshd uses) stay consistent with each other.
  if (!ssh_host_cert_path_.empty()) {
    absl::Status s = WriteFileAtomic(ssh_host_cert_path_,
                                     absl::StrCat(identity.result.ssh_host_cert(), "\n"), 0644);
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("identity: writing the SSH host certificate: ", s.message()));
    }
  }
  absl::Status s = WriteFileAtomic(path_, data, 0600);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("identity: writing ", path_, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Identity> IdentityStore::Load(const HostKeys& keys) const {
  absl::StatusOr<std::string> data = ReadFileCapped(path_, kMaxIdentityFile);
  if (absl::IsNotFound(data.status())) {
    return absl::NotFoundError(absl::StrCat("identity: ", path_, ": no identity yet"));
  }
  if (absl::IsInvalidArgument(data.status())) {
    return absl::DataLossError(absl::StrCat("identity: ", path_, ": corrupt: file too large"));
  }
  if (!data.ok()) return data.status();
  enlist::agent::v1::StoredIdentity stored;
  if (!stored.ParseFromString(*data)) {
    return absl::DataLossError(absl::StrCat("identity: ", path_, ": corrupt: cannot parse"));
  }
  if (stored.format_version() != kFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("identity: ", path_, ": corrupt: unknown format ", stored.format_version()));
  }
  absl::StatusOr<Identity> id =
      MakeIdentity(std::move(*stored.mutable_result()), keys, FromTimestamp(stored.joined_at()));
  if (!id.ok()) {
    absl::string_view why = absl::StripPrefix(id.status().message(), "identity: ");
    if (absl::IsFailedPrecondition(id.status())) {
      return absl::FailedPreconditionError(absl::StrCat("identity: ", path_, ": ", why));
    }
    return absl::DataLossError(absl::StrCat("identity: ", path_, ": corrupt: ", why));
  }
  id->server = stored.server();
  id->join_method = stored.join_method();
  id->token_name = stored.token_name();
  id->role = stored.role();
  return id;
}

}  // namespace enlist::agent
