#include "tools/enlistctl/admin_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"

namespace enlist::ctl {

absl::StatusOr<std::unique_ptr<enlist::admin::v1::AdminService::Stub>> DialAdmin(
    const AdminTarget& t) {
  auto read = [&](const char* name) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> s = ReadFileCapped(absl::StrCat(t.identity_dir, "/", name), 64 * 1024);
    if (!s.ok()) {
      return absl::Status(s.status().code(),
                          absl::StrCat("admin identity: ", s.status().message(),
                                       " (use --identity DIR or --data-dir of the auth server)"));
    }
    return s;
  };
  ENLIST_ASSIGN_OR_RETURN(std::string cert, read("admin.crt"));
  ENLIST_ASSIGN_OR_RETURN(std::string key, read("admin.key"));
  ENLIST_ASSIGN_OR_RETURN(std::string ca, read("ca.crt"));
  std::string server = t.server;
  if (server.empty()) {
    ENLIST_ASSIGN_OR_RETURN(std::string s, read("server"));
    server = std::string(absl::StripAsciiWhitespace(s));
  }
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = ca;
  opts.pem_private_key = key;
  opts.pem_cert_chain = cert;
  auto channel = grpc::CreateChannel(server, grpc::SslCredentials(opts));
  return enlist::admin::v1::AdminService::NewStub(channel);
}

}  // namespace enlist::ctl
