#include "crypto/signature_cache.h"

#include <initializer_list>
#include <utility>

#include "crypto/digest.h"
#include "crypto/signer.h"

namespace hpki::crypto {
namespace {

// SHA-256 over length-prefixed parts: no two different inputs give the same byte stream.
Result<std::string> fingerprint(std::initializer_list<BytesView> parts) {
  auto h = HPKI_TRY(Hasher::create(HashAlg::kSha256));
  for (BytesView p : parts) {
    std::uint8_t len[8];
    std::uint64_t n = p.size();
    for (int i = 7; i >= 0; --i, n >>= 8) len[i] = static_cast<std::uint8_t>(n & 0xff);
    HPKI_TRY(h.update(BytesView(len, sizeof len)));
    HPKI_TRY(h.update(p));
  }
  const Bytes d = HPKI_TRY(h.finish());
  return std::string(d.begin(), d.end());
}

BytesView view(std::string_view s) {
  return BytesView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// The entry for `k` in either generation (one found in the older moves to the newer), or null.
template <typename G>
auto* lookup(G& g, const std::string& k) {
  if (auto it = g.fresh.find(k); it != g.fresh.end()) return &*it;
  auto node = g.old.extract(k);
  return node.empty() ? nullptr : &*g.fresh.insert(std::move(node)).position;
}

// Adds `v` to the newer generation; a full newer generation first replaces the older one.
template <typename G, typename V>
void remember(G& g, std::size_t capacity, V&& v) {
  if (g.fresh.size() >= capacity) {
    g.old = std::move(g.fresh);
    g.fresh.clear();
  }
  g.fresh.insert(std::forward<V>(v));
}

}  // namespace

SignatureCache::SignatureCache(std::size_t capacity, std::size_t max_message)
    : capacity_(capacity == 0 ? 1 : capacity), max_message_(max_message) {}

Result<PublicKey> SignatureCache::key(BytesView spki_der, const VerifyPolicy& policy) const {
  // Keyed by the SPKI bytes themselves (a few hundred bytes): no hashing on the lookup path.
  std::string id(1, policy.allow_legacy_rsa_insecure ? '\1' : '\0');
  id.append(reinterpret_cast<const char*>(spki_der.data()), spki_der.size());
  {
    std::lock_guard lock(mu_);
    if (const auto* e = lookup(keys_, id)) return e->second;
  }
  // Decoded outside the lock; a concurrent decode of the same key is harmless.
  VerifyPolicy plain = policy;
  plain.cache = nullptr;
  PublicKey k = HPKI_TRY(PublicKey::from_spki(spki_der, plain));
  ++keys_decoded_;
  std::lock_guard lock(mu_);
  remember(keys_, capacity_, std::make_pair(id, k));
  return k;
}

Result<void> SignatureCache::verify(BytesView spki_der, SignatureAlg alg, BytesView message,
                                    BytesView signature, std::string_view sm2_id,
                                    const VerifyPolicy& policy) const {
  const PublicKey k = HPKI_TRY(key(spki_der, policy));
  if (message.size() > max_message_) {
    ++misses_;
    return k.verify(alg, message, signature, sm2_id);
  }
  const std::uint8_t head[2] = {static_cast<std::uint8_t>(alg),
                                static_cast<std::uint8_t>(policy.allow_legacy_rsa_insecure)};
  const auto id = HPKI_TRY(
      fingerprint({spki_der, BytesView(head, sizeof head), view(sm2_id), message, signature}));
  {
    std::lock_guard lock(mu_);
    if (lookup(results_, id) != nullptr) {
      ++hits_;
      return {};
    }
  }
  ++misses_;
  HPKI_TRY(k.verify(alg, message, signature, sm2_id));
  std::lock_guard lock(mu_);
  remember(results_, capacity_, id);
  return {};
}

SignatureCache::Stats SignatureCache::stats() const {
  return Stats{
      .hits = hits_.load(), .misses = misses_.load(), .keys_decoded = keys_decoded_.load()};
}

}  // namespace hpki::crypto
