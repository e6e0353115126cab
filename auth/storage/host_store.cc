#include "auth/storage/host_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/storage/host_record.pb.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

constexpr size_t kMaxHostIdLength = 128;
constexpr size_t kMaxFieldLength = 1024;
constexpr size_t kMaxAttributes = 64;

bool ValidHostId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxHostIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':') {
      return false;
    }
  }
  return true;
}

absl::Status CheckHostId(absl::string_view op, absl::string_view id) {
  if (ValidHostId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("hosts: ", op, ": invalid host id \"", internal::KeyForMessage(id),
                   "\" (use 1-128 letters, digits, '-', '_', '.', ':')"));
}

absl::Status CheckJoin(const HostJoin& j) {
  ENLIST_RETURN_IF_ERROR(CheckHostId("record join", j.host_id));
  const std::string context = absl::StrCat("hosts: record join ", j.host_id, ": ");
  const std::pair<const char*, const std::string*> fields[] = {
      {"host name", &j.host_name},     {"join method", &j.join_method},
      {"token name", &j.token_name},   {"role", &j.role},
      {"certificate serial", &j.cert_serial},
  };
  for (const auto& [name, value] : fields) {
    if (value->size() > kMaxFieldLength) {
      return absl::InvalidArgumentError(absl::StrCat(context, name, " is ", value->size(),
                                                     " bytes (limit ", kMaxFieldLength, ")"));
    }
  }
  if (j.attributes.size() > kMaxAttributes) {
    return absl::InvalidArgumentError(absl::StrCat(context, j.attributes.size(),
                                                   " attributes (limit ", kMaxAttributes, ")"));
  }
  for (const auto& [name, value] : j.attributes) {
    if (name.size() > kMaxFieldLength || value.size() > kMaxFieldLength) {
      return absl::InvalidArgumentError(absl::StrCat(context, "attribute \"",
                                                     internal::KeyForMessage(name.substr(0, 64)),
                                                     "\" is longer than ", kMaxFieldLength,
                                                     " bytes"));
    }
  }
  return absl::OkStatus();
}

std::string Key(absl::string_view id) { return absl::StrCat(kHostsPrefix, id); }

absl::Status Wrap(absl::string_view op, absl::string_view id, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("hosts: ", op, " ", internal::KeyForMessage(id),
                                             ": ", s.message()));
}

absl::StatusOr<HostRecord> Decode(const Item& item) {
  v1::HostRecord pb;
  if (!pb.ParseFromString(item.value)) {
    return absl::DataLossError(
        absl::StrCat("hosts: stored record ", internal::KeyForMessage(item.key),
                     " does not parse"));
  }
  if (Key(pb.host_id()) != item.key) {
    return absl::DataLossError(absl::StrCat("hosts: stored record ",
                                            internal::KeyForMessage(item.key),
                                            " holds another host"));
  }
  HostRecord r;
  r.host_id = pb.host_id();
  r.host_name = pb.host_name();
  r.join_method = pb.join_method();
  r.token_name = pb.token_name();
  r.role = pb.role();
  for (const auto& a : pb.attributes()) r.attributes.emplace_back(a.name(), a.value());
  r.first_join = absl::FromUnixMicros(pb.first_join_unix_micros());
  r.last_join = absl::FromUnixMicros(pb.last_join_unix_micros());
  r.cert_serials.assign(pb.cert_serials().begin(), pb.cert_serials().end());
  r.join_count = pb.join_count();
  r.revision = item.revision;
  return r;
}

std::string Encode(const HostRecord& r) {
  v1::HostRecord pb;
  pb.set_host_id(r.host_id);
  pb.set_host_name(r.host_name);
  pb.set_join_method(r.join_method);
  pb.set_token_name(r.token_name);
  pb.set_role(r.role);
  for (const auto& [name, value] : r.attributes) {
    v1::Attribute* a = pb.add_attributes();
    a->set_name(name);
    a->set_value(value);
  }
  pb.set_first_join_unix_micros(absl::ToUnixMicros(r.first_join));
  pb.set_last_join_unix_micros(absl::ToUnixMicros(r.last_join));
  for (const std::string& s : r.cert_serials) pb.add_cert_serials(s);
  pb.set_join_count(r.join_count);
  return pb.SerializeAsString();
}

// Folds `join` into `r` (a fresh record when r.join_count == 0).
void Merge(const HostJoin& join, size_t max_serials, HostRecord& r) {
  const bool fresh = r.join_count == 0;
  r.host_id = join.host_id;
  r.host_name = join.host_name;
  r.join_method = join.join_method;
  r.token_name = join.token_name;
  r.role = join.role;
  r.attributes = join.attributes;
  r.first_join = fresh ? join.time : std::min(r.first_join, join.time);
  r.last_join = fresh ? join.time : std::max(r.last_join, join.time);
  if (!join.cert_serial.empty() &&
      (r.cert_serials.empty() || r.cert_serials.back() != join.cert_serial)) {
    r.cert_serials.push_back(join.cert_serial);
  }
  if (r.cert_serials.size() > max_serials) {
    r.cert_serials.erase(r.cert_serials.begin(),
                         r.cert_serials.end() - static_cast<std::ptrdiff_t>(max_serials));
  }
  ++r.join_count;
}

}  // namespace

HostStore::HostStore(Backend* backend, HostStoreOptions options)
    : backend_(backend), options_(options) {}

absl::StatusOr<HostRecord> HostStore::RecordJoin(const HostJoin& join) {
  ENLIST_RETURN_IF_ERROR(CheckJoin(join));
  const std::string key = Key(join.host_id);
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    absl::StatusOr<Item> current =
        attempt == 0 && join.new_host_id
            ? absl::StatusOr<Item>(absl::NotFoundError("not read: a new host id"))
            : backend_->Get(key);
    HostRecord record;
    absl::StatusOr<int64_t> written;
    Item item;
    item.key = key;
    if (absl::IsNotFound(current.status())) {
      Merge(join, options_.max_cert_serials, record);
      item.value = Encode(record);
      written = backend_->Create(item);
      if (absl::IsAlreadyExists(written.status())) continue;  // another server was first
    } else if (!current.ok()) {
      return Wrap("record join", join.host_id, current.status());
    } else {
      ENLIST_ASSIGN_OR_RETURN(record, Decode(*current));
      Merge(join, options_.max_cert_serials, record);
      item.value = Encode(record);
      written = backend_->CompareAndSwap(current->revision, item);
      // Changed or deleted since we read it: read again.
      if (absl::IsAborted(written.status()) || absl::IsNotFound(written.status())) continue;
    }
    if (!written.ok()) return Wrap("record join", join.host_id, written.status());
    record.revision = *written;
    return record;
  }
  return absl::AbortedError(absl::StrCat("hosts: record join ", join.host_id, ": gave up after ",
                                         options_.max_attempts, " concurrent updates"));
}

absl::StatusOr<HostRecord> HostStore::Get(absl::string_view host_id) const {
  ENLIST_RETURN_IF_ERROR(CheckHostId("get", host_id));
  absl::StatusOr<Item> item = backend_->Get(Key(host_id));
  if (absl::IsNotFound(item.status())) {
    return absl::NotFoundError(absl::StrCat("hosts: get ", host_id, ": unknown host"));
  }
  if (!item.ok()) return Wrap("get", host_id, item.status());
  return Decode(*item);
}

absl::StatusOr<std::vector<HostRecord>> HostStore::List() const {
  std::vector<HostRecord> out;
  KeyRange range = KeyRange::Prefix(kHostsPrefix);
  while (true) {
    absl::StatusOr<RangeResult> page = backend_->Range(range, RangeOptions{256, false, false});
    if (!page.ok()) {
      return absl::Status(page.status().code(),
                          absl::StrCat("hosts: list: ", page.status().message()));
    }
    for (const Item& item : page->items) {
      ENLIST_ASSIGN_OR_RETURN(HostRecord r, Decode(item));
      out.push_back(std::move(r));
    }
    if (!page->more) break;
    range.start = NextKey(page->items.back().key);
  }
  return out;
}

absl::Status HostStore::Delete(absl::string_view host_id) {
  ENLIST_RETURN_IF_ERROR(CheckHostId("delete", host_id));
  absl::StatusOr<int64_t> deleted = backend_->Delete(Key(host_id));
  if (absl::IsNotFound(deleted.status())) {
    return absl::NotFoundError(absl::StrCat("hosts: delete ", host_id, ": unknown host"));
  }
  if (!deleted.ok()) return Wrap("delete", host_id, deleted.status());
  return absl::OkStatus();
}

}  // namespace enlist::storage
