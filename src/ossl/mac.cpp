#include "ossl/mac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <string>

#include "ossl/error.h"
#include "ossl/fetch.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

struct HmacCtx::State {
  Ptr<EVP_MAC_CTX> ctx;
  std::size_t size = 0;
};

HmacCtx::HmacCtx(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
HmacCtx::HmacCtx(HmacCtx&&) noexcept = default;
HmacCtx& HmacCtx::operator=(HmacCtx&&) noexcept = default;
HmacCtx::~HmacCtx() = default;

Result<HmacCtx> HmacCtx::create(std::string_view md_name, BytesView key) {
  std::string digest(md_name);
  // Fail early and with the right code when the digest does not exist (EVP_MAC_init would
  // only say "invalid digest").
  auto md = HPKI_TRY(fetch_md(digest));
  auto mac = own(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return fail(take_error(ErrorCode::kUnsupportedAlgorithm, "EVP_MAC_fetch(HMAC)"));
  auto state = std::make_unique<State>();
  state->ctx = own(EVP_MAC_CTX_new(mac.get()));
  if (!state->ctx) return fail(take_error(ErrorCode::kCrypto, "EVP_MAC_CTX_new"));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end(),
  };
  // EVP_MAC_init treats a null key as "keep the previous key"; an empty key needs a
  // non-null pointer.
  static const unsigned char kEmpty = 0;
  const unsigned char* key_ptr = key.empty() ? &kEmpty : key.data();
  if (EVP_MAC_init(state->ctx.get(), key_ptr, key.size(), params) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_MAC_init(HMAC-" + digest + ")"));
  }
  state->size = EVP_MAC_CTX_get_mac_size(state->ctx.get());
  return HmacCtx(std::move(state));
}

Result<void> HmacCtx::update(BytesView data) {
  if (!state_) return fail(ErrorCode::kInternal, "HmacCtx used after move");
  if (EVP_MAC_update(state_->ctx.get(), data.data(), data.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_MAC_update"));
  }
  return {};
}

Result<Bytes> HmacCtx::finish() {
  if (!state_) return fail(ErrorCode::kInternal, "HmacCtx used after move");
  Bytes out(state_->size);
  std::size_t len = 0;
  if (EVP_MAC_final(state_->ctx.get(), out.data(), &len, out.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_MAC_final"));
  }
  out.resize(len);
  // A null key keeps the key set at create(): the context starts a new message.
  if (EVP_MAC_init(state_->ctx.get(), nullptr, 0, nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_MAC_init"));
  }
  return out;
}

std::size_t HmacCtx::size() const noexcept { return state_ ? state_->size : 0; }

Result<Bytes> hmac(std::string_view md_name, BytesView key, BytesView data) {
  auto ctx = HPKI_TRY(HmacCtx::create(md_name, key));
  HPKI_TRY(ctx.update(data));
  return ctx.finish();
}

}  // namespace hpki::ossl
