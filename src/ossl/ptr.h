// RAII handles for OpenSSL objects (STYLE.md "Modules"; cf. BoringSSL bssl::UniquePtr).
// ossl::Ptr<T> is a unique_ptr with the matching OpenSSL free function; one line per type.
// This folder is the only place in hpki that includes <openssl/...>.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace hpki::ossl {

template <typename T>
struct Deleter;

#define HPKI_OSSL_DELETER(T, fn)                    \
  template <>                                       \
  struct Deleter<T> {                               \
    void operator()(T* p) const noexcept { fn(p); } \
  };

HPKI_OSSL_DELETER(BIO, BIO_free_all)
HPKI_OSSL_DELETER(BIGNUM, BN_clear_free)
HPKI_OSSL_DELETER(BN_CTX, BN_CTX_free)
HPKI_OSSL_DELETER(BN_MONT_CTX, BN_MONT_CTX_free)
HPKI_OSSL_DELETER(EVP_PKEY, EVP_PKEY_free)
HPKI_OSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
HPKI_OSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free)
HPKI_OSSL_DELETER(EVP_MD, EVP_MD_free)
HPKI_OSSL_DELETER(EVP_CIPHER, EVP_CIPHER_free)
HPKI_OSSL_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
HPKI_OSSL_DELETER(EVP_MAC, EVP_MAC_free)
HPKI_OSSL_DELETER(EVP_MAC_CTX, EVP_MAC_CTX_free)
HPKI_OSSL_DELETER(EC_GROUP, EC_GROUP_free)
HPKI_OSSL_DELETER(EC_POINT, EC_POINT_free)
HPKI_OSSL_DELETER(ECDSA_SIG, ECDSA_SIG_free)
HPKI_OSSL_DELETER(X509, X509_free)
HPKI_OSSL_DELETER(X509_REQ, X509_REQ_free)
HPKI_OSSL_DELETER(X509_CRL, X509_CRL_free)
HPKI_OSSL_DELETER(X509_NAME, X509_NAME_free)
HPKI_OSSL_DELETER(X509_EXTENSION, X509_EXTENSION_free)
HPKI_OSSL_DELETER(X509_STORE, X509_STORE_free)
HPKI_OSSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free)
HPKI_OSSL_DELETER(X509_PUBKEY, X509_PUBKEY_free)
HPKI_OSSL_DELETER(X509_ALGOR, X509_ALGOR_free)
HPKI_OSSL_DELETER(X509_SIG, X509_SIG_free)
HPKI_OSSL_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
HPKI_OSSL_DELETER(PKCS12, PKCS12_free)
HPKI_OSSL_DELETER(ASN1_OBJECT, ASN1_OBJECT_free)
// ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING ... are all typedefs of ASN1_STRING: one deleter.
HPKI_OSSL_DELETER(ASN1_STRING, ASN1_STRING_free)
HPKI_OSSL_DELETER(OCSP_REQUEST, OCSP_REQUEST_free)
HPKI_OSSL_DELETER(OCSP_RESPONSE, OCSP_RESPONSE_free)
HPKI_OSSL_DELETER(OCSP_BASICRESP, OCSP_BASICRESP_free)
HPKI_OSSL_DELETER(OCSP_CERTID, OCSP_CERTID_free)
HPKI_OSSL_DELETER(CMS_ContentInfo, CMS_ContentInfo_free)
HPKI_OSSL_DELETER(TS_REQ, TS_REQ_free)
HPKI_OSSL_DELETER(TS_RESP, TS_RESP_free)
HPKI_OSSL_DELETER(OSSL_PARAM, OSSL_PARAM_free)
HPKI_OSSL_DELETER(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)

#undef HPKI_OSSL_DELETER

template <typename T>
using Ptr = std::unique_ptr<T, Deleter<T>>;

// Takes ownership of a raw pointer returned by an OpenSSL allocator.
template <typename T>
[[nodiscard]] Ptr<T> own(T* p) noexcept {
  return Ptr<T>(p);
}

}  // namespace hpki::ossl
