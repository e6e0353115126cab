// A set of trusted root certificates, loaded once and then immutable.
//
// Load from PEM text, a PEM file (a bundle such as
// /etc/ssl/certs/ca-certificates.crt or a pinned-roots file), or a directory
// of PEM files (/etc/ssl/certs: files without a PEM certificate block are
// skipped, duplicates collapse). Share the result as
// std::shared_ptr<const TrustStore>: every method is const and thread-safe,
// and chain verification on many threads may use one store concurrently.
#ifndef ENLIST_CORE_CRYPTO_TRUST_STORE_H_
#define ENLIST_CORE_CRYPTO_TRUST_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/ptr.h"

namespace enlist::crypto {

class TrustStore {
 public:
  // Largest file read by FromPemFile / FromPemDirectory.
  static constexpr size_t kMaxFileSize = 8 * 1024 * 1024;

  // Returns a store trusting exactly `roots` (takes ownership). Empty input
  // is kInvalidArgument: a store that trusts nothing is a configuration bug.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> FromCertificates(
      std::vector<X509Ptr> roots);

  // Returns a store trusting every certificate in PEM text `pem`;
  // kInvalidArgument if it holds none or a malformed one.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> FromPem(absl::string_view pem);

  // As FromPem for the contents of file `path`; kNotFound if unreadable.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> FromPemFile(const std::string& path);

  // Loads every regular file (symlinks followed) of directory `dir` holding
  // a "-----BEGIN CERTIFICATE-----" block; other files are skipped. A file
  // with a malformed certificate block fails the load, naming the file.
  // kNotFound if the directory is unreadable, kInvalidArgument if no
  // certificate was found.
  static absl::StatusOr<std::shared_ptr<const TrustStore>> FromPemDirectory(const std::string& dir);

  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  // Number of distinct roots.
  size_t size() const { return roots_.size(); }

  // The roots, deduplicated, in load order.
  const std::vector<X509Ptr>& roots() const { return roots_; }

  // Identity of the root set: lowercase hex SHA-256 over the sorted root
  // fingerprints. Equal sets give equal ids (cache keys use it).
  const std::string& id() const { return id_; }

  // The underlying X509_STORE for X509_STORE_CTX_init (owned by this object,
  // never modified after construction; valid while this store lives).
  X509_STORE* x509_store() const { return store_.get(); }

 private:
  TrustStore() = default;

  std::vector<X509Ptr> roots_;
  X509StorePtr store_;
  std::string id_;
};

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_TRUST_STORE_H_
