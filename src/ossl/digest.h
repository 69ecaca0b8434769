// Thin typed wrappers over EVP_MD (message digests). Algorithms are named by their OpenSSL
// fetch names ("SHA1", "SHA256", "SHA384", "SHA512", "SM3"); the typed choice of algorithm
// lives in crypto/digest.h. No OpenSSL type appears in this header.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl {

// An incremental digest computation. Movable, not copyable; copy the state with clone().
class DigestCtx {
 public:
  // Fetches the digest `md_name` from the default provider and initialises a context.
  // Fails with kUnsupportedAlgorithm when the provider does not have it.
  [[nodiscard]] static Result<DigestCtx> create(std::string_view md_name);

  DigestCtx(DigestCtx&&) noexcept;
  DigestCtx& operator=(DigestCtx&&) noexcept;
  ~DigestCtx();

  [[nodiscard]] Result<void> update(BytesView data);
  // Returns the digest of everything passed to update() and re-initialises the context, so
  // the object can be reused for a new message.
  [[nodiscard]] Result<Bytes> finish();
  // An independent copy of the current state (e.g. to hash a common prefix once).
  [[nodiscard]] Result<DigestCtx> clone() const;
  // Output length in bytes.
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  struct State;
  explicit DigestCtx(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

// One-shot digest of `data` with `md_name`.
[[nodiscard]] Result<Bytes> digest(std::string_view md_name, BytesView data);

}  // namespace hpki::ossl
