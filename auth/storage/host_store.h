// Registered hosts, kept in a Backend under `/hosts/<host id>`: who joined,
// how, when first and last, and which certificates they were issued.
#ifndef ENLIST_AUTH_STORAGE_HOST_STORE_H_
#define ENLIST_AUTH_STORAGE_HOST_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/storage/backend.h"

namespace enlist::storage {

// The key prefix of hosts.
inline constexpr char kHostsPrefix[] = "/hosts/";

// One successful join, as RecordJoin receives it.
struct HostJoin {
  // Server-assigned id: 1-128 of [A-Za-z0-9._:-].
  std::string host_id;
  std::string host_name;
  std::string join_method;
  std::string token_name;
  std::string role;
  // Verified attributes (name, value).
  std::vector<std::pair<std::string, std::string>> attributes;
  absl::Time time;
  // Serial of the certificate issued at this join (e.g. hex); empty if none.
  std::string cert_serial;
  // The id was generated for this join (not a returning host): RecordJoin
  // tries to create the record before reading (a record already there is
  // then read and updated as usual).
  bool new_host_id = false;
};

// A registered host as stored.
struct HostRecord {
  std::string host_id;
  // Name, method, token, role and attributes of the most recent join.
  std::string host_name;
  std::string join_method;
  std::string token_name;
  std::string role;
  std::vector<std::pair<std::string, std::string>> attributes;
  absl::Time first_join;
  absl::Time last_join;
  // Serials of issued certificates, oldest first, newest last, at most
  // HostStoreOptions::max_cert_serials.
  std::vector<std::string> cert_serials;
  // How many joins were recorded.
  int64_t join_count = 0;
  // The backend revision of this record.
  int64_t revision = 0;
};

// How a HostStore behaves.
struct HostStoreOptions {
  // Most certificate serials kept per host; older ones are dropped.
  size_t max_cert_serials = 20;
  // RecordJoin retries a compare-and-swap lost to a concurrent writer this
  // many times before failing with kAborted.
  int max_attempts = 16;
};

// Host records over a Backend (protobuf values, enlist.storage.v1.HostRecord).
// Thread-safe, and safe for several auth servers sharing one backend: every
// update is a compare-and-swap on the record's revision.
//
// Errors:
//   kInvalidArgument  a malformed host id or an oversized record (names and
//                     attributes are capped at 1 KiB each, 64 attributes).
//   kNotFound         Get / Delete of an unknown host.
//   kAborted          RecordJoin lost max_attempts races in a row.
//   kDataLoss         a stored record does not parse (message names the key).
//   other codes       the backend's, message prefixed "hosts: <op> <id>: ".
class HostStore {
 public:
  // `backend` is not owned and must outlive the store.
  explicit HostStore(Backend* backend, HostStoreOptions options = {});

  // Creates the host's record at its first join, or updates it: the latest
  // join's name, method, token, role and attributes replace the old ones,
  // last_join becomes max(last_join, join.time), first_join stays (or moves
  // earlier), join_count grows by one and a non-empty cert_serial is appended
  // (unless it is already the newest). Returns the record as written.
  absl::StatusOr<HostRecord> RecordJoin(const HostJoin& join);

  // The record of `host_id`; kNotFound if unknown.
  absl::StatusOr<HostRecord> Get(absl::string_view host_id) const;

  // Every record, sorted by host id.
  absl::StatusOr<std::vector<HostRecord>> List() const;

  // Forgets `host_id`; kNotFound if unknown.
  absl::Status Delete(absl::string_view host_id);

 private:
  Backend* const backend_;
  const HostStoreOptions options_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_HOST_STORE_H_
