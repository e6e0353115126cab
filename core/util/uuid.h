// UUID text form, the one check used everywhere (Azure ids, host ids).
#ifndef ENLIST_CORE_UTIL_UUID_H_
#define ENLIST_CORE_UTIL_UUID_H_

#include "absl/strings/string_view.h"

namespace enlist {

// True when `s` is a UUID in 8-4-4-4-12 hex form (either case).
bool IsUuid(absl::string_view s);

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_UUID_H_
