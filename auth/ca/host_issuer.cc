#include "auth/ca/host_issuer.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/json/json.h"
#include "core/util/status_macros.h"
#include "core/util/uuid.h"

namespace enlist::ca {
namespace {

void AddUnique(std::vector<std::string>* v, const std::string& s) {
  if (!s.empty() && std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

}  // namespace

absl::StatusOr<std::string> NewUuid() {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) return absl::InternalError("ca: rng failed");
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  std::string hex = absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), 16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

CaHostIssuer::CaHostIssuer(const ClusterCa* ca, const Clock* clock, HostIssuerOptions options)
    : ca_(ca), clock_(clock), options_(std::move(options)) {}

absl::StatusOr<enlist::join::v1::Result> CaHostIssuer::Issue(const join::IssueRequest& req) {
  const auto& host = *req.host;
  IssuedHost issued;
  issued.request = &req;
  const std::string& prev = host.previous_host_id();
  if (!prev.empty() && IsUuid(prev) && options_.may_keep_host_id) {
    ENLIST_ASSIGN_OR_RETURN(bool keep, options_.may_keep_host_id(prev, req));
    if (keep) {
      issued.host_id = absl::AsciiStrToLower(prev);
      issued.renewed = true;
    }
  }
  if (issued.host_id.empty()) {
    ENLIST_ASSIGN_OR_RETURN(issued.host_id, NewUuid());
  }
  absl::Time now = clock_->Now();
  issued.expires = now + options_.ttl;

  enlist::join::v1::Result result;
  result.set_host_id(issued.host_id);
  if (!host.tls_public_key().empty()) {
    ENLIST_RETURN_IF_ERROR(CheckHostPublicKey(host.tls_public_key()));
    json::Value ext = json::Value::Object();
    ext.Set("host_id", json::Value::String(issued.host_id));
    ext.Set("role", json::Value::String(req.role));
    ext.Set("join_method", json::Value::String(req.join_method));
    ext.Set("token_name", json::Value::String(req.token_name));
    json::Value attrs = json::Value::Object();
    for (const auto& [k, v] : req.attributes) attrs.Set(k, json::Value::String(v));
    ext.Set("attributes", std::move(attrs));
    CertProfile p;
    p.common_name = issued.host_id;
    // The host name is a DNS SAN only when it is a valid DNS name (Azure
    // scale-set instances are named "vmss_3"); it stays an SSH principal.
    if (IsValidDnsName(host.host_name())) AddUnique(&p.dns_names, host.host_name());
    for (const auto& d : host.dns_names()) AddUnique(&p.dns_names, d);
    p.uris = {absl::StrCat("urn:enlist:host:", issued.host_id)};
    p.server_auth = p.client_auth = true;
    p.not_before = now - options_.backdate;
    p.not_after = issued.expires;
    p.join_extension_json = json::Serialize(ext);
    ENLIST_ASSIGN_OR_RETURN(
        IssuedCertificate cert,
        IssueCertificateDer(p, host.tls_public_key(), &ca_->issuer(), ca_->tls_key()));
    issued.tls_serial = std::move(cert.serial_hex);
    result.add_tls_cert_chain(std::move(cert.der));
  }
  if (!host.ssh_public_key().empty()) {
    SshCertRequest s;
    s.public_key_line = host.ssh_public_key();
    s.key_id = issued.host_id;
    AddUnique(&s.principals, issued.host_id);
    AddUnique(&s.principals, host.host_name());
    for (const auto& p : host.additional_principals()) AddUnique(&s.principals, p);
    uint8_t serial[8];
    if (RAND_bytes(serial, sizeof(serial)) != 1) return absl::InternalError("ca: rng failed");
    for (uint8_t b : serial) s.serial = (s.serial << 8) | b;
    s.valid_after = now - options_.backdate;
    s.valid_before = issued.expires;
    ENLIST_ASSIGN_OR_RETURN(std::string line, SignSshHostCert(s, ca_->ssh_key()));
    issued.ssh_serial = s.serial;
    result.set_ssh_host_cert(line);
  }
  result.add_tls_ca_certs(ca_->tls_cert_der());
  result.add_ssh_ca_public_keys(ca_->ssh_public_key());
  result.mutable_expires()->set_seconds(absl::ToUnixSeconds(issued.expires));
  if (options_.on_issued) ENLIST_RETURN_IF_ERROR(options_.on_issued(issued));
  return result;
}

}  // namespace enlist::ca
