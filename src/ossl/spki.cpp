#include "ossl/spki.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "ossl/error.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

namespace {

Result<Bytes> spki_der(EVP_PKEY* pkey) {
  const int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kInternal, "i2d_PUBKEY"));
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(pkey, &p) != len) return fail(take_error(ErrorCode::kInternal, "i2d_PUBKEY"));
  return out;
}

Result<Ptr<EVP_PKEY>> from_params(const char* type, OSSL_PARAM_BLD* bld, std::string_view what) {
  Ptr<OSSL_PARAM> params = own(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return fail(take_error(ErrorCode::kInternal, "OSSL_PARAM_BLD_to_param"));
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kInternal, "EVP_PKEY_fromdata_init"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(take_error(ErrorCode::kInvalidArgument, what));
  }
  Ptr<EVP_PKEY> pkey = own(raw);
  // fromdata does not validate; check the public key (on-curve point, sane RSA modulus).
  Ptr<EVP_PKEY_CTX> check = own(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return fail(take_error(ErrorCode::kInvalidArgument, std::string(what) + ": invalid key"));
  }
  return pkey;
}

}  // namespace

Result<Bytes> spki_from_rsa(BytesView n, BytesView e) {
  Ptr<BIGNUM> bn_n = own(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
  Ptr<BIGNUM> bn_e = own(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  const int bits = BN_num_bits(bn_n.get());
  if (bits < 1024 || bits > 16384) {
    return fail(ErrorCode::kInvalidArgument,
                "RSA modulus of " + std::to_string(bits) + " bits (expected 1024..16384)");
  }
  if (BN_is_zero(bn_e.get()) || !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return fail(ErrorCode::kInvalidArgument, "RSA public exponent must be odd and > 1");
  }
  Ptr<OSSL_PARAM_BLD> bld = own(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return fail(take_error(ErrorCode::kInternal, "OSSL_PARAM_BLD"));
  }
  Ptr<EVP_PKEY> pkey = HPKI_TRY(from_params("RSA", bld.get(), "RSA public key"));
  return spki_der(pkey.get());
}

Result<Bytes> spki_from_ec_point(EcCurve curve, BytesView point) {
  const char* group = "P-256";
  const char* type = "EC";
  switch (curve) {
    case EcCurve::kP256:
      break;
    case EcCurve::kP384:
      group = "P-384";
      break;
    case EcCurve::kSm2:
      group = "SM2";
      type = "SM2";
      break;
  }
  if (point.empty() || point.size() > 1 + 2 * 66) {
    return fail(ErrorCode::kInvalidArgument, "EC point has a bad length");
  }
  Ptr<OSSL_PARAM_BLD> bld = own(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return fail(take_error(ErrorCode::kInternal, "OSSL_PARAM_BLD"));
  }
  Ptr<EVP_PKEY> pkey = HPKI_TRY(from_params(type, bld.get(), "EC public key"));
  // Always write the uncompressed form (RFC 5480 2.2: uncompressed MUST be supported).
  if (EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                     "uncompressed") != 1) {
    return fail(take_error(ErrorCode::kInternal, "set point format"));
  }
  return spki_der(pkey.get());
}

}  // namespace hpki::ossl
