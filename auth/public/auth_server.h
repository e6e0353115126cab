// PUBLIC API (stable): the whole auth server, as `enlist-auth` runs it.
//
// Re-exports AuthServer (auth/server.h, documented there): the join service
// (JoinServer, join_server.h) and the admin service on one TLS port of its
// own, plus the diagnostics listener, storage maintenance and the local
// admin identity in `<data_dir>/admin/`. Use it to run a complete auth
// server inside another process; use JoinServer to add joins to a gRPC
// server you already have.
//
//   AuthServer::Start(config, &methods, &logger) -> StatusOr<unique_ptr>
//   port(), ca_pin(), Shutdown(grace)
#ifndef ENLIST_AUTH_PUBLIC_AUTH_SERVER_H_
#define ENLIST_AUTH_PUBLIC_AUTH_SERVER_H_

#include "auth/server.h"

#endif  // ENLIST_AUTH_PUBLIC_AUTH_SERVER_H_
