#include "crypto/digest.h"

namespace hpki::crypto {

std::string_view openssl_digest_name(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::kSha1:
      return "SHA1";
    case HashAlg::kSha256:
      return "SHA256";
    case HashAlg::kSha384:
      return "SHA384";
    case HashAlg::kSha512:
      return "SHA512";
    case HashAlg::kSm3:
      return "SM3";
  }
  return "unknown";
}

Result<Bytes> digest(HashAlg alg, BytesView data) {
  return ossl::digest(openssl_digest_name(alg), data);
}

Result<Hasher> Hasher::create(HashAlg alg) {
  auto ctx = HPKI_TRY(ossl::DigestCtx::create(openssl_digest_name(alg)));
  return Hasher(alg, std::move(ctx));
}

Result<void> Hasher::update(BytesView data) { return ctx_.update(data); }

Result<Bytes> Hasher::finish() { return ctx_.finish(); }

Result<Hasher> Hasher::clone() const {
  auto ctx = HPKI_TRY(ctx_.clone());
  return Hasher(alg_, std::move(ctx));
}

}  // namespace hpki::crypto
