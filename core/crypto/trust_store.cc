#include "core/crypto/trust_store.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/crypto/cert.h"
#include "core/crypto/digest.h"

namespace enlist::crypto {
namespace {

constexpr absl::string_view kPemCertBegin = "-----BEGIN CERTIFICATE-----";

absl::StatusOr<std::string> ReadCapped(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("x509: trust store: cannot read ", path));
  std::string out;
  char buf[16384];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > TrustStore::kMaxFileSize) {
      return absl::InvalidArgumentError(absl::StrCat("x509: trust store: ", path, ": larger than ",
                                                     TrustStore::kMaxFileSize, " bytes"));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::FromCertificates(
    std::vector<X509Ptr> roots) {
  std::shared_ptr<TrustStore> ts(new TrustStore());
  ts->store_.reset(X509_STORE_new());
  if (ts->store_ == nullptr) return absl::InternalError("x509: trust store: out of memory");
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> fingerprints;
  for (X509Ptr& root : roots) {
    if (root == nullptr) continue;
    absl::StatusOr<Sha256Digest> fp = CertificateFingerprint(*root);
    if (!fp.ok()) return fp.status();
    std::string key(reinterpret_cast<const char*>(fp->data()), fp->size());
    if (!seen.insert(key).second) continue;
    if (X509_STORE_add_cert(ts->store_.get(), root.get()) != 1) {
      ERR_clear_error();
      return absl::InternalError("x509: trust store: cannot add certificate");
    }
    fingerprints.push_back(std::move(key));
    ts->roots_.push_back(std::move(root));
  }
  if (ts->roots_.empty()) {
    return absl::InvalidArgumentError("x509: trust store: no certificates");
  }
  std::sort(fingerprints.begin(), fingerprints.end());
  std::string all;
  for (const std::string& f : fingerprints) all += f;
  ts->id_ = Sha256Hex(all);
  return std::shared_ptr<const TrustStore>(std::move(ts));
}

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::FromPem(absl::string_view pem) {
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesPem(pem);
  if (!certs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("x509: trust store: ", absl::StripPrefix(certs.status().message(), "x509: ")));
  }
  return FromCertificates(*std::move(certs));
}

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::FromPemFile(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadCapped(path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesPem(*pem);
  if (!certs.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "x509: trust store: ", path, ": ", absl::StripPrefix(certs.status().message(), "x509: ")));
  }
  return FromCertificates(*std::move(certs));
}

absl::StatusOr<std::shared_ptr<const TrustStore>> TrustStore::FromPemDirectory(
    const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("x509: trust store: cannot read directory ", dir, ": ", ec.message()));
  }
  // Sorted for a deterministic load order.
  std::vector<std::string> paths;
  for (const std::filesystem::directory_entry& entry : it) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec)) paths.push_back(entry.path().string());  // follows symlinks
  }
  std::sort(paths.begin(), paths.end());
  std::vector<X509Ptr> all;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> pem = ReadCapped(path);
    if (!pem.ok()) return pem.status();
    if (!absl::StrContains(*pem, kPemCertBegin)) continue;
    absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificatesPem(*pem);
    if (!certs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("x509: trust store: ", path, ": ",
                       absl::StripPrefix(certs.status().message(), "x509: ")));
    }
    for (X509Ptr& c : *certs) all.push_back(std::move(c));
  }
  if (all.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("x509: trust store: no certificates in ", dir));
  }
  return FromCertificates(std::move(all));
}

}  // namespace enlist::crypto
