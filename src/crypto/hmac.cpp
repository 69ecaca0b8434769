#include "crypto/hmac.h"

#include "crypto/digest.h"

namespace hpki::crypto {

Result<Bytes> hmac(HashAlg alg, BytesView key, BytesView data) {
  return ossl::hmac(openssl_digest_name(alg), key, data);
}

Result<void> hmac_verify(HashAlg alg, BytesView key, BytesView data, BytesView expected_mac) {
  auto ctx = HPKI_TRY(Hmac::create(alg, key));
  HPKI_TRY(ctx.update(data));
  return ctx.finish_and_verify(expected_mac);
}

Result<Hmac> Hmac::create(HashAlg alg, BytesView key) {
  auto ctx = HPKI_TRY(ossl::HmacCtx::create(openssl_digest_name(alg), key));
  return Hmac(alg, std::move(ctx));
}

Result<void> Hmac::update(BytesView data) { return ctx_.update(data); }

Result<Bytes> Hmac::finish() { return ctx_.finish(); }

Result<void> Hmac::finish_and_verify(BytesView expected_mac) {
  Bytes mac = HPKI_TRY(ctx_.finish());
  if (!constant_time_equal(mac, expected_mac)) {
    return fail(ErrorCode::kBadSignature,
                "HMAC-" + std::string(openssl_digest_name(alg_)) + " does not match");
  }
  return {};
}

}  // namespace hpki::crypto
