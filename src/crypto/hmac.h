// HMAC (RFC 2104) with any HashAlg: HMAC-SHA-256 for API tokens and audit chains,
// HMAC-SM3 (GM/T 0042-2015) where the national algorithms are required.
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "ossl/mac.h"

namespace hpki::crypto {

// One-shot HMAC of `data` under `key` (any length, including empty; RFC 2104 2: keys longer
// than the hash block are hashed first). The result has hash_size(alg) bytes.
[[nodiscard]] Result<Bytes> hmac(HashAlg alg, BytesView key, BytesView data);

// Recomputes the HMAC and compares it with `expected_mac` in constant time (the time does not
// depend on where the MACs differ). Fails with kBadSignature when they differ, including when
// `expected_mac` has another length (truncated MACs are not accepted).
[[nodiscard]] Result<void> hmac_verify(HashAlg alg, BytesView key, BytesView data,
                                       BytesView expected_mac);

// Incremental HMAC. finish() returns the MAC and restarts with the same key. Movable, not
// copyable; the key lives only inside OpenSSL's context, which wipes it when freed.
class Hmac {
 public:
  [[nodiscard]] static Result<Hmac> create(HashAlg alg, BytesView key);

  [[nodiscard]] Result<void> update(BytesView data);
  [[nodiscard]] Result<Bytes> finish();
  // finish() and a constant-time comparison with `expected_mac` (kBadSignature on mismatch).
  [[nodiscard]] Result<void> finish_and_verify(BytesView expected_mac);

  [[nodiscard]] HashAlg alg() const noexcept { return alg_; }
  [[nodiscard]] std::size_t size() const noexcept { return hash_size(alg_); }

 private:
  Hmac(HashAlg alg, ossl::HmacCtx ctx) noexcept : alg_(alg), ctx_(std::move(ctx)) {}
  HashAlg alg_;
  ossl::HmacCtx ctx_;
};

}  // namespace hpki::crypto
