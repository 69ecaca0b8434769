// Thin typed wrappers over EVP_MAC "HMAC" (RFC 2104). The digest is named by its OpenSSL
// fetch name ("SHA256", "SM3", ...). The key is copied into OpenSSL's context, which wipes it
// when freed. No OpenSSL type appears in this header.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

// An incremental HMAC computation. Movable, not copyable.
class HmacCtx {
 public:
  // Any key length is accepted (RFC 2104 2: keys longer than the block size are hashed
  // first), including the empty key. Fails with kUnsupportedAlgorithm for an unknown digest.
  [[nodiscard]] static Result<HmacCtx> create(std::string_view md_name, BytesView key);

  HmacCtx(HmacCtx&&) noexcept;
  HmacCtx& operator=(HmacCtx&&) noexcept;
  ~HmacCtx();

  [[nodiscard]] Result<void> update(BytesView data);
  // Returns the MAC over everything passed to update() and re-initialises the context with
  // the same key, so the object can be reused for a new message.
  [[nodiscard]] Result<Bytes> finish();
  // MAC length in bytes (the digest length).
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  struct State;
  explicit HmacCtx(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

// One-shot HMAC.
[[nodiscard]] Result<Bytes> hmac(std::string_view md_name, BytesView key, BytesView data);

}  // namespace hpki::ossl
