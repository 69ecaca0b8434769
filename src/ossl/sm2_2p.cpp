#include "ossl/sm2_2p.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <initializer_list>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "ossl/ecdsa_sig.h"
#include "ossl/error.h"
#include "ossl/fetch.h"
#include "ossl/ptr.h"
#include "ossl/spki.h"

namespace hpki::ossl::sm2_2p {

namespace {

constexpr std::size_t kCoordLen = 32;
constexpr int kCoordLenInt = 32;
// SEC1 2.3.3: the encoding of the point at infinity is the single byte 00.
constexpr std::uint8_t kInfinityOctet = 0x00;
constexpr std::uint8_t kUncompressedPrefix = 0x04;

// The SM2 curve and what is derived from it, built once per process and read-only afterwards:
// OpenSSL's EC, Montgomery and digest functions only read these, so threads share them.
struct Curve {
  Ptr<EC_GROUP> group;
  const BIGNUM* n = nullptr;  // the order, owned by group
  Ptr<BIGNUM> p;              // the field prime
  Ptr<BIGNUM> n_minus_2;      // Fermat exponent for inverses mod n
  Ptr<BIGNUM> one;
  Ptr<EC_POINT> neg_g;      // −G
  Ptr<BN_MONT_CTX> mont_n;  // Montgomery context of n
  Ptr<EVP_MD> sm3;
  Bytes z_curve;  // a || b || xG || yG (GM/T 0003.2 5.5), 128 bytes
};

Curve make_curve() {
  Curve c;
  Ptr<BN_CTX> ctx = own(BN_CTX_new());
  c.group = own(EC_GROUP_new_by_curve_name(NID_sm2));
  HPKI_CHECK(ctx && c.group);
  c.n = EC_GROUP_get0_order(c.group.get());
  c.p = own(BN_new());
  c.n_minus_2 = own(BN_dup(c.n));
  c.one = own(BN_new());
  c.neg_g = own(EC_POINT_dup(EC_GROUP_get0_generator(c.group.get()), c.group.get()));
  c.mont_n = own(BN_MONT_CTX_new());
  Ptr<BIGNUM> a = own(BN_new()), b = own(BN_new()), xg = own(BN_new()), yg = own(BN_new());
  HPKI_CHECK(c.n && c.p && c.n_minus_2 && c.one && c.neg_g && c.mont_n && a && b && xg && yg);
  HPKI_CHECK(BN_sub_word(c.n_minus_2.get(), 2) == 1 && BN_one(c.one.get()) == 1);
  HPKI_CHECK(EC_POINT_invert(c.group.get(), c.neg_g.get(), ctx.get()) == 1);
  HPKI_CHECK(BN_MONT_CTX_set(c.mont_n.get(), c.n, ctx.get()) == 1);
  HPKI_CHECK(EC_GROUP_get_curve(c.group.get(), c.p.get(), a.get(), b.get(), ctx.get()) == 1);
  HPKI_CHECK(EC_POINT_get_affine_coordinates(c.group.get(), EC_GROUP_get0_generator(c.group.get()),
                                             xg.get(), yg.get(), ctx.get()) == 1);
  c.z_curve.resize(4 * kCoordLen);
  std::uint8_t* out = c.z_curve.data();
  for (const BIGNUM* v : {a.get(), b.get(), xg.get(), yg.get()}) {
    HPKI_CHECK(BN_bn2binpad(v, out, kCoordLenInt) == kCoordLenInt);
    out += kCoordLen;
  }
  auto md = fetch_md("SM3");
  HPKI_CHECK(md.has_value());
  c.sm3 = std::move(*md);
  // A table of multiples of G for OpenSSL's wNAF multiplication, which takes only public scalars
  // here (verify_table, verify_proof_named: [s]G + [t]P). Secret scalars never use it: OpenSSL
  // 3.0 sends every single-scalar multiplication (mul_g, mul_point) to its constant-time ladder
  // before it looks at a table (ossl_ec_wNAF_mul; measured: k·G costs the same with and without).
  // Deprecated in 3.0 with the rest of the low-level EC API, which this file is built on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  HPKI_CHECK(EC_GROUP_precompute_mult(c.group.get(), ctx.get()) == 1);
#pragma GCC diagnostic pop
  return c;
}

const Curve& curve() {
  static const Curve c = make_curve();
  return c;
}

const EC_GROUP* group() { return curve().group.get(); }

std::string named(std::string_view name, std::string_view what) {
  std::string out(name);
  out += ": ";
  out += what;
  return out;
}

// --- BIGNUM and EC_POINT plumbing ---

Result<Ptr<BN_CTX>> new_ctx() {
  Ptr<BN_CTX> ctx = own(BN_CTX_secure_new());
  if (!ctx) return fail(take_error(ErrorCode::kInternal, "BN_CTX_secure_new"));
  return ctx;
}

// Secret values get BN_FLG_CONSTTIME, so that OpenSSL takes its constant-time paths for them.
Result<Ptr<BIGNUM>> new_bn(bool secret) {
  Ptr<BIGNUM> bn = own(secret ? BN_secure_new() : BN_new());
  if (!bn) return fail(take_error(ErrorCode::kInternal, "BN_new"));
  if (secret) BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

Result<Ptr<EC_POINT>> new_point() {
  Ptr<EC_POINT> pt = own(EC_POINT_new(group()));
  if (!pt) return fail(take_error(ErrorCode::kInternal, "EC_POINT_new"));
  return pt;
}

enum class Secrecy { kPublic, kSecret };
enum class Zero { kRefused, kAllowed };

// A 32-byte big-endian scalar in [1, n-1] (or [0, n-1]).
Result<Ptr<BIGNUM>> parse_scalar(BytesView bytes, std::string_view name, Secrecy secrecy,
                                 Zero zero = Zero::kRefused) {
  if (bytes.size() != kScalarLen) {
    return fail(ErrorCode::kInvalidArgument,
                named(name, std::to_string(bytes.size()) + " bytes, expected 32"));
  }
  Ptr<BIGNUM> bn = HPKI_TRY(new_bn(secrecy == Secrecy::kSecret));
  if (BN_bin2bn(bytes.data(), kCoordLenInt, bn.get()) == nullptr) {
    return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  }
  if (BN_cmp(bn.get(), curve().n) >= 0 || (zero == Zero::kRefused && BN_is_zero(bn.get()))) {
    return fail(ErrorCode::kInvalidArgument,
                named(name, zero == Zero::kRefused ? "not in [1, n-1]" : "not in [0, n-1]"));
  }
  return bn;
}

Result<Ptr<BIGNUM>> parse_secret(const SecretBytes& bytes, std::string_view name) {
  return parse_scalar(bytes.view(), name, Secrecy::kSecret);
}

Result<void> scalar_to(const BIGNUM* bn, std::uint8_t* out) {
  if (BN_bn2binpad(bn, out, kCoordLenInt) != kCoordLenInt) {
    return fail(take_error(ErrorCode::kInternal, "BN_bn2binpad"));
  }
  return {};
}

Result<Bytes> scalar_bytes(const BIGNUM* bn) {
  Bytes out(kScalarLen);
  HPKI_TRY(scalar_to(bn, out.data()));
  return out;
}

Result<SecretBytes> secret_bytes(const BIGNUM* bn) {
  SecretBytes out(kScalarLen);
  HPKI_TRY(scalar_to(bn, out.data()));
  return out;
}

// mobile.md §1.7(2): SEC1 uncompressed, coordinates below p, on the curve (cofactor 1: on the
// curve is in the group), not O.
Result<Ptr<EC_POINT>> parse_point(BytesView bytes, std::string_view name, BN_CTX* ctx) {
  if (bytes.size() == 1 && bytes[0] == kInfinityOctet) {
    return fail(ErrorCode::kInvalidArgument, named(name, "the point at infinity"));
  }
  if (bytes.size() != kPointLen) {
    return fail(ErrorCode::kInvalidArgument,
                named(name, std::to_string(bytes.size()) + " bytes, expected 65 (04 || x || y)"));
  }
  if (bytes[0] != kUncompressedPrefix) {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "0x%02x", bytes[0]);
    return fail(ErrorCode::kInvalidArgument,
                named(name, std::string("prefix ") + prefix + ", expected 0x04 (uncompressed)"));
  }
  Ptr<BIGNUM> x = HPKI_TRY(new_bn(false));
  Ptr<BIGNUM> y = HPKI_TRY(new_bn(false));
  if (BN_bin2bn(bytes.data() + 1, kCoordLenInt, x.get()) == nullptr ||
      BN_bin2bn(bytes.data() + 1 + kCoordLen, kCoordLenInt, y.get()) == nullptr) {
    return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  }
  if (BN_cmp(x.get(), curve().p.get()) >= 0 || BN_cmp(y.get(), curve().p.get()) >= 0) {
    return fail(ErrorCode::kInvalidArgument, named(name, "a coordinate is not below the prime p"));
  }
  Ptr<EC_POINT> pt = HPKI_TRY(new_point());
  // EC_POINT_set_affine_coordinates refuses a point off the curve.
  if (EC_POINT_set_affine_coordinates(group(), pt.get(), x.get(), y.get(), ctx) != 1 ||
      EC_POINT_is_on_curve(group(), pt.get(), ctx) != 1) {
    clear_errors();
    return fail(ErrorCode::kInvalidArgument, named(name, "not on the SM2 curve"));
  }
  return pt;
}

Result<Bytes> point_bytes(const EC_POINT* pt, BN_CTX* ctx) {
  if (EC_POINT_is_at_infinity(group(), pt) == 1) {
    return fail(ErrorCode::kInternal, "the point at infinity cannot be encoded");
  }
  Bytes out(kPointLen);
  if (EC_POINT_point2oct(group(), pt, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), ctx) !=
      kPointLen) {
    return fail(take_error(ErrorCode::kInternal, "EC_POINT_point2oct"));
  }
  return out;
}

// out = k·G. With a single scalar OpenSSL 3.0 uses its constant-time Montgomery ladder
// (ossl_ec_scalar_mul_ladder); a combined k·G + l·P would take the variable-time wNAF path, so
// secret scalars are always multiplied one at a time.
Result<void> mul_g(EC_POINT* out, const BIGNUM* k, BN_CTX* ctx) {
  if (EC_POINT_mul(group(), out, k, nullptr, nullptr, ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_mul"));
  }
  return {};
}

// out = k·pt (the ladder as well).
Result<void> mul_point(EC_POINT* out, const EC_POINT* pt, const BIGNUM* k, BN_CTX* ctx) {
  if (EC_POINT_mul(group(), out, nullptr, pt, k, ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_mul"));
  }
  return {};
}

Result<void> add_points(EC_POINT* out, const EC_POINT* a, const EC_POINT* b, BN_CTX* ctx) {
  if (EC_POINT_add(group(), out, a, b, ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_add"));
  }
  return {};
}

// out = a·b mod n for a, b in [0, n-1]: a Montgomery product (a·R, then ·b·R^-1), which
// OpenSSL computes without data-dependent branches, unlike BN_mod_mul's division.
Result<void> mul_mod_n(BIGNUM* out, const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx) {
  Ptr<BIGNUM> t = HPKI_TRY(new_bn(true));
  if (BN_to_montgomery(t.get(), a, curve().mont_n.get(), ctx) != 1 ||
      BN_mod_mul_montgomery(out, t.get(), b, curve().mont_n.get(), ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_mul_montgomery"));
  }
  return {};
}

// out = a^-1 mod n = a^(n-2) mod n (n is prime), with the constant-time exponentiation.
Result<void> inv_mod_n(BIGNUM* out, const BIGNUM* a, BN_CTX* ctx) {
  if (BN_mod_exp_mont_consttime(out, a, curve().n_minus_2.get(), curve().n, ctx,
                                curve().mont_n.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_exp_mont_consttime"));
  }
  return {};
}

// a, b in [0, n-1] (BN_mod_add_quick is constant-time in OpenSSL 3.0).
Result<void> add_mod_n(BIGNUM* out, const BIGNUM* a, const BIGNUM* b) {
  if (BN_mod_add_quick(out, a, b, curve().n) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_add_quick"));
  }
  return {};
}

Result<void> sub_mod_n(BIGNUM* out, const BIGNUM* a, const BIGNUM* b) {
  if (BN_mod_sub_quick(out, a, b, curve().n) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_sub_quick"));
  }
  return {};
}

Result<Ptr<BIGNUM>> inverse(const BIGNUM* a, BN_CTX* ctx) {
  Ptr<BIGNUM> out = HPKI_TRY(new_bn(true));
  HPKI_TRY(inv_mod_n(out.get(), a, ctx));
  return out;
}

// mobile.md §1.7(1): a fresh, uniform scalar in [1, n-1] from OpenSSL's private DRBG.
Result<Ptr<BIGNUM>> random_bn(BN_CTX* ctx) {
  Ptr<BIGNUM> k = HPKI_TRY(new_bn(true));
  do {
    if (BN_priv_rand_range_ex(k.get(), curve().n, 0, ctx) != 1) {
      return fail(take_error(ErrorCode::kCrypto, "BN_priv_rand_range_ex"));
    }
  } while (BN_is_zero(k.get()));
  return k;
}

// A given nonce (tests) or a fresh one.
Result<Ptr<BIGNUM>> given_or_random(const SecretBytes* given, std::string_view name, BN_CTX* ctx) {
  if (given != nullptr) return parse_secret(*given, name);
  return random_bn(ctx);
}

// --- SM3 ---

Result<void> sm3_into(std::initializer_list<BytesView> parts, std::uint8_t* out) {
  Ptr<EVP_MD_CTX> md = own(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), curve().sm3.get(), nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestInit_ex(SM3)"));
  }
  for (BytesView part : parts) {
    if (EVP_DigestUpdate(md.get(), part.data(), part.size()) != 1) {
      return fail(take_error(ErrorCode::kCrypto, "EVP_DigestUpdate"));
    }
  }
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(md.get(), out, &len) != 1 || len != kDigestLen) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestFinal_ex"));
  }
  return {};
}

Result<Bytes> sm3(std::initializer_list<BytesView> parts) {
  Bytes out(kDigestLen);
  HPKI_TRY(sm3_into(parts, out.data()));
  return out;
}

// GM/T 0003.3 5.4.3 / GM/T 0003.4 5.4.3: KDF(Z, klen) = H(Z || ct_1) || H(Z || ct_2) || ...
// with a 32-bit big-endian counter from 1, truncated to klen bytes.
Result<SecretBytes> kdf(BytesView z, std::size_t len) {
  SecretBytes out(len);
  std::array<std::uint8_t, kDigestLen> block{};
  std::uint32_t counter = 1;
  for (std::size_t done = 0; done < len; done += kDigestLen, ++counter) {
    const std::array<std::uint8_t, 4> ct = {
        static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
        static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
    HPKI_TRY(sm3_into({z, ct}, block.data()));
    const std::size_t n = std::min(kDigestLen, len - done);
    std::copy_n(block.begin(), n, out.data() + done);
  }
  secure_wipe(block.data(), block.size());
  return out;
}

bool all_zero(BytesView b) {
  std::uint8_t acc = 0;
  for (std::uint8_t v : b) acc = static_cast<std::uint8_t>(acc | v);
  return acc == 0;
}

// x2 || y2 of a point (secret in decryption and encryption).
Result<SecretBytes> coordinates(const EC_POINT* pt, BN_CTX* ctx) {
  Ptr<BIGNUM> x = HPKI_TRY(new_bn(true));
  Ptr<BIGNUM> y = HPKI_TRY(new_bn(true));
  if (EC_POINT_get_affine_coordinates(group(), pt, x.get(), y.get(), ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_get_affine_coordinates"));
  }
  SecretBytes out(2 * kCoordLen);
  HPKI_TRY(scalar_to(x.get(), out.data()));
  HPKI_TRY(scalar_to(y.get(), out.data() + kCoordLen));
  return out;
}

// --- Verification tables of public keys ---

// [t]P = Σ t_j·(2^(32j)·P) for the 32-bit pieces t_j of t: with the multiples kept per key,
// [s]G + [t]P is one interleaved wNAF multiplication over scalars of at most 32 bits for the P
// part (33 doublings instead of 257; G's part is split by its precomputed table). Measured on
// the 2-core VM: 4 pieces 149 µs, 6 and 8 pieces 136 µs, one EC_POINT_mul 260-280 µs.
constexpr std::size_t kSplit = 8;
constexpr std::size_t kPieceLen = kScalarLen / kSplit;  // 4 bytes
constexpr int kPieceBits = 32;

struct KeyTable {
  std::array<Ptr<EC_POINT>, kSplit> multiples;  // 2^(32j)·P, j = 0..7
};

// The tables of the most recently used keys, shared read-only between threads (OpenSSL only
// reads the points). Keyed by the exact 65 bytes, and only bytes that parse_point accepted get an
// entry, so a cached key was validated like a fresh one.
class KeyCache {
 public:
  std::shared_ptr<const KeyTable> find(BytesView p) {
    const std::string key(as_string(p));
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }
  void insert(BytesView p, std::shared_ptr<const KeyTable> table) {
    std::string key(as_string(p));
    std::lock_guard lock(mu_);
    if (index_.contains(key)) return;
    order_.emplace_front(key, std::move(table));
    index_.emplace(std::move(key), order_.begin());
    if (order_.size() > kKeyCacheSize) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  bool contains(BytesView p) {
    const std::string key(as_string(p));
    std::lock_guard lock(mu_);
    return index_.contains(key);
  }
  void clear() {
    std::lock_guard lock(mu_);
    index_.clear();
    order_.clear();
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return order_.size();
  }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const KeyTable>>;
  std::mutex mu_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

KeyCache& key_cache() {
  static KeyCache cache;
  return cache;
}

// The table of P (validated as every received point, mobile.md §1.7(2)), from the cache or made.
Result<std::shared_ptr<const KeyTable>> key_table(BytesView p_bytes, BN_CTX* ctx) {
  if (auto hit = key_cache().find(p_bytes)) return hit;
  auto table = std::make_shared<KeyTable>();
  table->multiples[0] = HPKI_TRY(parse_point(p_bytes, "P", ctx));
  for (std::size_t j = 1; j < kSplit; ++j) {
    Ptr<EC_POINT> m = own(EC_POINT_dup(table->multiples[j - 1].get(), group()));
    if (!m) return fail(take_error(ErrorCode::kInternal, "EC_POINT_dup"));
    for (int i = 0; i < kPieceBits; ++i) {
      if (EC_POINT_dbl(group(), m.get(), m.get(), ctx) != 1) {
        return fail(take_error(ErrorCode::kCrypto, "EC_POINT_dbl"));
      }
    }
    table->multiples[j] = std::move(m);
  }
  key_cache().insert(p_bytes, table);
  return std::shared_ptr<const KeyTable>(std::move(table));
}

// --- Proof of knowledge (docs/cosign.md §1.1) ---

Result<void> check_context(std::string_view ctx) {
  if (ctx.size() > kMaxContextLen) {
    return fail(ErrorCode::kInvalidArgument, "proof context longer than 65535 bytes");
  }
  return {};
}

// c = SM3("hpki-cosign-pok-v1" || u16be(len(ctx)) || ctx || X || R) mod n.
Result<Ptr<BIGNUM>> pok_challenge(BytesView x_point, BytesView r_point, std::string_view ctx,
                                  BN_CTX* bn_ctx) {
  HPKI_TRY(check_context(ctx));
  const std::array<std::uint8_t, 2> len = {static_cast<std::uint8_t>(ctx.size() >> 8),
                                           static_cast<std::uint8_t>(ctx.size())};
  const Bytes h = HPKI_TRY(sm3({as_bytes(kPokDomain), len, as_bytes(ctx), x_point, r_point}));
  Ptr<BIGNUM> c = HPKI_TRY(new_bn(false));
  if (BN_bin2bn(h.data(), static_cast<int>(h.size()), c.get()) == nullptr ||
      BN_nnmod(c.get(), c.get(), curve().n, bn_ctx) != 1) {
    return fail(take_error(ErrorCode::kInternal, "PoK challenge"));
  }
  return c;
}

// R = k·G, z = k + c·x. `x_point` is X = x·G (the caller made or checked it).
Result<Proof> prove_with(const BIGNUM* x, BytesView x_point, std::string_view ctx, const BIGNUM* k,
                         BN_CTX* bn_ctx) {
  Ptr<EC_POINT> r = HPKI_TRY(new_point());
  HPKI_TRY(mul_g(r.get(), k, bn_ctx));
  Proof proof;
  proof.r = HPKI_TRY(point_bytes(r.get(), bn_ctx));
  Ptr<BIGNUM> c = HPKI_TRY(pok_challenge(x_point, proof.r, ctx, bn_ctx));
  Ptr<BIGNUM> z = HPKI_TRY(new_bn(true));
  HPKI_TRY(mul_mod_n(z.get(), c.get(), x, bn_ctx));
  HPKI_TRY(add_mod_n(z.get(), z.get(), k));
  proof.z = HPKI_TRY(scalar_bytes(z.get()));
  return proof;
}

Result<Proof> prove_impl(const SecretBytes& x_bytes, BytesView x_point, std::string_view ctx,
                         const SecretBytes* k_bytes) {
  HPKI_TRY(check_context(ctx));
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> x = HPKI_TRY(parse_secret(x_bytes, "x"));
  Ptr<EC_POINT> given = HPKI_TRY(parse_point(x_point, "X", bn_ctx.get()));
  Ptr<EC_POINT> computed = HPKI_TRY(new_point());
  HPKI_TRY(mul_g(computed.get(), x.get(), bn_ctx.get()));
  if (EC_POINT_cmp(group(), given.get(), computed.get(), bn_ctx.get()) != 0) {
    return fail(ErrorCode::kInvalidArgument, "X is not x·G");
  }
  Ptr<BIGNUM> k = HPKI_TRY(given_or_random(k_bytes, "k", bn_ctx.get()));
  return prove_with(x.get(), x_point, ctx, k.get(), bn_ctx.get());
}

// Checks z·G − c·X == R (all public values: the combined multiplication is fine here).
Result<void> verify_proof_named(BytesView x_point, std::string_view name, const Proof& proof,
                                std::string_view ctx, BN_CTX* bn_ctx) {
  HPKI_TRY(check_context(ctx));
  Ptr<EC_POINT> x = HPKI_TRY(parse_point(x_point, name, bn_ctx));
  const std::string proof_name = std::string(name) + " proof";
  Ptr<EC_POINT> r = HPKI_TRY(parse_point(proof.r, proof_name + " R", bn_ctx));
  Ptr<BIGNUM> z =
      HPKI_TRY(parse_scalar(proof.z, proof_name + " z", Secrecy::kPublic, Zero::kAllowed));
  Ptr<BIGNUM> c = HPKI_TRY(pok_challenge(x_point, proof.r, ctx, bn_ctx));
  Ptr<BIGNUM> neg_c = HPKI_TRY(new_bn(false));
  if (BN_mod_sub(neg_c.get(), curve().n, c.get(), curve().n, bn_ctx) != 1) {
    return fail(take_error(ErrorCode::kInternal, "BN_mod_sub"));
  }
  Ptr<EC_POINT> lhs = HPKI_TRY(new_point());
  if (EC_POINT_mul(group(), lhs.get(), z.get(), x.get(), neg_c.get(), bn_ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_mul"));
  }
  if (EC_POINT_cmp(group(), lhs.get(), r.get(), bn_ctx) != 0) {
    return fail(ErrorCode::kBadSignature,
                named(name, "the proof of knowledge does not verify (for this context)"));
  }
  return {};
}

// GM/T 0003.2 7.1 B1-B7 over e under the key of `key`; r and s as 32-byte strings.
Result<void> verify_table(const KeyTable& key, BytesView e, BytesView r_bytes, BytesView s_bytes,
                          BN_CTX* bn_ctx) {
  if (e.size() != kDigestLen) {
    return fail(ErrorCode::kInvalidArgument,
                named("e", std::to_string(e.size()) + " bytes, expected 32"));
  }
  for (auto [bytes, name] : {std::pair{r_bytes, "r"}, std::pair{s_bytes, "s"}}) {
    if (bytes.size() != kScalarLen) {
      return fail(ErrorCode::kInvalidArgument,
                  named(name, std::to_string(bytes.size()) + " bytes, expected 32"));
    }
  }
  // B1, B2: r, s in [1, n-1].
  auto r = parse_scalar(r_bytes, "r", Secrecy::kPublic);
  auto s = parse_scalar(s_bytes, "s", Secrecy::kPublic);
  if (!r || !s) return fail(ErrorCode::kBadSignature, "SM2 signature: r or s not in [1, n-1]");
  Ptr<BIGNUM> e_bn = HPKI_TRY(new_bn(false));
  Ptr<BIGNUM> t = HPKI_TRY(new_bn(false));
  Ptr<BIGNUM> x1 = HPKI_TRY(new_bn(false));
  if (BN_bin2bn(e.data(), static_cast<int>(e.size()), e_bn.get()) == nullptr) {
    return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  }
  // B5: t = (r + s) mod n, t != 0.
  HPKI_TRY(add_mod_n(t.get(), r->get(), s->get()));
  if (BN_is_zero(t.get())) return fail(ErrorCode::kBadSignature, "SM2 signature: t = 0");
  // B6: (x1, y1) = [s]G + [t]P = [s]G + Σ t_j·(2^(32j)·P), t_j the 32-bit pieces of t.
  std::array<std::uint8_t, kScalarLen> t_bytes{};
  HPKI_TRY(scalar_to(t.get(), t_bytes.data()));
  std::array<Ptr<BIGNUM>, kSplit> pieces;
  std::array<const BIGNUM*, kSplit> scalars{};
  std::array<const EC_POINT*, kSplit> points{};
  for (std::size_t j = 0; j < kSplit; ++j) {
    pieces[j] = HPKI_TRY(new_bn(false));
    const std::uint8_t* piece = t_bytes.data() + kScalarLen - (j + 1) * kPieceLen;
    if (BN_bin2bn(piece, static_cast<int>(kPieceLen), pieces[j].get()) == nullptr) {
      return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
    }
    scalars[j] = pieces[j].get();
    points[j] = key.multiples[j].get();
  }
  Ptr<EC_POINT> pt = HPKI_TRY(new_point());
  // EC_POINTs_mul (deprecated in 3.0, no replacement for several points) on public scalars.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const int mul_ok =
      EC_POINTs_mul(group(), pt.get(), s->get(), kSplit, points.data(), scalars.data(), bn_ctx);
#pragma GCC diagnostic pop
  if (mul_ok != 1) return fail(take_error(ErrorCode::kCrypto, "EC_POINTs_mul"));
  if (EC_POINT_is_at_infinity(group(), pt.get()) == 1) {
    return fail(ErrorCode::kBadSignature, "SM2 signature: [s]G + [t]P is the point at infinity");
  }
  if (EC_POINT_get_affine_coordinates(group(), pt.get(), x1.get(), nullptr, bn_ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_get_affine_coordinates"));
  }
  // B7: R = (e + x1) mod n == r.
  if (BN_mod_add(x1.get(), e_bn.get(), x1.get(), curve().n, bn_ctx) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "BN_mod_add"));
  }
  if (BN_cmp(x1.get(), r->get()) != 0) {
    return fail(ErrorCode::kBadSignature, "SM2 signature: R != r");
  }
  return {};
}

// --- The steps, with optional fixed nonces (the testing:: variants) ---

Result<ClientKey> keygen_client_impl(const SecretBytes* d1_given, std::string_view ctx,
                                     const SecretBytes* k_given) {
  HPKI_TRY(check_context(ctx));
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d1 = HPKI_TRY(given_or_random(d1_given, "d1", bn_ctx.get()));
  // K1: P1 = d1^-1·G, and the proof of knowledge of d1^-1.
  Ptr<BIGNUM> d1_inv = HPKI_TRY(inverse(d1.get(), bn_ctx.get()));
  Ptr<EC_POINT> p1 = HPKI_TRY(new_point());
  HPKI_TRY(mul_g(p1.get(), d1_inv.get(), bn_ctx.get()));
  ClientKey out;
  out.p1 = HPKI_TRY(point_bytes(p1.get(), bn_ctx.get()));
  Ptr<BIGNUM> k = HPKI_TRY(given_or_random(k_given, "k", bn_ctx.get()));
  out.proof = HPKI_TRY(prove_with(d1_inv.get(), out.p1, ctx, k.get(), bn_ctx.get()));
  out.d1 = HPKI_TRY(secret_bytes(d1.get()));
  return out;
}

Result<ServerKey> keygen_server_impl(BytesView p1_bytes, const Proof& p1_proof,
                                     std::string_view ctx, const SecretBytes* d2_given,
                                     const SecretBytes* k_given) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  // K2: P1 and its proof first (mobile.md §1.7(2), §1.7(7)).
  HPKI_TRY(verify_proof_named(p1_bytes, "P1", p1_proof, ctx, bn_ctx.get()));
  Ptr<EC_POINT> p1 = HPKI_TRY(parse_point(p1_bytes, "P1", bn_ctx.get()));
  Ptr<EC_POINT> t = HPKI_TRY(new_point());
  Ptr<EC_POINT> p = HPKI_TRY(new_point());
  for (;;) {
    Ptr<BIGNUM> d2 = HPKI_TRY(given_or_random(d2_given, "d2", bn_ctx.get()));
    Ptr<BIGNUM> d2_inv = HPKI_TRY(inverse(d2.get(), bn_ctx.get()));
    // P = d2^-1·P1 − G, which must not be O (d1·d2 = 1 would make d = 0).
    HPKI_TRY(mul_point(t.get(), p1.get(), d2_inv.get(), bn_ctx.get()));
    HPKI_TRY(add_points(p.get(), t.get(), curve().neg_g.get(), bn_ctx.get()));
    if (EC_POINT_is_at_infinity(group(), p.get()) == 1) {
      if (d2_given != nullptr) {
        return fail(ErrorCode::kInvalidArgument, "this d2 makes P the point at infinity");
      }
      continue;
    }
    ServerKey out;
    out.p = HPKI_TRY(point_bytes(p.get(), bn_ctx.get()));
    Ptr<EC_POINT> p2 = HPKI_TRY(new_point());
    HPKI_TRY(mul_g(p2.get(), d2_inv.get(), bn_ctx.get()));
    out.p2 = HPKI_TRY(point_bytes(p2.get(), bn_ctx.get()));
    Ptr<BIGNUM> k = HPKI_TRY(given_or_random(k_given, "k", bn_ctx.get()));
    out.proof = HPKI_TRY(prove_with(d2_inv.get(), out.p2, ctx, k.get(), bn_ctx.get()));
    out.d2 = HPKI_TRY(secret_bytes(d2.get()));
    out.d2_inv = HPKI_TRY(secret_bytes(d2_inv.get()));
    return out;
  }
}

Result<ClientSignStart> sign_client_start_impl(const SecretBytes* w1_given) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  // S1: Q1 = w1·G with a fresh w1.
  Ptr<BIGNUM> w1 = HPKI_TRY(given_or_random(w1_given, "w1", bn_ctx.get()));
  Ptr<EC_POINT> q1 = HPKI_TRY(new_point());
  HPKI_TRY(mul_g(q1.get(), w1.get(), bn_ctx.get()));
  ClientSignStart out;
  out.q1 = HPKI_TRY(point_bytes(q1.get(), bn_ctx.get()));
  out.w1 = HPKI_TRY(secret_bytes(w1.get()));
  return out;
}

// d2^-1: the stored one (checked against d2) or computed.
Result<Ptr<BIGNUM>> share_inverse_bn(const BIGNUM* d2, const SecretBytes* d2_inv_given,
                                     BN_CTX* ctx) {
  if (d2_inv_given == nullptr) return inverse(d2, ctx);
  Ptr<BIGNUM> d2_inv = HPKI_TRY(parse_secret(*d2_inv_given, "d2_inv"));
  Ptr<BIGNUM> product = HPKI_TRY(new_bn(true));
  HPKI_TRY(mul_mod_n(product.get(), d2, d2_inv.get(), ctx));
  if (BN_is_one(product.get()) != 1) {
    return fail(ErrorCode::kInvalidArgument, "d2_inv: not the inverse of d2");
  }
  return d2_inv;
}

Result<ServerSignature> sign_server_impl(const SecretBytes& d2_bytes,
                                         const SecretBytes* d2_inv_given, BytesView q1_bytes,
                                         BytesView e, const SecretBytes* w2_given) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d2 = HPKI_TRY(parse_secret(d2_bytes, "d2"));
  Ptr<EC_POINT> q1 = HPKI_TRY(parse_point(q1_bytes, "Q1", bn_ctx.get()));
  if (e.size() != kDigestLen) {
    return fail(ErrorCode::kInvalidArgument,
                named("e", std::to_string(e.size()) + " bytes, expected 32"));
  }
  Ptr<BIGNUM> e_bn = HPKI_TRY(new_bn(false));
  if (BN_bin2bn(e.data(), static_cast<int>(e.size()), e_bn.get()) == nullptr) {
    return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  }
  // S2: U = d2^-1·Q1 once; then per nonce Q = w2·G + U, r = (e + x(Q)) mod n,
  // s1 = d2·(r + w2) mod n.
  Ptr<BIGNUM> d2_inv = HPKI_TRY(share_inverse_bn(d2.get(), d2_inv_given, bn_ctx.get()));
  Ptr<EC_POINT> u = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(u.get(), q1.get(), d2_inv.get(), bn_ctx.get()));
  Ptr<EC_POINT> v = HPKI_TRY(new_point());
  Ptr<EC_POINT> q = HPKI_TRY(new_point());
  Ptr<BIGNUM> x = HPKI_TRY(new_bn(false));
  Ptr<BIGNUM> r = HPKI_TRY(new_bn(false));
  Ptr<BIGNUM> s1 = HPKI_TRY(new_bn(true));
  for (;;) {
    // mobile.md §1.7(1): a fresh w2 from the DRBG for every signature, never stored or reused.
    Ptr<BIGNUM> w2 = HPKI_TRY(given_or_random(w2_given, "w2", bn_ctx.get()));
    const auto retry = [&](std::string_view why) -> std::optional<Error> {
      if (w2_given != nullptr) return Error(ErrorCode::kInvalidArgument, std::string(why));
      return std::nullopt;
    };
    HPKI_TRY(mul_g(v.get(), w2.get(), bn_ctx.get()));
    HPKI_TRY(add_points(q.get(), v.get(), u.get(), bn_ctx.get()));
    if (EC_POINT_is_at_infinity(group(), q.get()) == 1) {
      if (auto err = retry("Q is the point at infinity for this w2")) return fail(*err);
      continue;
    }
    if (EC_POINT_get_affine_coordinates(group(), q.get(), x.get(), nullptr, bn_ctx.get()) != 1 ||
        BN_mod_add(r.get(), e_bn.get(), x.get(), curve().n, bn_ctx.get()) != 1) {
      return fail(take_error(ErrorCode::kCrypto, "r = e + x(Q)"));
    }
    if (BN_is_zero(r.get())) {
      if (auto err = retry("r = 0 for this w2")) return fail(*err);
      continue;
    }
    HPKI_TRY(add_mod_n(s1.get(), r.get(), w2.get()));
    HPKI_TRY(mul_mod_n(s1.get(), d2.get(), s1.get(), bn_ctx.get()));
    if (BN_is_zero(s1.get())) {
      if (auto err = retry("s1 = 0 for this w2")) return fail(*err);
      continue;
    }
    ServerSignature out;
    out.r = HPKI_TRY(scalar_bytes(r.get()));
    out.s1 = HPKI_TRY(scalar_bytes(s1.get()));
    return out;
  }
}

Result<Bytes> decrypt_server_impl(const SecretBytes& d2_bytes, const SecretBytes* d2_inv_given,
                                  BytesView t1_bytes) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d2 = HPKI_TRY(parse_secret(d2_bytes, "d2"));
  // D2: T1 validated, T2 = d2^-1·T1 (never O: T1 != O and the group has prime order).
  Ptr<EC_POINT> t1 = HPKI_TRY(parse_point(t1_bytes, "T1", bn_ctx.get()));
  Ptr<BIGNUM> d2_inv = HPKI_TRY(share_inverse_bn(d2.get(), d2_inv_given, bn_ctx.get()));
  Ptr<EC_POINT> t2 = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(t2.get(), t1.get(), d2_inv.get(), bn_ctx.get()));
  return point_bytes(t2.get(), bn_ctx.get());
}

Result<ClientDecryptStart> decrypt_client_start_impl(BytesView c1_bytes,
                                                     const SecretBytes* w_given) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  // D1: C1 validated, T1 = w·C1 with a fresh blinding w.
  Ptr<EC_POINT> c1 = HPKI_TRY(parse_point(c1_bytes, "C1", bn_ctx.get()));
  Ptr<BIGNUM> w = HPKI_TRY(given_or_random(w_given, "w", bn_ctx.get()));
  Ptr<EC_POINT> t1 = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(t1.get(), c1.get(), w.get(), bn_ctx.get()));
  ClientDecryptStart out;
  out.t1 = HPKI_TRY(point_bytes(t1.get(), bn_ctx.get()));
  out.w = HPKI_TRY(secret_bytes(w.get()));
  return out;
}

// Share refresh: a·t or a·t^-1.
Result<SecretBytes> refresh(const SecretBytes& share, std::string_view name, const SecretBytes& t,
                            bool invert) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> a = HPKI_TRY(parse_secret(share, name));
  Ptr<BIGNUM> f = HPKI_TRY(parse_secret(t, "t"));
  if (invert) f = HPKI_TRY(inverse(f.get(), bn_ctx.get()));
  Ptr<BIGNUM> out = HPKI_TRY(new_bn(true));
  HPKI_TRY(mul_mod_n(out.get(), a.get(), f.get(), bn_ctx.get()));
  return secret_bytes(out.get());
}

}  // namespace

// --- Shared ---

Result<void> validate_point(BytesView point, std::string_view name) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  HPKI_TRY(parse_point(point, name, bn_ctx.get()));
  return {};
}

Result<Bytes> message_digest(BytesView p, BytesView message, std::string_view id) {
  // A key in the verification cache passed parse_point with exactly these bytes.
  if (!key_cache().contains(p)) HPKI_TRY(validate_point(p, "P"));
  if (id.size() > 8191) return fail(ErrorCode::kInvalidArgument, "SM2 ID longer than 8191 bytes");
  // GM/T 0003.2 5.5: Z = SM3(ENTL || ID || a || b || xG || yG || xP || yP), ENTL in bits.
  const std::size_t entl = id.size() * 8;
  const std::array<std::uint8_t, 2> entl_bytes = {static_cast<std::uint8_t>(entl >> 8),
                                                  static_cast<std::uint8_t>(entl)};
  const Bytes z = HPKI_TRY(sm3({entl_bytes, as_bytes(id), curve().z_curve, p.subspan(1)}));
  // GM/T 0003.2 6.1 A2: e = SM3(Z || M).
  return sm3({z, message});
}

Result<void> verify_signature(BytesView p, BytesView e, BytesView r, BytesView s) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  const auto key = HPKI_TRY(key_table(p, bn_ctx.get()));
  return verify_table(*key, e, r, s, bn_ctx.get());
}

Result<SecretBytes> random_scalar() {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> k = HPKI_TRY(random_bn(bn_ctx.get()));
  return secret_bytes(k.get());
}

Result<Proof> prove(const SecretBytes& x, BytesView x_point, std::string_view ctx) {
  return prove_impl(x, x_point, ctx, nullptr);
}

Result<void> verify_proof(BytesView x_point, const Proof& proof, std::string_view ctx) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  return verify_proof_named(x_point, "X", proof, ctx, bn_ctx.get());
}

// --- Server ---

Result<ServerKey> keygen_server(BytesView p1, const Proof& p1_proof, std::string_view ctx) {
  return keygen_server_impl(p1, p1_proof, ctx, nullptr, nullptr);
}

Result<ServerSignature> sign_server(const SecretBytes& d2, BytesView q1, BytesView e) {
  return sign_server_impl(d2, nullptr, q1, e, nullptr);
}

Result<ServerSignature> sign_server(const SecretBytes& d2, const SecretBytes& d2_inv, BytesView q1,
                                    BytesView e) {
  return sign_server_impl(d2, &d2_inv, q1, e, nullptr);
}

Result<SecretBytes> share_inverse(const SecretBytes& d2_bytes) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d2 = HPKI_TRY(parse_secret(d2_bytes, "d2"));
  Ptr<BIGNUM> d2_inv = HPKI_TRY(inverse(d2.get(), bn_ctx.get()));
  return secret_bytes(d2_inv.get());
}

Result<Bytes> decrypt_server(const SecretBytes& d2_bytes, BytesView t1_bytes) {
  return decrypt_server_impl(d2_bytes, nullptr, t1_bytes);
}

Result<Bytes> decrypt_server(const SecretBytes& d2, const SecretBytes& d2_inv, BytesView t1) {
  return decrypt_server_impl(d2, &d2_inv, t1);
}

Result<Bytes> share_point(const SecretBytes& d2_bytes, const SecretBytes& d2_inv_bytes) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d2 = HPKI_TRY(parse_secret(d2_bytes, "d2"));
  Ptr<BIGNUM> d2_inv = HPKI_TRY(share_inverse_bn(d2.get(), &d2_inv_bytes, bn_ctx.get()));
  Ptr<EC_POINT> p2 = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(p2.get(), EC_GROUP_get0_generator(group()), d2_inv.get(), bn_ctx.get()));
  return point_bytes(p2.get(), bn_ctx.get());
}

Result<SecretBytes> refresh_server(const SecretBytes& d2, const SecretBytes& t) {
  return refresh(d2, "d2", t, true);
}

// --- Client ---

Result<ClientKey> keygen_client(std::string_view ctx) {
  return keygen_client_impl(nullptr, ctx, nullptr);
}

Result<void> check_joint_key(const SecretBytes& d1_bytes, BytesView p_bytes, BytesView p2_bytes,
                             const Proof& p2_proof, std::string_view ctx) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<EC_POINT> p = HPKI_TRY(parse_point(p_bytes, "P", bn_ctx.get()));
  HPKI_TRY(verify_proof_named(p2_bytes, "P2", p2_proof, ctx, bn_ctx.get()));
  Ptr<EC_POINT> p2 = HPKI_TRY(parse_point(p2_bytes, "P2", bn_ctx.get()));
  Ptr<BIGNUM> d1 = HPKI_TRY(parse_secret(d1_bytes, "d1"));
  // K3: P == d1^-1·P2 − G.
  Ptr<BIGNUM> d1_inv = HPKI_TRY(inverse(d1.get(), bn_ctx.get()));
  Ptr<EC_POINT> t = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(t.get(), p2.get(), d1_inv.get(), bn_ctx.get()));
  HPKI_TRY(add_points(t.get(), t.get(), curve().neg_g.get(), bn_ctx.get()));
  if (EC_POINT_cmp(group(), t.get(), p.get(), bn_ctx.get()) != 0) {
    return fail(ErrorCode::kKeyMismatch, "P is not d1^-1·P2 − G: the joint key is not ours");
  }
  return {};
}

Result<ClientSignStart> sign_client_start() { return sign_client_start_impl(nullptr); }

Result<Bytes> sign_client_finish(const SecretBytes& d1_bytes, SecretBytes w1_bytes, BytesView r,
                                 BytesView s1, BytesView e, BytesView p_bytes) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> w1 = HPKI_TRY(parse_secret(w1_bytes, "w1"));
  w1_bytes.clear();
  Ptr<BIGNUM> d1 = HPKI_TRY(parse_secret(d1_bytes, "d1"));
  Ptr<BIGNUM> r_bn = HPKI_TRY(parse_scalar(r, "r", Secrecy::kPublic));
  Ptr<BIGNUM> s1_bn = HPKI_TRY(parse_scalar(s1, "s1", Secrecy::kPublic));
  const auto p = HPKI_TRY(key_table(p_bytes, bn_ctx.get()));
  if (e.size() != kDigestLen) {
    return fail(ErrorCode::kInvalidArgument,
                named("e", std::to_string(e.size()) + " bytes, expected 32"));
  }
  // S3: s = d1·(s1 + w1) − r mod n.
  Ptr<BIGNUM> s = HPKI_TRY(new_bn(true));
  HPKI_TRY(add_mod_n(s.get(), s1_bn.get(), w1.get()));
  HPKI_TRY(mul_mod_n(s.get(), d1.get(), s.get(), bn_ctx.get()));
  HPKI_TRY(sub_mod_n(s.get(), s.get(), r_bn.get()));
  Bytes out = HPKI_TRY(scalar_bytes(s.get()));
  // mobile.md §1.7(5): the phone releases s only if (r, s) verifies under P for its own e.
  if (auto ok = verify_table(*p, e, r, out, bn_ctx.get()); !ok) {
    if (ok.error().code() != ErrorCode::kBadSignature) return fail(ok.error());
    return fail(ErrorCode::kBadSignature,
                "the joint signature does not verify under P (" + ok.error().detail() + ")");
  }
  return out;
}

Result<ClientDecryptStart> decrypt_client_start(BytesView c1) {
  return decrypt_client_start_impl(c1, nullptr);
}

Result<SecretBytes> decrypt_client_finish(const SecretBytes& d1_bytes, SecretBytes w_bytes,
                                          BytesView t2_bytes, BytesView ciphertext) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> w = HPKI_TRY(parse_secret(w_bytes, "w"));
  w_bytes.clear();
  Ptr<BIGNUM> d1 = HPKI_TRY(parse_secret(d1_bytes, "d1"));
  if (ciphertext.size() < kPointLen + kC3Len + 1) {
    return fail(ErrorCode::kInvalidArgument,
                "ciphertext: " + std::to_string(ciphertext.size()) +
                    " bytes, shorter than C1 || C3 || C2 (65 + 32 + at least 1)");
  }
  const BytesView c1_bytes = ciphertext.first(kPointLen);
  const BytesView c3 = ciphertext.subspan(kPointLen, kC3Len);
  const BytesView c2 = ciphertext.subspan(kPointLen + kC3Len);
  if (c2.size() > kMaxPlaintextLen) {
    return fail(ErrorCode::kTooLarge, "ciphertext: C2 longer than 1 MiB");
  }
  Ptr<EC_POINT> c1 = HPKI_TRY(parse_point(c1_bytes, "C1", bn_ctx.get()));
  Ptr<EC_POINT> t2 = HPKI_TRY(parse_point(t2_bytes, "T2", bn_ctx.get()));
  // D3: (x2, y2) = (w·d1)^-1·T2 − C1 = d·C1 (GM/T 0003.4 7.1 B3).
  Ptr<BIGNUM> a = HPKI_TRY(new_bn(true));
  HPKI_TRY(mul_mod_n(a.get(), w.get(), d1.get(), bn_ctx.get()));
  Ptr<BIGNUM> a_inv = HPKI_TRY(inverse(a.get(), bn_ctx.get()));
  Ptr<EC_POINT> s = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(s.get(), t2.get(), a_inv.get(), bn_ctx.get()));
  if (EC_POINT_invert(group(), c1.get(), bn_ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EC_POINT_invert"));
  }
  HPKI_TRY(add_points(s.get(), s.get(), c1.get(), bn_ctx.get()));
  if (EC_POINT_is_at_infinity(group(), s.get()) == 1) {
    return fail(ErrorCode::kDecryptFailed, "SM2 decryption: (x2, y2) is the point at infinity");
  }
  const SecretBytes xy = HPKI_TRY(coordinates(s.get(), bn_ctx.get()));
  // GM/T 0003.4 7.1 B4: t = KDF(x2 || y2, klen), not all zero.
  SecretBytes m = HPKI_TRY(kdf(xy.view(), c2.size()));
  if (all_zero(m.view())) return fail(ErrorCode::kDecryptFailed, "SM2 decryption: t = 0");
  // B5: M' = C2 xor t.
  for (std::size_t i = 0; i < c2.size(); ++i) m.data()[i] ^= c2[i];
  // B6: u = SM3(x2 || M' || y2) == C3, compared in constant time.
  const Bytes u =
      HPKI_TRY(sm3({xy.view().first(kCoordLen), m.view(), xy.view().subspan(kCoordLen)}));
  if (!constant_time_equal(u, c3)) {
    return fail(ErrorCode::kDecryptFailed,
                "SM2 decryption: C3 does not match (wrong share, T2 not from d2, or the "
                "ciphertext was altered)");
  }
  return m;
}

Result<SecretBytes> refresh_client(const SecretBytes& d1, const SecretBytes& t) {
  return refresh(d1, "d1", t, false);
}

// --- Encodings ---

Result<Bytes> spki_from_point(BytesView p) {
  HPKI_TRY(validate_point(p, "P"));
  return spki_from_ec_point(EcCurve::kSm2, p);
}

Result<Bytes> signature_der(BytesView r, BytesView s) {
  HPKI_TRY(parse_scalar(r, "r", Secrecy::kPublic));
  HPKI_TRY(parse_scalar(s, "s", Secrecy::kPublic));
  Bytes raw(r.begin(), r.end());
  raw.insert(raw.end(), s.begin(), s.end());
  return ecdsa_sig_raw_to_der(raw);
}

// --- testing ---

namespace testing {

Result<Proof> prove(const SecretBytes& x, BytesView x_point, std::string_view ctx,
                    const SecretBytes& k) {
  return prove_impl(x, x_point, ctx, &k);
}

Result<ClientKey> keygen_client(const SecretBytes& d1, std::string_view ctx, const SecretBytes& k) {
  return keygen_client_impl(&d1, ctx, &k);
}

Result<ServerKey> keygen_server(BytesView p1, const Proof& p1_proof, std::string_view ctx,
                                const SecretBytes& d2, const SecretBytes& k) {
  return keygen_server_impl(p1, p1_proof, ctx, &d2, &k);
}

Result<ClientSignStart> sign_client_start(const SecretBytes& w1) {
  return sign_client_start_impl(&w1);
}

Result<ServerSignature> sign_server(const SecretBytes& d2, BytesView q1, BytesView e,
                                    const SecretBytes& w2) {
  return sign_server_impl(d2, nullptr, q1, e, &w2);
}

Result<ServerSignature> sign_server(const SecretBytes& d2, const SecretBytes& d2_inv, BytesView q1,
                                    BytesView e, const SecretBytes& w2) {
  return sign_server_impl(d2, &d2_inv, q1, e, &w2);
}

Result<ClientDecryptStart> decrypt_client_start(BytesView c1, const SecretBytes& w) {
  return decrypt_client_start_impl(c1, &w);
}

Result<Bytes> encrypt(BytesView p_bytes, BytesView plaintext, const SecretBytes& k_bytes) {
  if (plaintext.empty()) return fail(ErrorCode::kInvalidArgument, "empty plaintext");
  if (plaintext.size() > kMaxPlaintextLen) {
    return fail(ErrorCode::kTooLarge, "plaintext longer than 1 MiB");
  }
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<EC_POINT> p = HPKI_TRY(parse_point(p_bytes, "P", bn_ctx.get()));
  Ptr<BIGNUM> k = HPKI_TRY(parse_secret(k_bytes, "k"));
  // GM/T 0003.4 6.1 A2: C1 = k·G; A4: (x2, y2) = k·P (A3: h = 1 and P != O).
  Ptr<EC_POINT> c1 = HPKI_TRY(new_point());
  HPKI_TRY(mul_g(c1.get(), k.get(), bn_ctx.get()));
  Ptr<EC_POINT> kp = HPKI_TRY(new_point());
  HPKI_TRY(mul_point(kp.get(), p.get(), k.get(), bn_ctx.get()));
  const SecretBytes xy = HPKI_TRY(coordinates(kp.get(), bn_ctx.get()));
  // A5: t = KDF(x2 || y2, klen), not all zero; A6: C2 = M xor t; A7: C3 = SM3(x2 || M || y2).
  SecretBytes t = HPKI_TRY(kdf(xy.view(), plaintext.size()));
  if (all_zero(t.view())) return fail(ErrorCode::kInvalidArgument, "t = 0 for this k");
  Bytes out = HPKI_TRY(point_bytes(c1.get(), bn_ctx.get()));
  const Bytes c3 =
      HPKI_TRY(sm3({xy.view().first(kCoordLen), plaintext, xy.view().subspan(kCoordLen)}));
  out.insert(out.end(), c3.begin(), c3.end());
  for (std::size_t i = 0; i < plaintext.size(); ++i) {
    out.push_back(static_cast<std::uint8_t>(plaintext[i] ^ t.data()[i]));
  }
  return out;
}

Result<SecretBytes> joint_private_key(const SecretBytes& d1_bytes, const SecretBytes& d2_bytes) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d1 = HPKI_TRY(parse_secret(d1_bytes, "d1"));
  Ptr<BIGNUM> d2 = HPKI_TRY(parse_secret(d2_bytes, "d2"));
  // (1 + d)^-1 = d1·d2, so d = (d1·d2)^-1 − 1.
  Ptr<BIGNUM> d = HPKI_TRY(new_bn(true));
  HPKI_TRY(mul_mod_n(d.get(), d1.get(), d2.get(), bn_ctx.get()));
  d = HPKI_TRY(inverse(d.get(), bn_ctx.get()));
  HPKI_TRY(sub_mod_n(d.get(), d.get(), curve().one.get()));
  if (BN_is_zero(d.get())) return fail(ErrorCode::kInvalidArgument, "d1·d2 = 1: d would be 0");
  return secret_bytes(d.get());
}

Result<SecretBytes> split_private_key(const SecretBytes& d_bytes, const SecretBytes& d1_bytes) {
  Ptr<BN_CTX> bn_ctx = HPKI_TRY(new_ctx());
  Ptr<BIGNUM> d = HPKI_TRY(parse_secret(d_bytes, "d"));
  Ptr<BIGNUM> d1 = HPKI_TRY(parse_secret(d1_bytes, "d1"));
  // d1·d2 = (1 + d)^-1, so d2 = (d1·(1 + d))^-1.
  Ptr<BIGNUM> a = HPKI_TRY(new_bn(true));
  HPKI_TRY(add_mod_n(a.get(), d.get(), curve().one.get()));
  if (BN_is_zero(a.get())) return fail(ErrorCode::kInvalidArgument, "d = n - 1: 1 + d = 0");
  HPKI_TRY(mul_mod_n(a.get(), a.get(), d1.get(), bn_ctx.get()));
  Ptr<BIGNUM> d2 = HPKI_TRY(inverse(a.get(), bn_ctx.get()));
  return secret_bytes(d2.get());
}

void clear_key_cache() { key_cache().clear(); }

std::size_t key_cache_size() { return key_cache().size(); }

bool key_cached(BytesView p) { return key_cache().contains(p); }

}  // namespace testing

}  // namespace hpki::ossl::sm2_2p
