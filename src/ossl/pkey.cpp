#include "ossl/pkey.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <climits>
#include <iterator>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ossl/digest.h"
#include "ossl/error.h"
#include "ossl/fetch.h"
#include "ossl/random.h"
#include "ossl/sm2.h"

namespace hpki::ossl {

namespace {

// OpenSSL's API takes non-const EVP_PKEY* even for read-only use; our handles are never
// modified after creation, which keeps concurrent use from several threads safe.
EVP_PKEY* mut(const EVP_PKEY* p) { return const_cast<EVP_PKEY*>(p); }

std::string group_name(const EVP_PKEY* pkey) {
  char buf[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, buf, sizeof buf, &len) !=
      1) {
    clear_errors();
    return {};
  }
  return std::string(buf, len);
}

const char* curve_group(EcCurve c) {
  switch (c) {
    case EcCurve::kP256:
      return "P-256";
    case EcCurve::kP384:
      return "P-384";
    case EcCurve::kSm2:
      return "SM2";
  }
  return "P-256";
}

// An EC-typed key on sm2p256v1 becomes an SM2-typed key by a DER round trip (OpenSSL 3.0's
// decoders give type SM2 for that curve; checked by the tests).
Result<Ptr<EVP_PKEY>> ensure_sm2_type(Ptr<EVP_PKEY> pkey) {
  if (!EVP_PKEY_is_a(pkey.get(), "EC") || group_name(pkey.get()) != "SM2") return pkey;
  const bool has_private = [&] {
    BIGNUM* priv = nullptr;
    const bool ok = EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1;
    BN_clear_free(priv);
    clear_errors();
    return ok;
  }();
  Ptr<EVP_PKEY> out;
  if (has_private) {
    Ptr<PKCS8_PRIV_KEY_INFO> p8 = own(EVP_PKEY2PKCS8(pkey.get()));
    if (!p8) return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY2PKCS8 (SM2)"));
    out = own(EVP_PKCS82PKEY(p8.get()));
  } else {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(pkey.get(), &der);
    if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_PUBKEY (SM2)"));
    const unsigned char* p = der;
    out = own(d2i_PUBKEY(nullptr, &p, len));
    OPENSSL_free(der);
  }
  if (!out || !EVP_PKEY_is_a(out.get(), "SM2")) {
    return fail(take_error(ErrorCode::kUnsupportedAlgorithm,
                           "EC key on curve sm2p256v1 could not be loaded as an SM2 key"));
  }
  return out;
}

Result<void> set_sm2_id(EVP_PKEY_CTX* pctx, const SignOptions& opts) {
  if (!opts.sm2_id) {
    return fail(
        ErrorCode::kInvalidArgument,
        "SM2 needs an explicit distinguishing ID (GM/T 0009; OpenSSL would use an empty one)");
  }
  // GM/T 0003.2 5.5: ENTL is the ID length in bits in two bytes.
  if (opts.sm2_id->size() > 8191) {
    return fail(ErrorCode::kInvalidArgument, "SM2 distinguishing ID longer than 8191 bytes");
  }
  if (EVP_PKEY_CTX_set1_id(pctx, opts.sm2_id->data(), static_cast<int>(opts.sm2_id->size())) <= 0) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_CTX_set1_id"));
  }
  return {};
}

Result<void> configure_signature(EVP_PKEY_CTX* pctx, const EVP_PKEY* pkey,
                                 const SignOptions& opts) {
  if (EVP_PKEY_is_a(pkey, "SM2")) return set_sm2_id(pctx, opts);
  if (EVP_PKEY_is_a(pkey, "RSA") && opts.rsa_padding == RsaPadding::kPss) {
    const std::string md(opts.digest);
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, opts.pss_salt_len) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md.c_str(), nullptr) <= 0) {
      return fail(take_error(ErrorCode::kCrypto, "RSA-PSS parameters"));
    }
  } else if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
      return fail(take_error(ErrorCode::kCrypto, "RSA PKCS#1 padding"));
    }
  }
  return {};
}

Result<Ptr<EVP_PKEY>> generate(const char* type, const char* group) {
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_keygen_init"));
  }
  if (group != nullptr && EVP_PKEY_CTX_set_group_name(ctx.get(), group) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_CTX_set_group_name"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_generate"));
  }
  return own(raw);
}

}  // namespace

Result<PkeyInfo> pkey_info(const EVP_PKEY* pkey) {
  PkeyInfo info;
  info.bits = EVP_PKEY_get_bits(pkey);
  if (EVP_PKEY_is_a(pkey, "SM2")) {
    info.family = PkeyFamily::kSm2;
    info.group = "SM2";
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    info.family = PkeyFamily::kEc;
    info.group = group_name(pkey);
    if (info.group.empty()) {
      return fail(ErrorCode::kUnsupportedAlgorithm, "EC key without a named curve");
    }
  } else if (EVP_PKEY_is_a(pkey, "RSA")) {
    info.family = PkeyFamily::kRsa;
  } else {
    const char* name = EVP_PKEY_get0_type_name(pkey);
    return fail(ErrorCode::kUnsupportedAlgorithm,
                "unsupported key type " + std::string(name != nullptr ? name : "(unknown)"));
  }
  return info;
}

Result<Ptr<EVP_PKEY>> generate_rsa(int bits) {
  if (bits < 2048 || bits > 16384) {
    return fail(ErrorCode::kInvalidArgument, "RSA key size must be 2048..16384 bits");
  }
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "RSA keygen setup"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "RSA keygen"));
  }
  return own(raw);
}

Result<Ptr<EVP_PKEY>> generate_ec(EcCurve curve) {
  if (curve == EcCurve::kSm2) return generate("SM2", nullptr);
  return generate("EC", curve_group(curve));
}

Result<Ptr<EVP_PKEY>> pkey_from_private_scalar(EcCurve curve, BytesView scalar) {
  const int nid = curve == EcCurve::kP256   ? NID_X9_62_prime256v1
                  : curve == EcCurve::kP384 ? NID_secp384r1
                                            : NID_sm2;
  Ptr<EC_GROUP> group = own(EC_GROUP_new_by_curve_name(nid));
  if (!group) return fail(take_error(ErrorCode::kCrypto, "EC_GROUP_new_by_curve_name"));
  const auto field_bytes = static_cast<std::size_t>((EC_GROUP_get_degree(group.get()) + 7) / 8);
  if (scalar.empty() || scalar.size() > field_bytes) {
    return fail(ErrorCode::kInvalidArgument, "EC private scalar has a bad length");
  }
  Ptr<BIGNUM> d = own(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  if (!d) return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  // GM/T 0003.1 6.1: d in [1, n-2] for SM2; [1, n-1] for ECDSA. Use the stricter bound.
  Ptr<BIGNUM> limit = own(BN_dup(EC_GROUP_get0_order(group.get())));
  if (!limit || BN_sub_word(limit.get(), 1) != 1) {
    return fail(take_error(ErrorCode::kInternal, "BN_sub_word"));
  }
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), limit.get()) >= 0) {
    return fail(ErrorCode::kInvalidArgument, "EC private scalar out of range");
  }
  Ptr<EC_POINT> q = own(EC_POINT_new(group.get()));
  Ptr<BN_CTX> bn_ctx = own(BN_CTX_new());
  if (!q || !bn_ctx ||
      EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_mul"));
  }
  unsigned char pub[1 + 2 * 66];
  const std::size_t pub_len = EC_POINT_point2oct(
      group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, bn_ctx.get());
  if (pub_len == 0) return fail(take_error(ErrorCode::kCrypto, "EC_POINT_point2oct"));
  Ptr<OSSL_PARAM_BLD> bld = own(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve_group(curve),
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1) {
    return fail(take_error(ErrorCode::kInternal, "OSSL_PARAM_BLD"));
  }
  Ptr<OSSL_PARAM> params = own(OSSL_PARAM_BLD_to_param(bld.get()));
  Ptr<EVP_PKEY_CTX> ctx =
      own(EVP_PKEY_CTX_new_from_name(nullptr, curve == EcCurve::kSm2 ? "SM2" : "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kInternal, "EVP_PKEY_fromdata_init"));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_fromdata"));
  }
  return ensure_sm2_type(own(raw));
}

namespace {

// The DER of a SubjectPublicKeyInfo for a named-curve EC key (RFC 5480 2.1.1, GM/T 0015 for
// SM2: id-ecPublicKey with the sm2p256v1 curve) up to and including the BIT STRING's
// unused-bits octet; the uncompressed point (0x04 || X || Y) follows and ends the SPKI.
struct NamedCurveSpki {
  std::span<const unsigned char> prefix;
  std::size_t point_size;
  const char* group;
  const char* type;  // the key manager: SM2 keys are SM2-typed (as d2i_PUBKEY gives them)
};
constexpr unsigned char kP256Prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr unsigned char kSm2Prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                        0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x81, 0x1c,
                                        0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00};
constexpr unsigned char kP384Prefix[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                         0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                         0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
const NamedCurveSpki kNamedCurveSpkis[] = {{kP256Prefix, 65, "P-256", "EC"},
                                           {kSm2Prefix, 65, "SM2", "SM2"},
                                           {kP384Prefix, 97, "P-384", "EC"}};

// The domain parameters of each named curve as a key without a public point: a new key of the
// curve copies them (EVP_PKEY_copy_parameters, ≈ 1 µs) instead of building the group from its
// name each time (EC_GROUP_new_by_curve_name, ≈ 12 µs). Made once, never changed, only read;
// null when it could not be made (the full import is used then).
EVP_PKEY* make_curve_template(const NamedCurveSpki& n) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(n.group), 0),
      OSSL_PARAM_construct_end()};
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_name(nullptr, n.type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return raw;
}

const EVP_PKEY* curve_template(std::size_t index) {
  static const auto templates = [] {
    std::array<EVP_PKEY*, std::size(kNamedCurveSpkis)> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = make_curve_template(kNamedCurveSpkis[i]);
    return t;
  }();
  return templates[index];
}

// Fast path of pkey_from_spki for the exact DER of a named-curve EC key with an uncompressed
// point: the curve's parameters copied from its template and the point set, instead of
// d2i_PUBKEY, whose OpenSSL 3.0 decoder framework costs about 20x more per call
// (docs/performance.md). The point is still checked to lie on the curve (EC_POINT_oct2point in
// the import). nullopt: not this shape, use d2i_PUBKEY.
std::optional<Result<Ptr<EVP_PKEY>>> ec_pkey_from_spki(BytesView der) {
  for (std::size_t i = 0; i < std::size(kNamedCurveSpkis); ++i) {
    const auto& n = kNamedCurveSpkis[i];
    if (der.size() != n.prefix.size() + n.point_size ||
        !std::equal(n.prefix.begin(), n.prefix.end(), der.begin()) ||
        der[n.prefix.size()] != 0x04) {
      continue;
    }
    const unsigned char* point = der.data() + n.prefix.size();
    if (const EVP_PKEY* tmpl = curve_template(i)) {
      Ptr<EVP_PKEY> key = own(EVP_PKEY_new());
      if (!key || EVP_PKEY_copy_parameters(key.get(), tmpl) != 1)
        return fail(take_error(ErrorCode::kInternal, "EVP_PKEY_copy_parameters"));
      if (EVP_PKEY_set1_encoded_public_key(key.get(), point, n.point_size) != 1)
        return fail(take_error(ErrorCode::kMalformed, "SubjectPublicKeyInfo (EC point)"));
      return key;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(n.group), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                          const_cast<unsigned char*>(point), n.point_size),
        OSSL_PARAM_construct_end()};
    Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_name(nullptr, n.type, nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
      return fail(take_error(ErrorCode::kInternal, "EVP_PKEY_fromdata_init"));
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1)
      return fail(take_error(ErrorCode::kMalformed, "SubjectPublicKeyInfo (EC point)"));
    return own(raw);
  }
  return std::nullopt;
}

// One TLV of strict DER (definite length in its shortest form, up to 0xffff); nullopt for
// anything else. Advances `in` past it.
struct Tlv {
  unsigned char tag;
  BytesView value;
};
std::optional<Tlv> read_strict_tlv(BytesView& in) {
  if (in.size() < 2) return std::nullopt;
  std::size_t len = in[1];
  std::size_t header = 2;
  if (in[1] == 0x81) {
    if (in.size() < 3 || in[2] < 0x80) return std::nullopt;
    len = in[2];
    header = 3;
  } else if (in[1] == 0x82) {
    if (in.size() < 4 || in[2] == 0) return std::nullopt;
    len = std::size_t{in[2]} << 8 | in[3];
    header = 4;
  } else if (in[1] >= 0x80) {
    return std::nullopt;
  }
  if (in.size() - header < len) return std::nullopt;
  Tlv t{in[0], in.subspan(header, len)};
  in = in.subspan(header + len);
  return t;
}

// A positive INTEGER in minimal form (X.690 8.3.2); its magnitude without the sign octet.
std::optional<BytesView> positive_integer(const std::optional<Tlv>& t) {
  if (!t || t->tag != 0x02 || t->value.empty() || (t->value[0] & 0x80) != 0) return std::nullopt;
  if (t->value[0] == 0) {
    if (t->value.size() == 1 || (t->value[1] & 0x80) == 0) return std::nullopt;  // not minimal
    return t->value.subspan(1);
  }
  return t->value;
}

// AlgorithmIdentifier { rsaEncryption, NULL } (RFC 3279 2.3.1), tag and length included.
constexpr unsigned char kRsaEncryptionAlg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                               0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

// Fast path of pkey_from_spki for an rsaEncryption key in strict DER: the modulus and exponent
// imported with EVP_PKEY_fromdata (≈ 5 µs) instead of d2i_PUBKEY (≈ 100 µs in OpenSSL 3.0).
// nullopt: not exactly this shape (other algorithms, BER, non-minimal integers, trailing
// bytes...), use d2i_PUBKEY, which then accepts or refuses it as before.
std::optional<Result<Ptr<EVP_PKEY>>> rsa_pkey_from_spki(BytesView der) {
  BytesView in = der;
  auto spki = read_strict_tlv(in);
  if (!spki || spki->tag != 0x30 || !in.empty()) return std::nullopt;
  BytesView body = spki->value;
  if (body.size() < sizeof kRsaEncryptionAlg ||
      !std::equal(std::begin(kRsaEncryptionAlg), std::end(kRsaEncryptionAlg), body.begin())) {
    return std::nullopt;
  }
  body = body.subspan(sizeof kRsaEncryptionAlg);
  auto bits = read_strict_tlv(body);
  if (!bits || bits->tag != 0x03 || !body.empty() || bits->value.empty() || bits->value[0] != 0) {
    return std::nullopt;
  }
  BytesView key = bits->value.subspan(1);
  auto seq = read_strict_tlv(key);
  if (!seq || seq->tag != 0x30 || !key.empty()) return std::nullopt;
  BytesView ints = seq->value;
  const auto n = positive_integer(read_strict_tlv(ints));
  const auto e = positive_integer(read_strict_tlv(ints));
  if (!n || !e || !ints.empty()) return std::nullopt;
  Ptr<BIGNUM> bn_n = own(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
  Ptr<BIGNUM> bn_e = own(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
  Ptr<OSSL_PARAM_BLD> bld = own(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return fail(take_error(ErrorCode::kInternal, "OSSL_PARAM_BLD (RSA public key)"));
  }
  Ptr<OSSL_PARAM> params = own(OSSL_PARAM_BLD_to_param(bld.get()));
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
    return fail(take_error(ErrorCode::kInternal, "EVP_PKEY_fromdata_init"));
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return fail(take_error(ErrorCode::kMalformed, "SubjectPublicKeyInfo (RSA public key)"));
  return own(raw);
}

}  // namespace

Result<Ptr<EVP_PKEY>> pkey_from_spki(BytesView der) {
  if (der.size() > kMaxKeyDer) return fail(ErrorCode::kTooLarge, "SubjectPublicKeyInfo too large");
  if (auto fast = ec_pkey_from_spki(der)) return std::move(*fast);
  if (auto fast = rsa_pkey_from_spki(der)) return std::move(*fast);
  const unsigned char* p = der.data();
  Ptr<EVP_PKEY> pkey = own(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return fail(take_error(ErrorCode::kMalformed, "SubjectPublicKeyInfo"));
  if (p != der.data() + der.size()) {
    return fail(ErrorCode::kTrailingData, "SubjectPublicKeyInfo has trailing bytes");
  }
  return ensure_sm2_type(std::move(pkey));
}

Result<Bytes> pkey_to_spki(const EVP_PKEY* pkey) {
  const int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_PUBKEY"));
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(pkey, &p) != len) return fail(take_error(ErrorCode::kCrypto, "i2d_PUBKEY"));
  return out;
}

Result<Ptr<EVP_PKEY>> pkey_from_pkcs8(BytesView der) {
  if (der.size() > kMaxKeyDer) return fail(ErrorCode::kTooLarge, "PKCS#8 key too large");
  const unsigned char* p = der.data();
  Ptr<PKCS8_PRIV_KEY_INFO> p8 =
      own(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!p8) return fail(take_error(ErrorCode::kMalformed, "PKCS#8 PrivateKeyInfo"));
  if (p != der.data() + der.size()) {
    return fail(ErrorCode::kTrailingData, "PKCS#8 PrivateKeyInfo has trailing bytes");
  }
  Ptr<EVP_PKEY> pkey = own(EVP_PKCS82PKEY(p8.get()));
  if (!pkey) return fail(take_error(ErrorCode::kMalformed, "PKCS#8 private key"));
  return ensure_sm2_type(std::move(pkey));
}

Result<SecretBytes> pkey_to_pkcs8(const EVP_PKEY* pkey) {
  Ptr<PKCS8_PRIV_KEY_INFO> p8 = own(EVP_PKEY2PKCS8(pkey));
  if (!p8) return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY2PKCS8"));
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_PKCS8_PRIV_KEY_INFO"));
  SecretBytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &p) != len) {
    return fail(take_error(ErrorCode::kCrypto, "i2d_PKCS8_PRIV_KEY_INFO"));
  }
  return out;
}

Result<Bytes> pkey_to_encrypted_pkcs8(const EVP_PKEY* pkey, BytesView passphrase,
                                      const ScryptParams& params) {
  if (passphrase.size() > INT_MAX) return fail(ErrorCode::kInvalidArgument, "passphrase too long");
  Ptr<PKCS8_PRIV_KEY_INFO> p8 = own(EVP_PKEY2PKCS8(pkey));
  if (!p8) return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY2PKCS8"));
  Ptr<EVP_CIPHER> cipher = own(EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr));
  if (!cipher) return fail(take_error(ErrorCode::kCrypto, "EVP_CIPHER_fetch AES-256-CBC"));
  unsigned char salt[16];
  unsigned char iv[16];
  HPKI_TRY(random_bytes(salt));
  HPKI_TRY(random_bytes(iv));
  // RFC 8018 6.2 PBES2 + RFC 7914 7 scrypt-params {salt, costParameter N, blockSize r,
  // parallelizationParameter p}; the AES-256-CBC IV is the encryption scheme's parameter.
  Ptr<X509_ALGOR> pbe =
      own(PKCS5_pbe2_set_scrypt(cipher.get(), salt, sizeof salt, iv, params.n, params.r, params.p));
  if (!pbe) return fail(take_error(ErrorCode::kCrypto, "PKCS5_pbe2_set_scrypt"));
  Ptr<X509_SIG> enc = own(PKCS8_set0_pbe(reinterpret_cast<const char*>(passphrase.data()),
                                         static_cast<int>(passphrase.size()), p8.get(), pbe.get()));
  if (!enc) return fail(take_error(ErrorCode::kCrypto, "PKCS8_set0_pbe"));
  (void)pbe.release();  // owned by enc on success
  const int len = i2d_X509_SIG(enc.get(), nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kCrypto, "i2d_X509_SIG"));
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_X509_SIG(enc.get(), &p) != len)
    return fail(take_error(ErrorCode::kCrypto, "i2d_X509_SIG"));
  return out;
}

Result<Ptr<EVP_PKEY>> pkey_from_encrypted_pkcs8(BytesView der, BytesView passphrase) {
  if (der.size() > kMaxKeyDer) return fail(ErrorCode::kTooLarge, "encrypted PKCS#8 key too large");
  if (passphrase.size() > INT_MAX) return fail(ErrorCode::kInvalidArgument, "passphrase too long");
  const unsigned char* p = der.data();
  Ptr<X509_SIG> enc = own(d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!enc) return fail(take_error(ErrorCode::kMalformed, "EncryptedPrivateKeyInfo"));
  if (p != der.data() + der.size()) {
    return fail(ErrorCode::kTrailingData, "EncryptedPrivateKeyInfo has trailing bytes");
  }
  Ptr<PKCS8_PRIV_KEY_INFO> p8 =
      own(PKCS8_decrypt(enc.get(), reinterpret_cast<const char*>(passphrase.data()),
                        static_cast<int>(passphrase.size())));
  if (!p8) {
    return fail(take_error(ErrorCode::kBadPassphrase,
                           "cannot decrypt the private key: wrong passphrase or corrupted file"));
  }
  Ptr<EVP_PKEY> pkey = own(EVP_PKCS82PKEY(p8.get()));
  if (!pkey) {
    // CBC padding matched by chance with a wrong key: the plaintext is not a key.
    return fail(take_error(ErrorCode::kBadPassphrase,
                           "cannot decrypt the private key: wrong passphrase or corrupted file"));
  }
  return ensure_sm2_type(std::move(pkey));
}

Result<Bytes> digest_sign(const EVP_PKEY* pkey, const SignOptions& opts, BytesView message) {
  Ptr<EVP_MD_CTX> md = own(EVP_MD_CTX_new());
  if (!md) return fail(take_error(ErrorCode::kInternal, "EVP_MD_CTX_new"));
  const std::string digest(opts.digest);
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (EVP_DigestSignInit_ex(md.get(), &pctx, digest.c_str(), nullptr, nullptr, mut(pkey),
                            nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestSignInit_ex"));
  }
  HPKI_TRY(configure_signature(pctx, pkey, opts));
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestSign (size)"));
  }
  Bytes out(len);
  if (EVP_DigestSign(md.get(), out.data(), &len, message.data(), message.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestSign"));
  }
  out.resize(len);
  return out;
}

struct RepeatSigner::State {
  Ptr<EVP_PKEY> pkey;
  Ptr<EVP_MD> md;
  std::string digest;
  RsaPadding rsa_padding = RsaPadding::kPkcs1;
  int pss_salt_len = 32;
  bool sm2 = false;
  Bytes z;  // SM2: Z_A of the key and ID
  std::size_t max_size = 0;
  std::mutex mu;
  std::vector<Ptr<EVP_PKEY_CTX>> idle;  // contexts ready for EVP_PKEY_sign

  // A context set up for signing a hash of `digest` with this key.
  Result<Ptr<EVP_PKEY_CTX>> new_context() const {
    Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), md.get()) != 1) {
      return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_sign_init"));
    }
    if (!sm2) {
      SignOptions o;
      o.digest = digest;
      o.rsa_padding = rsa_padding;
      o.pss_salt_len = pss_salt_len;
      HPKI_TRY(configure_signature(ctx.get(), pkey.get(), o));
    }
    return ctx;
  }
};

RepeatSigner::RepeatSigner(std::unique_ptr<State> s) : s_(std::move(s)) {}
RepeatSigner::~RepeatSigner() = default;

Result<std::unique_ptr<RepeatSigner>> RepeatSigner::create(const EVP_PKEY* pkey,
                                                           const SignOptions& opts) {
  auto s = std::make_unique<State>();
  if (EVP_PKEY_up_ref(mut(pkey)) != 1)
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_up_ref"));
  s->pkey = own(mut(pkey));
  s->digest = std::string(opts.digest);
  s->md = HPKI_TRY(fetch_md(s->digest));
  s->rsa_padding = opts.rsa_padding;
  s->pss_salt_len = opts.pss_salt_len;
  s->sm2 = EVP_PKEY_is_a(pkey, "SM2") == 1;
  if (s->sm2) {
    if (!opts.sm2_id) {
      return fail(
          ErrorCode::kInvalidArgument,
          "SM2 needs an explicit distinguishing ID (GM/T 0009; OpenSSL would use an empty one)");
    }
    s->z = HPKI_TRY(sm2_compute_z(pkey, s->digest, *opts.sm2_id));
  }
  const int size = EVP_PKEY_get_size(pkey);
  if (size <= 0) return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_get_size"));
  s->max_size = static_cast<std::size_t>(size);
  // Checked now rather than at the first signature: the options fit the key.
  s->idle.push_back(HPKI_TRY(s->new_context()));
  return std::unique_ptr<RepeatSigner>(new RepeatSigner(std::move(s)));
}

Result<Bytes> RepeatSigner::sign(BytesView message) const {
  // The hash: H(M), or for SM2 e = SM3(Z_A || M).
  auto h = HPKI_TRY(DigestCtx::create(s_->digest));
  if (s_->sm2) HPKI_TRY(h.update(s_->z));
  HPKI_TRY(h.update(message));
  const Bytes hash = HPKI_TRY(h.finish());
  Ptr<EVP_PKEY_CTX> ctx;
  {
    std::lock_guard lock(s_->mu);
    if (!s_->idle.empty()) {
      ctx = std::move(s_->idle.back());
      s_->idle.pop_back();
    }
  }
  if (!ctx) ctx = HPKI_TRY(s_->new_context());
  Bytes out(s_->max_size);
  std::size_t len = out.size();
  if (EVP_PKEY_sign(ctx.get(), out.data(), &len, hash.data(), hash.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_sign"));  // the context is dropped
  }
  out.resize(len);
  std::lock_guard lock(s_->mu);
  s_->idle.push_back(std::move(ctx));
  return out;
}

Result<void> digest_verify(const EVP_PKEY* pkey, const SignOptions& opts, BytesView message,
                           BytesView signature) {
  Ptr<EVP_MD_CTX> md = own(EVP_MD_CTX_new());
  if (!md) return fail(take_error(ErrorCode::kInternal, "EVP_MD_CTX_new"));
  const std::string digest(opts.digest);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit_ex(md.get(), &pctx, digest.c_str(), nullptr, nullptr, mut(pkey),
                              nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestVerifyInit_ex"));
  }
  HPKI_TRY(configure_signature(pctx, pkey, opts));
  if (EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    return fail(take_error(ErrorCode::kBadSignature, "signature does not verify"));
  }
  return {};
}

Result<void> verify_prehashed(const EVP_PKEY* pkey, std::string_view digest, BytesView digest_value,
                              BytesView signature) {
  Ptr<EVP_MD> md = HPKI_TRY(fetch_md(digest));
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_pkey(nullptr, mut(pkey), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_verify_init"));
  }
  if (EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest_value.data(),
                      digest_value.size()) != 1) {
    return fail(take_error(ErrorCode::kBadSignature, "signature does not verify"));
  }
  return {};
}

namespace {

Result<void> configure_encryption(EVP_PKEY_CTX* ctx, const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA256", nullptr) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA256", nullptr) <= 0) {
      return fail(take_error(ErrorCode::kCrypto, "RSA-OAEP parameters"));
    }
    return {};
  }
  if (EVP_PKEY_is_a(pkey, "SM2")) return {};  // SM3 is the provider default (GM/T 0009 7.1)
  return fail(ErrorCode::kUnsupportedAlgorithm, "encryption needs an RSA or SM2 key");
}

}  // namespace

Result<Bytes> pkey_encrypt(const EVP_PKEY* pkey, BytesView plaintext) {
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_pkey(nullptr, mut(pkey), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_encrypt_init"));
  }
  HPKI_TRY(configure_encryption(ctx.get(), pkey));
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, plaintext.data(), plaintext.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_encrypt (size)"));
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, plaintext.data(), plaintext.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_encrypt"));
  }
  out.resize(len);
  return out;
}

Result<SecretBytes> pkey_decrypt(const EVP_PKEY* pkey, BytesView ciphertext) {
  Ptr<EVP_PKEY_CTX> ctx = own(EVP_PKEY_CTX_new_from_pkey(nullptr, mut(pkey), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_PKEY_decrypt_init"));
  }
  HPKI_TRY(configure_encryption(ctx.get(), pkey));
  if (ciphertext.empty()) return fail(ErrorCode::kDecryptFailed, "empty ciphertext");
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, ciphertext.data(), ciphertext.size()) != 1) {
    return fail(take_error(ErrorCode::kDecryptFailed, "decryption failed"));
  }
  SecretBytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, ciphertext.data(), ciphertext.size()) != 1) {
    return fail(take_error(ErrorCode::kDecryptFailed, "decryption failed"));
  }
  out.truncate(len);
  return out;
}

}  // namespace hpki::ossl
