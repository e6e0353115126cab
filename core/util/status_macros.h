// Status propagation macros. Abseil 20220623 ships none, so the project has
// exactly these two, here.
#ifndef ENLIST_CORE_UTIL_STATUS_MACROS_H_
#define ENLIST_CORE_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ENLIST_STATUS_CONCAT_INNER_(a, b) a##b
#define ENLIST_STATUS_CONCAT_(a, b) ENLIST_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the calling function
// when it is not OK.
#define ENLIST_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status enlist_status_ = (expr);          \
    if (!enlist_status_.ok()) return enlist_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the calling function, else moves the value into `lhs` (which may be a
// declaration, e.g. `auto x`).
#define ENLIST_ASSIGN_OR_RETURN(lhs, rexpr) \
  ENLIST_ASSIGN_OR_RETURN_IMPL_(            \
      ENLIST_STATUS_CONCAT_(enlist_statusor_, __LINE__), lhs, rexpr)

#define ENLIST_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // ENLIST_CORE_UTIL_STATUS_MACROS_H_
