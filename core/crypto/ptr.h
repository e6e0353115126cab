// Owning smart pointers for libcrypto objects, written against the API that
// OpenSSL 3 and BoringSSL share (bssl::UniquePtr exists only in BoringSSL).
#ifndef ENLIST_CORE_CRYPTO_PTR_H_
#define ENLIST_CORE_CRYPTO_PTR_H_

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace enlist::crypto {

namespace internal {
template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
}  // namespace internal

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, internal::Deleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, internal::Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, internal::Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, internal::Deleter<X509, X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, internal::Deleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, internal::Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, internal::Deleter<X509_NAME, X509_NAME_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, internal::Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, internal::Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, internal::Deleter<BIGNUM, BN_free>>;
// RSA and EC_KEY are deprecated in OpenSSL 3 but are the only key-level API
// BoringSSL shares; the aliases themselves must not warn in every includer.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
using RsaPtr = std::unique_ptr<RSA, internal::Deleter<RSA, RSA_free>>;
using EcKeyPtr = std::unique_ptr<EC_KEY, internal::Deleter<EC_KEY, EC_KEY_free>>;
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, internal::Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, internal::Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using AuthorityInfoAccessPtr =
    std::unique_ptr<AUTHORITY_INFO_ACCESS,
                    internal::Deleter<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>>;

}  // namespace enlist::crypto

#endif  // ENLIST_CORE_CRYPTO_PTR_H_
