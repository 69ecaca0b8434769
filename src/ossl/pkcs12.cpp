#include "ossl/pkcs12.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "ossl/error.h"
#include "ossl/ptr.h"

namespace hpki::ossl {
namespace {

template <typename T>
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};

}  // namespace

Result<Bytes> pkcs12_create(BytesView pkcs8_der, BytesView cert_der,
                            const std::vector<Bytes>& chain_der, const SecretBytes& passphrase,
                            std::string_view friendly_name) {
  const unsigned char* p = pkcs8_der.data();
  auto key = own(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8_der.size())));
  if (!key) return fail(take_error(ErrorCode::kMalformed, "PKCS#12: private key"));
  p = cert_der.data();
  auto cert = own(d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())));
  if (!cert) return fail(take_error(ErrorCode::kMalformed, "PKCS#12: certificate"));
  std::unique_ptr<STACK_OF(X509), StackDeleter<X509>> chain(sk_X509_new_null());
  for (const auto& c : chain_der) {
    p = c.data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(c.size()));
    if (x == nullptr || sk_X509_push(chain.get(), x) == 0) {
      X509_free(x);
      return fail(take_error(ErrorCode::kMalformed, "PKCS#12: chain certificate"));
    }
  }
  std::string pass(passphrase.as_string_view());
  std::string name(friendly_name);
  auto p12 =
      own(PKCS12_create_ex(pass.c_str(), name.c_str(), key.get(), cert.get(), chain.get(),
                           NID_aes_256_cbc, NID_aes_256_cbc, 600000, -1, 0, nullptr, nullptr));
  secure_wipe(pass.data(), pass.size());
  if (!p12) return fail(take_error(ErrorCode::kCrypto, "PKCS12_create"));
  unsigned char* out = nullptr;
  int len = i2d_PKCS12(p12.get(), &out);
  if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_PKCS12"));
  Bytes der(out, out + len);
  OPENSSL_free(out);
  return der;
}

Result<SecretBytes> scrypt(const SecretBytes& passphrase, BytesView salt, std::uint64_t n,
                           std::uint32_t r, std::uint32_t p, std::size_t out_len) {
  auto kdf = EVP_KDF_fetch(nullptr, "SCRYPT", nullptr);
  if (kdf == nullptr) return fail(take_error(ErrorCode::kCrypto, "EVP_KDF_fetch SCRYPT"));
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return fail(take_error(ErrorCode::kCrypto, "EVP_KDF_CTX_new"));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_PASSWORD, const_cast<std::uint8_t*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_end()};
  SecretBytes out(out_len);
  int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return fail(take_error(ErrorCode::kCrypto, "scrypt"));
  return out;
}

}  // namespace hpki::ossl
