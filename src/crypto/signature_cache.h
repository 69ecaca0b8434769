// Signature checks remembered across requests. A signature over given bytes under a given key
// verifies forever, so a verification service that sees the same certificates and CRLs again
// (every document of a doctor carries the same chain; the CRLs change once a day) checks each
// once, and decodes each public key once (5-100 µs per key in OpenSSL 3.0).
//
// Set VerifyPolicy::cache to use one: crypto::verify_signature, path validation (x509::PathOptions
// key_policy) and CMS verification (x509::cms::VerifyOptions key_policy) then go through it.
//
// What is remembered: successes only, keyed by SHA-256 over the key, the algorithm, the SM2 ID,
// the key policy, the message and the signature (different bytes never share an entry; decoded
// keys are keyed by their DER and the key policy); failures
// are verified again each time. Messages over `max_message` bytes (large CRLs, where hashing the
// message costs as much as verifying it) are verified every time. Bounded: two generations of
// at most `capacity` entries each (results and keys); when the newer one fills, the older one
// is dropped, and a hit in the older one moves the entry forward. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"

namespace hpki::crypto {

class SignatureCache {
 public:
  explicit SignatureCache(std::size_t capacity = 8192, std::size_t max_message = 256 * 1024);
  SignatureCache(const SignatureCache&) = delete;
  SignatureCache& operator=(const SignatureCache&) = delete;

  // As crypto::verify_signature under `policy` (its `cache` member is ignored here).
  [[nodiscard]] Result<void> verify(BytesView spki_der, SignatureAlg alg, BytesView message,
                                    BytesView signature, std::string_view sm2_id,
                                    const VerifyPolicy& policy) const;
  // As PublicKey::from_spki under `policy`, decoded once while it stays in the cache.
  [[nodiscard]] Result<PublicKey> key(BytesView spki_der, const VerifyPolicy& policy) const;

  struct Stats {
    std::uint64_t hits = 0;    // verifications answered from the cache
    std::uint64_t misses = 0;  // verifications done (and remembered when they succeeded)
    std::uint64_t keys_decoded = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  template <typename Set>
  struct Generations {
    Set fresh;
    Set old;
  };

  std::size_t capacity_;
  std::size_t max_message_;
  mutable std::mutex mu_;
  mutable Generations<std::unordered_set<std::string>> results_;
  mutable Generations<std::unordered_map<std::string, PublicKey>> keys_;
  mutable std::atomic<std::uint64_t> hits_{0};
  mutable std::atomic<std::uint64_t> misses_{0};
  mutable std::atomic<std::uint64_t> keys_decoded_{0};
};

}  // namespace hpki::crypto
