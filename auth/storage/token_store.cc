#include "auth/storage/token_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace enlist::storage {
namespace {

// ParseTokens' rule (core/token/token_resource.cc): 1..253 of [A-Za-z0-9._-].
bool ValidTokenName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string Key(absl::string_view name) { return absl::StrCat(kTokensPrefix, name); }

// "token \"x\"" with a client-supplied name made safe for messages.
std::string Quoted(absl::string_view name) {
  return absl::StrCat("token \"", internal::KeyForMessage(name), "\"");
}

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(Quoted(name), " not found"));
}

// Keeps the backend's code, adds the store's context.
absl::Status Wrap(absl::string_view op, absl::string_view name, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("tokens: ", op, " \"",
                                             internal::KeyForMessage(name), "\": ", s.message()));
}

}  // namespace

BackendTokenStore::BackendTokenStore(Backend* backend, const join::AuthRegistry* methods,
                                     TokenStoreOptions options)
    : backend_(backend),
      methods_(methods),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : &RealClock::Get()) {}

absl::StatusOr<token::StoredToken> BackendTokenStore::Decode(const Item& item,
                                                             absl::string_view name) const {
  absl::StatusOr<std::vector<token::TokenResource>> parsed =
      token::ParseTokens(item.value, item.key, *methods_);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat("tokens: stored token ", item.key,
                                            " does not parse: ", parsed.status().message()));
  }
  if (parsed->size() != 1 || (!name.empty() && (*parsed)[0].name != name) ||
      Key((*parsed)[0].name) != item.key) {
    return absl::DataLossError(
        absl::StrCat("tokens: stored token ", item.key, " does not hold exactly that token"));
  }
  return token::StoredToken{std::move((*parsed)[0]), item.revision};
}

absl::StatusOr<token::StoredToken> BackendTokenStore::GetToken(absl::string_view name) const {
  if (!ValidTokenName(name)) return NotFound(name);
  absl::StatusOr<Item> item = backend_->Get(Key(name));
  if (absl::IsNotFound(item.status())) return NotFound(name);
  if (!item.ok()) return Wrap("get", name, item.status());
  {
    absl::MutexLock l(&parsed_mu_);
    auto it = parsed_.find(item->key);
    if (it != parsed_.end() && it->second->token.revision == item->revision &&
        it->second->value == item->value) {
      return it->second->token;
    }
  }
  absl::StatusOr<token::StoredToken> decoded = Decode(*item, name);
  if (!decoded.ok()) return decoded;
  auto parsed = std::make_shared<const Parsed>(Parsed{std::move(item->value), *decoded});
  absl::MutexLock l(&parsed_mu_);
  // Bounded: names of deleted tokens would otherwise stay forever.
  if (parsed_.size() >= kMaxParsed) parsed_.clear();
  parsed_[item->key] = std::move(parsed);
  return decoded;
}

absl::Status BackendTokenStore::PutToken(const token::TokenResource& token, bool overwrite) {
  if (!ValidTokenName(token.name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tokens: put: invalid token name \"", internal::KeyForMessage(token.name),
        "\" (use 1-253 letters, digits, '-', '_', '.')"));
  }
  if (token.ExpiredAt(clock_->Now())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tokens: put \"", token.name, "\": already expired at ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *token.expires, absl::UTCTimeZone())));
  }
  Item item;
  item.key = Key(token.name);
  item.value = token::TokenToYaml(token, *methods_);
  if (token.expires.has_value()) item.expires = *token.expires + options_.expiry_grace;
  absl::StatusOr<int64_t> written = overwrite ? backend_->Put(item) : backend_->Create(item);
  if (absl::IsAlreadyExists(written.status())) {
    return absl::AlreadyExistsError(
        absl::StrCat(Quoted(token.name), " already exists (use --force to overwrite)"));
  }
  if (!written.ok()) return Wrap("put", token.name, written.status());
  return absl::OkStatus();
}

absl::Status BackendTokenStore::DeleteTokenIfRevision(absl::string_view name, int64_t revision) {
  if (!ValidTokenName(name)) return NotFound(name);
  absl::StatusOr<int64_t> deleted = backend_->CompareAndDelete(Key(name), revision);
  if (absl::IsNotFound(deleted.status())) return NotFound(name);
  if (absl::IsAborted(deleted.status())) {
    return absl::AbortedError(absl::StrCat(Quoted(name), " changed concurrently"));
  }
  if (!deleted.ok()) return Wrap("delete", name, deleted.status());
  return absl::OkStatus();
}

absl::Status BackendTokenStore::DeleteToken(absl::string_view name) {
  if (!ValidTokenName(name)) return NotFound(name);
  absl::StatusOr<int64_t> deleted = backend_->Delete(Key(name));
  if (absl::IsNotFound(deleted.status())) return NotFound(name);
  if (!deleted.ok()) return Wrap("delete", name, deleted.status());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<token::StoredToken>> BackendTokenStore::ListTokens() const {
  std::vector<token::StoredToken> out;
  KeyRange range = KeyRange::Prefix(kTokensPrefix);
  while (true) {
    absl::StatusOr<RangeResult> page = backend_->Range(range, RangeOptions{256, false, false});
    if (!page.ok()) {
      return absl::Status(page.status().code(),
                          absl::StrCat("tokens: list: ", page.status().message()));
    }
    for (const Item& item : page->items) {
      ENLIST_ASSIGN_OR_RETURN(token::StoredToken t, Decode(item, ""));
      out.push_back(std::move(t));
    }
    if (!page->more) break;
    range.start = NextKey(page->items.back().key);
  }
  return out;
}

}  // namespace enlist::storage
