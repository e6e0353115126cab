// A connection to enlist-auth's admin service with an admin identity (the
// files enlist-auth writes to <data_dir>/admin/ at first start).
#ifndef ENLIST_TOOLS_ENLISTCTL_ADMIN_CLIENT_H_
#define ENLIST_TOOLS_ENLISTCTL_ADMIN_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "proto/admin/v1/admin.grpc.pb.h"

namespace enlist::ctl {

struct AdminTarget {
  // Directory holding admin.crt, admin.key, ca.crt and (optionally) server.
  std::string identity_dir;
  // host:port; empty: read <identity_dir>/server.
  std::string server;
};

// Dials the admin service. kNotFound/kUnavailable name the missing file.
absl::StatusOr<std::unique_ptr<enlist::admin::v1::AdminService::Stub>> DialAdmin(
    const AdminTarget& target);

}  // namespace enlist::ctl

#endif  // ENLIST_TOOLS_ENLISTCTL_ADMIN_CLIENT_H_
