// Message digests (DESIGN.md "Key decisions": OpenSSL 3.0 does the work, src/ossl/ wraps it).
// SHA-256/384/512 (FIPS 180-4) and SM3 (GB/T 32905-2016, GM/T 0004-2012) for signatures,
// fingerprints and evidence; SHA-1 only where a standard fixes it (RFC 6960 4.1.1: OCSP
// CertID hashes from clients that still send SHA-1). Never sign with SHA-1.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "ossl/digest.h"

namespace hpki::crypto {

// The OpenSSL fetch name of a digest: "SHA1", "SHA256", "SHA384", "SHA512", "SM3".
[[nodiscard]] std::string_view openssl_digest_name(HashAlg alg) noexcept;

// One-shot digest. Fails only if OpenSSL fails (kCrypto) or lacks the algorithm
// (kUnsupportedAlgorithm); never on the content of `data`.
[[nodiscard]] Result<Bytes> digest(HashAlg alg, BytesView data);

// Incremental digest: create, update any number of times, finish. finish() returns the
// digest and resets the hasher to the empty message, so one Hasher can hash several
// messages in turn. Movable, not copyable (use clone() to fork the state).
class Hasher {
 public:
  [[nodiscard]] static Result<Hasher> create(HashAlg alg);

  [[nodiscard]] Result<void> update(BytesView data);
  [[nodiscard]] Result<Bytes> finish();
  [[nodiscard]] Result<Hasher> clone() const;

  [[nodiscard]] HashAlg alg() const noexcept { return alg_; }
  // Digest length in bytes (hash_size(alg())).
  [[nodiscard]] std::size_t size() const noexcept { return hash_size(alg_); }

 private:
  Hasher(HashAlg alg, ossl::DigestCtx ctx) noexcept : alg_(alg), ctx_(std::move(ctx)) {}
  HashAlg alg_;
  ossl::DigestCtx ctx_;
};

}  // namespace hpki::crypto
