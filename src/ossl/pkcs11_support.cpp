#include "ossl/pkcs11_support.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <string>

#include <memory>

#include "ossl/error.h"

namespace hpki::ossl {

namespace {

// Local RAII handles: ossl/ptr.h does not compile yet (ASN1_INTEGER, ASN1_TIME and
// ASN1_OCTET_STRING are all asn1_string_st, so its Deleter specialisations collide).
template <typename T, void (*Free)(T*)>
struct CallFree {
  void operator()(T* p) const noexcept { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, CallFree<T, Free>>;
using BnPtr = Handle<BIGNUM, BN_clear_free>;
using PkeyPtr = Handle<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtxPtr = Handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdPtr = Handle<EVP_MD, EVP_MD_free>;
using MdCtxPtr = Handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using EcdsaSigPtr = Handle<ECDSA_SIG, ECDSA_SIG_free>;
using ParamPtr = Handle<OSSL_PARAM, OSSL_PARAM_free>;
using ParamBldPtr = Handle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;

constexpr std::size_t kMaxInput = 16 * 1024;  // far above RSA-16384 moduli and EC points

Result<BnPtr> to_bignum(BytesView b, std::string_view what) {
  if (b.empty() || b.size() > kMaxInput) {
    return fail(ErrorCode::kMalformed, std::string(what) + ": empty or oversized integer");
  }
  auto bn = BnPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!bn) return fail(take_error(ErrorCode::kCrypto, "BN_bin2bn"));
  return bn;
}

Result<Bytes> encode_spki(EVP_PKEY* pkey) {
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_PUBKEY"));
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(pkey, &p) != len) return fail(take_error(ErrorCode::kCrypto, "i2d_PUBKEY"));
  return out;
}

Result<Bytes> spki_from_params(const char* key_type, OSSL_PARAM_BLD* bld, std::string_view what) {
  auto params = ParamPtr(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return fail(take_error(ErrorCode::kCrypto, "OSSL_PARAM_BLD_to_param"));
  auto ctx = PkeyCtxPtr(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_fromdata_init"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(take_error(ErrorCode::kMalformed, what));
  }
  auto pkey = PkeyPtr(raw);
  return encode_spki(pkey.get());
}

}  // namespace

std::size_t p11_curve_field_size(P11Curve curve) noexcept {
  return curve == P11Curve::kP256 ? 32 : 48;
}

Result<Bytes> p11_digest(std::string_view md_name, BytesView data) {
  auto md = MdPtr(EVP_MD_fetch(nullptr, std::string(md_name).c_str(), nullptr));
  if (!md) {
    return fail(take_error(ErrorCode::kUnsupportedAlgorithm,
                           "digest '" + std::string(md_name) + "' not available"));
  }
  auto ctx = MdCtxPtr(EVP_MD_CTX_new());
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md.get())));
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "digest " + std::string(md_name)));
  }
  out.resize(len);
  return out;
}

Result<Bytes> p11_ecdsa_raw_to_der(BytesView raw) {
  // PKCS#11 2.40 (Mechanisms) 2.3.1: the ECDSA signature is r||s, each half the same length.
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > kMaxInput) {
    return fail(ErrorCode::kMalformed, "raw ECDSA signature must be r||s of equal halves, got " +
                                           std::to_string(raw.size()) + " bytes");
  }
  const std::size_t half = raw.size() / 2;
  auto r = HPKI_TRY(to_bignum(raw.first(half), "ECDSA r"));
  auto s = HPKI_TRY(to_bignum(raw.subspan(half), "ECDSA s"));
  auto sig = EcdsaSigPtr(ECDSA_SIG_new());
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "ECDSA_SIG_set0"));
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_ECDSA_SIG"));
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return fail(take_error(ErrorCode::kCrypto, "i2d_ECDSA_SIG"));
  }
  return out;
}

Result<Bytes> p11_spki_from_rsa(BytesView modulus, BytesView public_exponent) {
  auto n = HPKI_TRY(to_bignum(modulus, "RSA modulus"));
  auto e = HPKI_TRY(to_bignum(public_exponent, "RSA public exponent"));
  auto bld = ParamBldPtr(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "OSSL_PARAM_BLD_push_BN"));
  }
  return spki_from_params("RSA", bld.get(), "RSA public key from modulus and exponent");
}

Result<Bytes> p11_spki_from_ec_point(P11Curve curve, BytesView uncompressed_point) {
  const std::size_t field = p11_curve_field_size(curve);
  // SEC 1 2.3.3: uncompressed form is 0x04 || X || Y.
  if (uncompressed_point.size() != 1 + 2 * field || uncompressed_point[0] != 0x04) {
    return fail(ErrorCode::kMalformed, "EC point is not an uncompressed point of " +
                                           std::to_string(1 + 2 * field) + " bytes");
  }
  const char* group = curve == P11Curve::kP256 ? "P-256" : "P-384";
  auto bld = ParamBldPtr(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       uncompressed_point.data(), uncompressed_point.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "OSSL_PARAM_BLD_push"));
  }
  return spki_from_params("EC", bld.get(), std::string("EC public key on ") + group);
}

Result<SecretBytes> p11_oaep_sha256_decode(BytesView em) {
  // RFC 8017 7.1.2 step 1: k >= 2 hLen + 2.
  if (em.size() < 2 * 32 + 2 || em.size() > kMaxInput) {
    return fail(ErrorCode::kDecryptFailed, "OAEP decoding error");
  }
  SecretBytes out(em.size());
  const int num = static_cast<int>(em.size());
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  // Deprecated in 3.0 only in favour of EVP_PKEY_decrypt, which needs the private key; here
  // the private-key step happened on the token (CKM_RSA_X_509) and only the padding is left.
  int n = RSA_padding_check_PKCS1_OAEP_mgf1(out.data(), num, em.data(), num, num, nullptr, 0,
                                            EVP_sha256(), EVP_sha256());
#pragma GCC diagnostic pop
  // Whatever went wrong, one answer (no padding oracle in the error text).
  ERR_clear_error();
  if (n < 0) return fail(ErrorCode::kDecryptFailed, "OAEP decoding error");
  out.truncate(static_cast<std::size_t>(n));
  return out;
}

}  // namespace hpki::ossl
