#include "ossl/ecdsa_sig.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <algorithm>
#include <climits>

#include "ossl/error.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

namespace {
constexpr std::size_t kMaxFieldLen = 66;  // P-521
}  // namespace

Result<Bytes> ecdsa_sig_raw_to_der(BytesView raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * kMaxFieldLen) {
    return fail(ErrorCode::kMalformed, "raw ECDSA signature must be r||s of equal halves, got " +
                                           std::to_string(raw.size()) + " bytes");
  }
  const int half = static_cast<int>(raw.size() / 2);
  Ptr<BIGNUM> r = own(BN_bin2bn(raw.data(), half, nullptr));
  Ptr<BIGNUM> s = own(BN_bin2bn(raw.data() + half, half, nullptr));
  if (!r || !s) return fail(take_error(ErrorCode::kInternal, "BN_bin2bn"));
  if (BN_is_zero(r.get()) || BN_is_zero(s.get())) {
    return fail(ErrorCode::kMalformed, "raw ECDSA signature has r or s equal to zero");
  }
  Ptr<ECDSA_SIG> sig = own(ECDSA_SIG_new());
  if (!sig) return fail(take_error(ErrorCode::kInternal, "ECDSA_SIG_new"));
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return fail(take_error(ErrorCode::kInternal, "ECDSA_SIG_set0"));
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return fail(take_error(ErrorCode::kInternal, "i2d_ECDSA_SIG"));
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) {
    return fail(take_error(ErrorCode::kInternal, "i2d_ECDSA_SIG"));
  }
  return out;
}

Result<Bytes> ecdsa_sig_der_to_raw(BytesView der, std::size_t field_len) {
  if (field_len == 0 || field_len > kMaxFieldLen) {
    return fail(ErrorCode::kInvalidArgument, "bad field length for an ECDSA signature");
  }
  if (der.size() > 2 * kMaxFieldLen + 16) {
    return fail(ErrorCode::kMalformed, "DER ECDSA signature too long");
  }
  const unsigned char* p = der.data();
  Ptr<ECDSA_SIG> sig = own(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return fail(take_error(ErrorCode::kMalformed, "DER ECDSA signature"));
  if (p != der.data() + der.size()) {
    return fail(ErrorCode::kMalformed, "DER ECDSA signature has trailing bytes");
  }
  // The DER decoder is lenient about non-minimal encodings; a re-encode must match.
  unsigned char* re = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &re);
  const bool same = len >= 0 && static_cast<std::size_t>(len) == der.size() &&
                    std::equal(der.begin(), der.end(), re);
  OPENSSL_free(re);
  if (!same) return fail(ErrorCode::kMalformed, "DER ECDSA signature is not in canonical DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_is_negative(r) || BN_is_negative(s) || BN_is_zero(r) || BN_is_zero(s)) {
    return fail(ErrorCode::kMalformed, "DER ECDSA signature has r or s not positive");
  }
  Bytes out(2 * field_len);
  const int fl = static_cast<int>(field_len);
  if (BN_bn2binpad(r, out.data(), fl) != fl || BN_bn2binpad(s, out.data() + field_len, fl) != fl) {
    clear_errors();
    return fail(ErrorCode::kMalformed, "DER ECDSA signature: r or s longer than the field");
  }
  return out;
}

}  // namespace hpki::ossl
