#include "ossl/sm2.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <string>

#include "ossl/error.h"
#include "ossl/fetch.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

namespace {

struct Sm2Public {
  Ptr<EC_GROUP> group;
  Ptr<EC_POINT> point;
};

Result<Sm2Public> sm2_public(const EVP_PKEY* pkey, BN_CTX* bn_ctx) {
  if (!EVP_PKEY_is_a(pkey, "SM2")) return fail(ErrorCode::kInvalidArgument, "not an SM2 key");
  Sm2Public out;
  out.group = own(EC_GROUP_new_by_curve_name(NID_sm2));
  if (!out.group) return fail(take_error(ErrorCode::kCrypto, "EC_GROUP_new_by_curve_name"));
  unsigned char pub[1 + 2 * 66];
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "SM2 public key"));
  }
  out.point = own(EC_POINT_new(out.group.get()));
  if (!out.point || EC_POINT_oct2point(out.group.get(), out.point.get(), pub, len, bn_ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "SM2 public point"));
  }
  return out;
}

Result<void> append_bn(Bytes& out, const BIGNUM* bn, int len) {
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(len));
  if (BN_bn2binpad(bn, out.data() + at, len) != len) {
    return fail(take_error(ErrorCode::kInternal, "BN_bn2binpad"));
  }
  return {};
}

}  // namespace

Result<Bytes> sm2_compute_z(const EVP_PKEY* pkey, std::string_view digest, std::string_view id) {
  if (id.size() > 8191) return fail(ErrorCode::kInvalidArgument, "SM2 ID longer than 8191 bytes");
  Ptr<BN_CTX> bn_ctx = own(BN_CTX_new());
  if (!bn_ctx) return fail(take_error(ErrorCode::kInternal, "BN_CTX_new"));
  Sm2Public pub = HPKI_TRY(sm2_public(pkey, bn_ctx.get()));
  Ptr<BIGNUM> p = own(BN_new()), a = own(BN_new()), b = own(BN_new());
  Ptr<BIGNUM> xg = own(BN_new()), yg = own(BN_new()), xa = own(BN_new()), ya = own(BN_new());
  if (!p || !a || !b || !xg || !yg || !xa || !ya ||
      EC_GROUP_get_curve(pub.group.get(), p.get(), a.get(), b.get(), bn_ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(pub.group.get(), EC_GROUP_get0_generator(pub.group.get()),
                                      xg.get(), yg.get(), bn_ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(pub.group.get(), pub.point.get(), xa.get(), ya.get(),
                                      bn_ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "SM2 curve parameters"));
  }
  const int field = BN_num_bytes(p.get());
  Bytes input;
  const std::size_t entl = id.size() * 8;
  input.push_back(static_cast<std::uint8_t>(entl >> 8));
  input.push_back(static_cast<std::uint8_t>(entl & 0xff));
  input.insert(input.end(), id.begin(), id.end());
  for (const BIGNUM* v : {a.get(), b.get(), xg.get(), yg.get(), xa.get(), ya.get()}) {
    HPKI_TRY(append_bn(input, v, field));
  }
  Ptr<EVP_MD> md = HPKI_TRY(fetch_md(digest));
  Bytes z(static_cast<std::size_t>(EVP_MD_get_size(md.get())));
  unsigned int zlen = 0;
  if (EVP_Digest(input.data(), input.size(), z.data(), &zlen, md.get(), nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_Digest"));
  }
  z.resize(zlen);
  return z;
}

Result<Bytes> sm2_message_digest(const EVP_PKEY* pkey, std::string_view digest, std::string_view id,
                                 BytesView message) {
  Bytes input = HPKI_TRY(sm2_compute_z(pkey, digest, id));
  input.insert(input.end(), message.begin(), message.end());
  Ptr<EVP_MD> md = HPKI_TRY(fetch_md(digest));
  Bytes e(static_cast<std::size_t>(EVP_MD_get_size(md.get())));
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), e.data(), &len, md.get(), nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_Digest"));
  }
  e.resize(len);
  return e;
}

Result<void> sm2_verify_digest(const EVP_PKEY* pkey, BytesView e, BytesView signature) {
  Ptr<BN_CTX> bn_ctx = own(BN_CTX_new());
  if (!bn_ctx) return fail(take_error(ErrorCode::kInternal, "BN_CTX_new"));
  Sm2Public pub = HPKI_TRY(sm2_public(pkey, bn_ctx.get()));
  if (signature.size() > 256) return fail(ErrorCode::kBadSignature, "SM2 signature too long");
  const unsigned char* sp = signature.data();
  Ptr<ECDSA_SIG> sig = own(d2i_ECDSA_SIG(nullptr, &sp, static_cast<long>(signature.size())));
  if (!sig || sp != signature.data() + signature.size()) {
    clear_errors();
    return fail(ErrorCode::kBadSignature, "SM2 signature is not DER SEQUENCE{r, s}");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  const BIGNUM* n = EC_GROUP_get0_order(pub.group.get());
  // B1, B2: r, s in [1, n-1].
  if (BN_is_negative(r) || BN_is_negative(s) || BN_is_zero(r) || BN_is_zero(s) ||
      BN_cmp(r, n) >= 0 || BN_cmp(s, n) >= 0) {
    return fail(ErrorCode::kBadSignature, "SM2 signature: r or s out of range");
  }
  Ptr<BIGNUM> t = own(BN_new()), x1 = own(BN_new()), big_r = own(BN_new());
  Ptr<BIGNUM> e_bn = own(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
  Ptr<EC_POINT> pt = own(EC_POINT_new(pub.group.get()));
  if (!t || !x1 || !big_r || !e_bn || !pt) {
    return fail(take_error(ErrorCode::kInternal, "SM2 verify allocation"));
  }
  // B5: t = (r + s) mod n, t != 0.
  if (BN_mod_add(t.get(), r, s, n, bn_ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_add"));
  }
  if (BN_is_zero(t.get())) return fail(ErrorCode::kBadSignature, "SM2 signature: t = 0");
  // B6: (x1, y1) = [s]G + [t]P_A.
  if (EC_POINT_mul(pub.group.get(), pt.get(), s, pub.point.get(), t.get(), bn_ctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(pub.group.get(), pt.get(), x1.get(), nullptr, bn_ctx.get()) !=
          1) {
    clear_errors();
    return fail(ErrorCode::kBadSignature, "SM2 signature: point at infinity");
  }
  // B7: R = (e + x1) mod n, accept iff R == r.
  if (BN_mod_add(big_r.get(), e_bn.get(), x1.get(), n, bn_ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_add"));
  }
  if (BN_cmp(big_r.get(), r) != 0) return fail(ErrorCode::kBadSignature, "SM2 signature: R != r");
  return {};
}

}  // namespace hpki::ossl
