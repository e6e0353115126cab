#include "auth/admin_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/rpc/status.h"
#include "core/token/token_resource.h"
#include "grpcpp/security/auth_context.h"

namespace enlist::auth {
namespace {

using namespace enlist::admin::v1;  // NOLINT: generated message names

void FillToken(const token::StoredToken& st, const join::AuthRegistry& methods, Token* out) {
  out->set_name(st.token.name);
  out->set_join_method(st.token.join_method);
  for (const auto& r : st.token.roles) out->add_roles(r);
  if (st.token.expires.has_value()) out->set_expires_unix(absl::ToUnixSeconds(*st.token.expires));
  out->set_yaml(token::TokenToYaml(st.token, methods));
}

}  // namespace

absl::StatusOr<std::string> AdminService::Authorize(grpc::ServerContext* ctx) const {
  std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
  std::vector<grpc::string_ref> pem = auth ? auth->FindPropertyValues("x509_pem_cert")
                                           : std::vector<grpc::string_ref>();
  if (pem.empty()) {
    return absl::UnauthenticatedError("admin: a client certificate is required (enlistctl --identity)");
  }
  // gRPC verified the certificate against the cluster CA; the role comes
  // from the certificate's URI SAN.
  auto certs = crypto::ParseCertificatesPem(absl::string_view(pem[0].data(), pem[0].size()), 1);
  if (!certs.ok() || certs->empty()) return absl::UnauthenticatedError("admin: unreadable client certificate");
  for (const std::string& uri : crypto::UriNames(*(*certs)[0])) {
    if (absl::StartsWith(uri, kAdminUriPrefix)) return uri.substr(sizeof(kAdminUriPrefix) - 1);
  }
  return absl::PermissionDeniedError("admin: client certificate is not an admin identity");
}

#define ENLIST_AUTHORIZE(ctx, op)                                                  \
  absl::StatusOr<std::string> admin_ = Authorize(ctx);                            \
  if (!admin_.ok()) {                                                              \
    deps_.logger->Warn("Admin request denied", {{"op", op}, {"error", std::string(admin_.status().message())}, {"remote_addr", ctx->peer()}}); \
    return rpc::ToGrpcStatus(admin_.status());                                     \
  }

grpc::Status AdminService::CreateTokens(grpc::ServerContext* ctx, const CreateTokensRequest* req,
                                        CreateTokensResponse* resp) {
  ENLIST_AUTHORIZE(ctx, "create_tokens");
  if (req->yaml().size() > deps_.max_yaml_bytes) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("create: input is ", req->yaml().size(), " bytes, over the limit of ",
                     deps_.max_yaml_bytes)));
  }
  std::string source = req->source().empty() ? "<stdin>" : req->source().substr(0, 256);
  absl::StatusOr<std::vector<token::TokenResource>> tokens =
      token::ParseTokens(req->yaml(), source, *deps_.methods);
  if (!tokens.ok()) return rpc::ToGrpcStatus(tokens.status());
  // Check every name first, so a conflict changes nothing.
  if (!req->force()) {
    for (const auto& t : *tokens) {
      if (deps_.tokens->GetToken(t.name).ok()) {
        return rpc::ToGrpcStatus(absl::AlreadyExistsError(
            absl::StrCat("token \"", t.name, "\" already exists (use --force to overwrite)")));
      }
    }
  }
  for (const auto& t : *tokens) {
    absl::Status s = deps_.tokens->PutToken(t, req->force());
    if (!s.ok()) return rpc::ToGrpcStatus(s);
    resp->add_names(t.name);
    deps_.logger->Info("Token created", {{"token_name", t.name}, {"token_join_method", t.join_method}, {"admin", *admin_}});
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::ListTokens(grpc::ServerContext* ctx, const ListTokensRequest*,
                                      ListTokensResponse* resp) {
  ENLIST_AUTHORIZE(ctx, "list_tokens");
  auto tokens = deps_.tokens->ListTokens();
  if (!tokens.ok()) return rpc::ToGrpcStatus(tokens.status());
  for (const auto& t : *tokens) FillToken(t, *deps_.methods, resp->add_tokens());
  return grpc::Status::OK;
}

grpc::Status AdminService::GetToken(grpc::ServerContext* ctx, const GetTokenRequest* req, Token* resp) {
  ENLIST_AUTHORIZE(ctx, "get_token");
  auto t = deps_.tokens->GetToken(req->name());
  if (!t.ok()) return rpc::ToGrpcStatus(t.status());
  FillToken(*t, *deps_.methods, resp);
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteToken(grpc::ServerContext* ctx, const DeleteTokenRequest* req,
                                       DeleteTokenResponse*) {
  ENLIST_AUTHORIZE(ctx, "delete_token");
  absl::Status s = deps_.tokens->DeleteToken(req->name());
  if (s.ok()) deps_.logger->Info("Token deleted", {{"token_name", req->name()}, {"admin", *admin_}});
  return rpc::ToGrpcStatus(s);
}

grpc::Status AdminService::ListHosts(grpc::ServerContext* ctx, const ListHostsRequest*,
                                     ListHostsResponse* resp) {
  ENLIST_AUTHORIZE(ctx, "list_hosts");
  auto hosts = deps_.hosts->List();
  if (!hosts.ok()) return rpc::ToGrpcStatus(hosts.status());
  for (const auto& h : *hosts) {
    Host* out = resp->add_hosts();
    out->set_host_id(h.host_id);
    out->set_host_name(h.host_name);
    out->set_join_method(h.join_method);
    out->set_token_name(h.token_name);
    out->set_role(h.role);
    for (const auto& [k, v] : h.attributes) {
      auto* a = out->add_attributes();
      a->set_key(k);
      a->set_value(v);
    }
    out->set_first_join_unix(absl::ToUnixSeconds(h.first_join));
    out->set_last_join_unix(absl::ToUnixSeconds(h.last_join));
    for (const auto& s : h.cert_serials) out->add_cert_serials(s);
    out->set_join_count(h.join_count);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::ListEvents(grpc::ServerContext* ctx, const ListEventsRequest* req,
                                      ListEventsResponse* resp) {
  ENLIST_AUTHORIZE(ctx, "list_events");
  storage::EventQuery q;
  if (req->since_unix() > 0) q.since = absl::FromUnixSeconds(req->since_unix());
  q.limit = req->limit() > 0 ? static_cast<size_t>(req->limit()) : 100;
  auto page = deps_.events->List(q);
  if (!page.ok()) return rpc::ToGrpcStatus(page.status());
  for (const auto& se : page->events) {
    const join::JoinEvent& e = se.event;
    Event* out = resp->add_events();
    out->set_time_unix_micros(absl::ToUnixMicros(e.time));
    out->set_duration_micros(absl::ToInt64Microseconds(e.duration));
    out->set_join_method(e.join_method);
    out->set_token_name(e.token_name);
    out->set_role(e.role);
    out->set_host_name(e.host_name);
    out->set_remote_addr(e.remote_addr);
    out->set_accepted(e.accepted);
    out->set_host_id(e.host_id);
    out->set_code(absl::StatusCodeToString(e.code));
    out->set_reason(e.reason);
    for (const auto& [k, v] : e.attributes) {
      auto* a = out->add_attributes();
      a->set_key(k);
      a->set_value(v);
    }
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetStatus(grpc::ServerContext* ctx, const GetStatusRequest*,
                                     ClusterStatus* resp) {
  ENLIST_AUTHORIZE(ctx, "status");
  auto tokens = deps_.tokens->ListTokens();
  auto hosts = deps_.hosts->List();
  if (!tokens.ok()) return rpc::ToGrpcStatus(tokens.status());
  if (!hosts.ok()) return rpc::ToGrpcStatus(hosts.status());
  resp->set_tokens(static_cast<int64_t>(tokens->size()));
  resp->set_hosts(static_cast<int64_t>(hosts->size()));
  for (const auto& m : deps_.methods->Names()) resp->add_join_methods(m);
  if (deps_.status) deps_.status(resp);
  return grpc::Status::OK;
}

#undef ENLIST_AUTHORIZE

}  // namespace enlist::auth
