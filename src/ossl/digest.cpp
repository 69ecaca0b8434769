#include "ossl/digest.h"

#include <openssl/evp.h>

#include <string>

#include "ossl/error.h"
#include "ossl/fetch.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

struct DigestCtx::State {
  Ptr<EVP_MD> md;
  Ptr<EVP_MD_CTX> ctx;
};

DigestCtx::DigestCtx(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
DigestCtx::DigestCtx(DigestCtx&&) noexcept = default;
DigestCtx& DigestCtx::operator=(DigestCtx&&) noexcept = default;
DigestCtx::~DigestCtx() = default;

Result<DigestCtx> DigestCtx::create(std::string_view md_name) {
  auto state = std::make_unique<State>();
  state->md = HPKI_TRY(fetch_md(md_name));
  state->ctx = own(EVP_MD_CTX_new());
  if (!state->ctx) return fail(take_error(ErrorCode::kCrypto, "EVP_MD_CTX_new"));
  if (EVP_DigestInit_ex2(state->ctx.get(), state->md.get(), nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestInit_ex2"));
  }
  return DigestCtx(std::move(state));
}

Result<void> DigestCtx::update(BytesView data) {
  if (!state_) return fail(ErrorCode::kInternal, "DigestCtx used after move");
  if (EVP_DigestUpdate(state_->ctx.get(), data.data(), data.size()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestUpdate"));
  }
  return {};
}

Result<Bytes> DigestCtx::finish() {
  if (!state_) return fail(ErrorCode::kInternal, "DigestCtx used after move");
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(state_->md.get())));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx.get(), out.data(), &len) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestFinal_ex"));
  }
  out.resize(len);
  if (EVP_DigestInit_ex2(state_->ctx.get(), state_->md.get(), nullptr) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_DigestInit_ex2"));
  }
  return out;
}

Result<DigestCtx> DigestCtx::clone() const {
  if (!state_) return fail(ErrorCode::kInternal, "DigestCtx used after move");
  auto state = std::make_unique<State>();
  if (EVP_MD_up_ref(state_->md.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_MD_up_ref"));
  }
  state->md = own(state_->md.get());
  state->ctx = own(EVP_MD_CTX_new());
  if (!state->ctx) return fail(take_error(ErrorCode::kCrypto, "EVP_MD_CTX_new"));
  if (EVP_MD_CTX_copy_ex(state->ctx.get(), state_->ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "EVP_MD_CTX_copy_ex"));
  }
  return DigestCtx(std::move(state));
}

std::size_t DigestCtx::size() const noexcept {
  return state_ ? static_cast<std::size_t>(EVP_MD_get_size(state_->md.get())) : 0;
}

Result<Bytes> digest(std::string_view md_name, BytesView data) {
  auto ctx = HPKI_TRY(DigestCtx::create(md_name));
  HPKI_TRY(ctx.update(data));
  return ctx.finish();
}

}  // namespace hpki::ossl
