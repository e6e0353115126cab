// The admin API (enlist.admin.v1.AdminService): tokens, hosts, events and
// cluster status. Callers must present an admin client certificate issued
// by the cluster CA (URI SAN "urn:enlist:admin:<name>").
#ifndef ENLIST_AUTH_ADMIN_SERVICE_H_
#define ENLIST_AUTH_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "auth/storage/event_store.h"
#include "auth/storage/host_store.h"
#include "core/config/yaml.h"
#include "core/join/registry.h"
#include "core/log/logger.h"
#include "core/token/token_store.h"
#include "proto/admin/v1/admin.grpc.pb.h"

namespace enlist::auth {

// The URI SAN prefix that marks an admin identity.
inline constexpr char kAdminUriPrefix[] = "urn:enlist:admin:";

struct AdminDeps {
  const join::AuthRegistry* methods = nullptr;
  token::TokenStore* tokens = nullptr;
  storage::HostStore* hosts = nullptr;
  storage::EventStore* events = nullptr;
  log::Logger* logger = &log::Logger::Discard();
  // Fills the parts of the status only the server knows.
  std::function<void(enlist::admin::v1::ClusterStatus*)> status;
  // Largest token YAML accepted: the YAML edge's own input limit.
  size_t max_yaml_bytes = config::YamlLimits().max_bytes;
};

class AdminService final : public enlist::admin::v1::AdminService::Service {
 public:
  explicit AdminService(AdminDeps deps) : deps_(std::move(deps)) {}

  grpc::Status CreateTokens(grpc::ServerContext*, const enlist::admin::v1::CreateTokensRequest*,
                            enlist::admin::v1::CreateTokensResponse*) override;
  grpc::Status ListTokens(grpc::ServerContext*, const enlist::admin::v1::ListTokensRequest*,
                          enlist::admin::v1::ListTokensResponse*) override;
  grpc::Status GetToken(grpc::ServerContext*, const enlist::admin::v1::GetTokenRequest*,
                        enlist::admin::v1::Token*) override;
  grpc::Status DeleteToken(grpc::ServerContext*, const enlist::admin::v1::DeleteTokenRequest*,
                           enlist::admin::v1::DeleteTokenResponse*) override;
  grpc::Status ListHosts(grpc::ServerContext*, const enlist::admin::v1::ListHostsRequest*,
                         enlist::admin::v1::ListHostsResponse*) override;
  grpc::Status ListEvents(grpc::ServerContext*, const enlist::admin::v1::ListEventsRequest*,
                          enlist::admin::v1::ListEventsResponse*) override;
  grpc::Status GetStatus(grpc::ServerContext*, const enlist::admin::v1::GetStatusRequest*,
                         enlist::admin::v1::ClusterStatus*) override;

 private:
  // OK with the admin's name, or the status to return.
  absl::StatusOr<std::string> Authorize(grpc::ServerContext* ctx) const;
  AdminDeps deps_;
};

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_ADMIN_SERVICE_H_
