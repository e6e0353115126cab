// The one conversion between absl::Status and grpc::Status. Codes map one to
// one (both follow google.rpc.Code); messages pass unchanged.
#ifndef ENLIST_CORE_RPC_STATUS_H_
#define ENLIST_CORE_RPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace enlist::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace enlist::rpc

#endif  // ENLIST_CORE_RPC_STATUS_H_
