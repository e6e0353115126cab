#include "core/crypto/chain.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace enlist::crypto {
namespace {

using internal::Mut;

// Owns the stack, not the certificates (they stay owned by the caller).
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), StackDeleter>;

std::string SubjectOf(X509* cert) {
  if (cert == nullptr) return "unknown";
  absl::StatusOr<CertificateInfo> info = DescribeCertificate(*cert);
  if (!info.ok() || info->subject.empty()) return "unknown";
  return info->subject;
}

}  // namespace

absl::StatusOr<VerifiedChain> VerifyChain(const X509& leaf,
                                          const std::vector<X509Ptr>& intermediates,
                                          const TrustStore& trust, absl::Time at,
                                          const ChainOptions& options) {
  if (intermediates.size() > options.max_intermediates) {
    return absl::InvalidArgumentError(
        absl::StrCat("x509: chain: more than ", options.max_intermediates, " intermediates"));
  }
  X509StackPtr untrusted(sk_X509_new_null());
  if (untrusted == nullptr) return absl::InternalError("x509: chain: out of memory");
  for (const X509Ptr& c : intermediates) {
    if (c != nullptr && sk_X509_push(untrusted.get(), c.get()) == 0) {
      return absl::InternalError("x509: chain: out of memory");
    }
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), trust.x509_store(), Mut(leaf), untrusted.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("x509: chain: cannot initialise verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // The time is a parameter, never the wall clock.
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
  X509_VERIFY_PARAM_set_depth(param, options.max_depth);
  if (options.allow_non_self_signed_anchors) {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  }
  const int ok = X509_verify_cert(ctx.get());
  if (ok != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* at_cert = X509_STORE_CTX_get_current_cert(ctx.get());
    ERR_clear_error();
    return absl::UnauthenticatedError(
        absl::StrCat("x509: chain: ", X509_verify_cert_error_string(err), " (depth ", depth,
                     ", subject ", SubjectOf(at_cert), ")"));
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  if (chain == nullptr || sk_X509_num(chain) <= 0) {
    return absl::InternalError("x509: chain: verified but no chain");
  }
  VerifiedChain out;
  out.valid_from = absl::InfinitePast();
  out.valid_until = absl::InfiniteFuture();
  for (size_t i = 0; i < static_cast<size_t>(sk_X509_num(chain)); ++i) {
    absl::StatusOr<CertificateInfo> info = DescribeCertificate(*sk_X509_value(chain, i));
    if (!info.ok()) return info.status();
    out.valid_from = std::max(out.valid_from, info->not_before);
    out.valid_until = std::min(out.valid_until, info->not_after);
    out.certificates.push_back(*std::move(info));
  }
  return out;
}

}  // namespace enlist::crypto
