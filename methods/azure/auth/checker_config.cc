#include "methods/azure/auth/checker_config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::azure {
namespace {

absl::StatusOr<absl::Duration> DurationField(const config::YamlNode& node) {
  ENLIST_ASSIGN_OR_RETURN(std::string s, node.AsString());
  absl::Duration d;
  if (!absl::ParseDuration(s, &d) || d < absl::ZeroDuration()) {
    return node.Invalid(absl::StrCat("\"", s, "\" is not a duration (e.g. 30s, 5m, 6h)"));
  }
  return d;
}

}  // namespace

const std::vector<std::string>& DefaultAzureRootFiles() {
  static const std::vector<std::string>* const kFiles = new std::vector<std::string>{
      "DigiCert_Global_Root_G2.pem",
      "DigiCert_Global_Root_G3.pem",
      "DigiCert_Global_Root_CA.pem",
      "Microsoft_RSA_Root_Certificate_Authority_2017.pem",
      "Microsoft_ECC_Root_Certificate_Authority_2017.pem",
      "Baltimore_CyberTrust_Root.pem",
  };
  return *kFiles;
}

absl::StatusOr<AzureCheckerConfig> ParseCheckerConfig(
    const std::optional<config::YamlNode>& settings) {
  AzureCheckerConfig c;
  std::string cloud_name = "public";
  if (!settings.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(c.cloud, CloudPreset(cloud_name));
    c.arm_audiences = {c.cloud.arm_resource};
    return c;
  }
  const config::YamlNode& s = *settings;
  ENLIST_RETURN_IF_ERROR(s.CheckFields(
      {"cloud", "metadata_domains", "sts_url", "login_url", "arm_resource", "arm_audiences",
       "arm_endpoint", "arm_api_version", "allow_http", "roots_file", "roots_dir",
       "extra_roots_file", "system_roots_dir", "allow_non_self_signed_roots",
       "fetch_intermediates", "intermediate_url_prefixes", "intermediate_cache_ttl",
       "clock_skew", "strict", "arm_fallback", "arm_credential_file", "jwks_cache_ttl",
       "jwks_min_refresh_interval", "request_timeout"}));
  auto str = [&](absl::string_view key, std::string* out) -> absl::Status {
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> n, s.Child(key));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(*out, n->AsString());
    }
    return absl::OkStatus();
  };
  auto boolean = [&](absl::string_view key, bool* out) -> absl::Status {
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> n, s.Child(key));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(*out, n->AsBool());
    }
    return absl::OkStatus();
  };
  auto list = [&](absl::string_view key, std::vector<std::string>* out) -> absl::Status {
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> n, s.Child(key));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(*out, n->AsStringList());
    }
    return absl::OkStatus();
  };
  auto duration = [&](absl::string_view key, absl::Duration* out) -> absl::Status {
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> n, s.Child(key));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(*out, DurationField(*n));
    }
    return absl::OkStatus();
  };

  ENLIST_RETURN_IF_ERROR(str("cloud", &cloud_name));
  absl::StatusOr<Cloud> preset = CloudPreset(cloud_name);
  if (!preset.ok()) {
    ENLIST_ASSIGN_OR_RETURN(config::YamlNode n, s.Required("cloud"));
    return n.Invalid(preset.status().message());
  }
  c.cloud = *std::move(preset);
  ENLIST_RETURN_IF_ERROR(list("metadata_domains", &c.cloud.metadata_domains));
  ENLIST_RETURN_IF_ERROR(str("sts_url", &c.cloud.sts_url));
  ENLIST_RETURN_IF_ERROR(str("login_url", &c.cloud.login_url));
  ENLIST_RETURN_IF_ERROR(str("arm_resource", &c.cloud.arm_resource));
  c.arm_audiences = {c.cloud.arm_resource};
  ENLIST_RETURN_IF_ERROR(list("arm_audiences", &c.arm_audiences));
  ENLIST_RETURN_IF_ERROR(str("arm_endpoint", &c.cloud.arm_endpoint));
  ENLIST_RETURN_IF_ERROR(str("arm_api_version", &c.arm_api_version));
  ENLIST_RETURN_IF_ERROR(boolean("allow_http", &c.allow_http));
  ENLIST_RETURN_IF_ERROR(str("roots_file", &c.roots_file));
  ENLIST_RETURN_IF_ERROR(str("roots_dir", &c.roots_dir));
  ENLIST_RETURN_IF_ERROR(str("extra_roots_file", &c.extra_roots_file));
  ENLIST_RETURN_IF_ERROR(str("system_roots_dir", &c.system_roots_dir));
  ENLIST_RETURN_IF_ERROR(boolean("allow_non_self_signed_roots", &c.allow_non_self_signed_roots));
  ENLIST_RETURN_IF_ERROR(boolean("fetch_intermediates", &c.fetch_intermediates));
  ENLIST_RETURN_IF_ERROR(list("intermediate_url_prefixes", &c.intermediate_url_prefixes));
  ENLIST_RETURN_IF_ERROR(duration("intermediate_cache_ttl", &c.intermediate_cache_ttl));
  ENLIST_RETURN_IF_ERROR(duration("clock_skew", &c.clock_skew));
  ENLIST_RETURN_IF_ERROR(boolean("strict", &c.strict));
  ENLIST_RETURN_IF_ERROR(boolean("arm_fallback", &c.arm_fallback));
  ENLIST_RETURN_IF_ERROR(str("arm_credential_file", &c.arm_credential_file));
  ENLIST_RETURN_IF_ERROR(duration("jwks_cache_ttl", &c.jwks_cache_ttl));
  ENLIST_RETURN_IF_ERROR(duration("jwks_min_refresh_interval", &c.jwks_min_refresh_interval));
  ENLIST_RETURN_IF_ERROR(duration("request_timeout", &c.request_timeout));

  if (c.cloud.metadata_domains.empty()) return s.Invalid("metadata_domains: empty");
  if (c.arm_audiences.empty()) return s.Invalid("arm_audiences: empty");
  if (c.clock_skew > absl::Minutes(10)) return s.Invalid("clock_skew: more than 10m");
  for (auto [key, url] : {std::make_pair("sts_url", &c.cloud.sts_url),
                          std::make_pair("login_url", &c.cloud.login_url),
                          std::make_pair("arm_endpoint", &c.cloud.arm_endpoint)}) {
    absl::Status ok = CheckEndpointUrl(key, *url, c.allow_http);
    if (!ok.ok()) return s.Invalid(ok.message());
    *url = TrimTrailingSlash(*url);
  }
  for (const std::string& p : c.intermediate_url_prefixes) {
    absl::Status ok = CheckEndpointUrl("intermediate_url_prefixes", p, /*allow_http=*/true);
    if (!ok.ok()) return s.Invalid(ok.message());
  }
  return c;
}

absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadAzureRoots(
    const AzureCheckerConfig& config) {
  std::vector<crypto::X509Ptr> roots;
  auto add_pem_file = [&](const std::string& path) -> absl::Status {
    absl::StatusOr<std::string> pem =
        ReadFileCapped(path, crypto::TrustStore::kMaxFileSize);
    if (!pem.ok()) {
      return absl::Status(pem.status().code(),
                          absl::StrCat("azure: roots: ", pem.status().message()));
    }
    absl::StatusOr<std::vector<crypto::X509Ptr>> certs = crypto::ParseCertificatesPem(*pem);
    if (!certs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("azure: roots: \"", path, "\": ", certs.status().message()));
    }
    for (crypto::X509Ptr& c : *certs) roots.push_back(std::move(c));
    return absl::OkStatus();
  };
  if (!config.roots_file.empty()) ENLIST_RETURN_IF_ERROR(add_pem_file(config.roots_file));
  if (!config.roots_dir.empty()) {
    absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> dir =
        crypto::TrustStore::FromPemDirectory(config.roots_dir);
    if (!dir.ok()) {
      return absl::Status(dir.status().code(),
                          absl::StrCat("azure: roots: ", dir.status().message()));
    }
    for (const crypto::X509Ptr& c : (*dir)->roots()) {
      X509_up_ref(c.get());
      roots.emplace_back(c.get());
    }
  }
  if (config.roots_file.empty() && config.roots_dir.empty()) {
    for (const std::string& f : DefaultAzureRootFiles()) {
      std::string path = absl::StrCat(config.system_roots_dir, "/", f);
      absl::Status s = add_pem_file(path);
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
    if (roots.empty()) {
      return absl::NotFoundError(absl::StrCat("azure: roots: none of the Azure roots found in \"",
                                              config.system_roots_dir,
                                              "\"; set roots_file or roots_dir"));
    }
  }
  if (!config.extra_roots_file.empty()) {
    ENLIST_RETURN_IF_ERROR(add_pem_file(config.extra_roots_file));
  }
  return crypto::TrustStore::FromCertificates(std::move(roots));
}

}  // namespace enlist::azure
