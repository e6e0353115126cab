// PUBLIC API (stable): the auth configuration object.
//
// Re-exports, from auth/config.h (where they are defined and documented
// field by field):
//   AuthConfig          the settings of a JoinServer (join_server.h) and of
//                       a whole AuthServer (auth_server.h); default values
//                       are usable as they are.
//   ParseAuthConfig     parses the YAML file format (docs/auth.md);
//                       kInvalidArgument with file:line:column.
//   ParseDurationText   parses "90s", "15m", "8h", "1h30m".
// Fields may be added to AuthConfig; none is removed or changes meaning
// within a major version.
#ifndef ENLIST_AUTH_PUBLIC_CONFIG_H_
#define ENLIST_AUTH_PUBLIC_CONFIG_H_

#include "auth/config.h"

#endif  // ENLIST_AUTH_PUBLIC_CONFIG_H_
