#include "auth/public/peer_identity.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/json/json.h"
#include "core/util/status_macros.h"

namespace enlist::auth {
namespace {

constexpr size_t kMaxCertificatePem = 64 * 1024;
constexpr size_t kMaxExtensionJson = 16 * 1024;

absl::Status NotAHost(absl::string_view why) {
  return absl::PermissionDeniedError(
      absl::StrCat("peer: client certificate is not an enlist host identity: ", why));
}

// The join extension's JSON text, read from the certificate.
absl::StatusOr<std::string> JoinExtensionJson(const X509& cert) {
  const unsigned char* oid_der = ca::kJoinExtensionOidDer;
  ASN1_OBJECT* oid = d2i_ASN1_OBJECT(nullptr, &oid_der, sizeof(ca::kJoinExtensionOidDer));
  if (oid == nullptr) return absl::InternalError("peer: cannot build the join extension oid");
  int index = X509_get_ext_by_OBJ(&cert, oid, -1);
  ASN1_OBJECT_free(oid);
  if (index < 0) return NotAHost("no join extension");
  X509_EXTENSION* ext = X509_get_ext(&cert, index);
  const ASN1_OCTET_STRING* data = ext != nullptr ? X509_EXTENSION_get_data(ext) : nullptr;
  if (data == nullptr) return NotAHost("empty join extension");
  const unsigned char* p = ASN1_STRING_get0_data(data);
  ASN1_UTF8STRING* text = d2i_ASN1_UTF8STRING(nullptr, &p, ASN1_STRING_length(data));
  if (text == nullptr) return NotAHost("join extension is not an UTF8String");
  std::string out(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                  static_cast<size_t>(ASN1_STRING_length(text)));
  ASN1_UTF8STRING_free(text);
  return out;
}

}  // namespace

absl::StatusOr<HostPeer> HostPeerFromCertificatePem(absl::string_view pem) {
  if (pem.size() > kMaxCertificatePem) {
    return absl::UnauthenticatedError("peer: client certificate is too large");
  }
  absl::StatusOr<std::vector<crypto::X509Ptr>> certs = crypto::ParseCertificatesPem(pem, 1);
  if (!certs.ok() || certs->empty()) {
    return absl::UnauthenticatedError("peer: unreadable client certificate");
  }
  const X509& cert = *(*certs)[0];
  std::string uri_host_id;
  for (const std::string& uri : crypto::UriNames(cert)) {
    if (absl::StartsWith(uri, kHostUriPrefix)) uri_host_id = uri.substr(sizeof(kHostUriPrefix) - 1);
  }
  if (uri_host_id.empty()) return NotAHost(absl::StrCat("no ", kHostUriPrefix, " uri"));
  ENLIST_ASSIGN_OR_RETURN(std::string text, JoinExtensionJson(cert));
  json::ParseOptions po;
  po.max_size = kMaxExtensionJson;
  absl::StatusOr<json::Value> doc = json::Parse(text, po);
  if (!doc.ok()) return NotAHost(absl::StrCat("join extension: ", doc.status().message()));
  HostPeer peer;
  auto field = [&](absl::string_view key, std::string* out) -> absl::Status {
    absl::StatusOr<std::string> v = doc->GetString(key);
    if (!v.ok()) return NotAHost(absl::StrCat("join extension: ", v.status().message()));
    *out = *std::move(v);
    return absl::OkStatus();
  };
  ENLIST_RETURN_IF_ERROR(field("host_id", &peer.host_id));
  ENLIST_RETURN_IF_ERROR(field("role", &peer.role));
  ENLIST_RETURN_IF_ERROR(field("join_method", &peer.join_method));
  ENLIST_RETURN_IF_ERROR(field("token_name", &peer.token_name));
  if (peer.host_id != uri_host_id) return NotAHost("uri and join extension name different hosts");
  absl::StatusOr<const json::Value*> attrs = doc->GetOptionalObject("attributes");
  if (!attrs.ok()) return NotAHost(absl::StrCat("join extension: ", attrs.status().message()));
  if (*attrs != nullptr) {
    for (const auto& [key, value] : (*attrs)->object()) {
      peer.attributes.emplace_back(key, value.string_value());
    }
  }
  return peer;
}

absl::StatusOr<HostPeer> HostPeerFromContext(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::vector<grpc::string_ref> pem =
      auth ? auth->FindPropertyValues("x509_pem_cert") : std::vector<grpc::string_ref>();
  if (pem.empty()) {
    return absl::UnauthenticatedError("peer: no client certificate (join the cluster first)");
  }
  return HostPeerFromCertificatePem(absl::string_view(pem[0].data(), pem[0].size()));
}

}  // namespace enlist::auth
