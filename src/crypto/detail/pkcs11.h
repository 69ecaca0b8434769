// What the files of Pkcs11KeyStore share (crypto/pkcs11_keystore.h): pkcs11_module.cpp loads
// modules, logs in to tokens and lends sessions; pkcs11_keystore.cpp generates and finds keys;
// pkcs11_signer.cpp signs and decrypts with them. Private to the crypto module.
#pragma once

#include <p11-kit/pkcs11.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/keystore.h"
#include "crypto/pkcs11_keystore.h"
#include "crypto/signer.h"

namespace hpki::crypto {
namespace detail {

inline constexpr std::string_view kRefPrefix = "pkcs11:";
inline constexpr std::size_t kMaxAttribute = 64 * 1024;
inline constexpr std::size_t kMaxObjects = 100000;
inline constexpr std::size_t kMaxPooledSessions = 16;
inline constexpr std::size_t kMaxNewLabel = 64;
inline constexpr std::size_t kIdSize = 16;
// The header spells these with C casts, which our warning flags refuse.
inline constexpr CK_ULONG kUnavailable = ~CK_ULONG{0};   // CK_UNAVAILABLE_INFORMATION
inline constexpr CK_RV kVendorDefined = CK_RV{1} << 31;  // CKR_VENDOR_DEFINED
inline constexpr CK_SESSION_HANDLE kNoSession = 0;       // CK_INVALID_HANDLE

// CKA_EC_PARAMS values: DER namedCurve OIDs (RFC 5480 2.1.1.1; GM/T 0006 for SM2).
inline constexpr std::array<std::uint8_t, 10> kOidP256 = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                                          0xce, 0x3d, 0x03, 0x01, 0x07};
inline constexpr std::array<std::uint8_t, 7> kOidP384 = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
inline constexpr std::array<std::uint8_t, 10> kOidSm2 = {0x06, 0x08, 0x2a, 0x81, 0x1c,
                                                         0xcf, 0x55, 0x01, 0x82, 0x2d};

// --- CK_RV in errors (pkcs11_module.cpp)

std::string hex(unsigned long v);
// "CKR_PIN_INCORRECT (0xa0)".
std::string describe_rv(CK_RV rv);
// "<fn>: CKR_... (0x..)[ (<context>)]", with the ErrorCode of the CK_RV (see
// crypto/pkcs11_keystore.h).
Error rv_error(CK_RV rv, std::string_view fn, std::string_view context = {});

// ---------------------------------------------------------------------------------------------
// Module: one dlopen + C_Initialize per module file per process, reference counted.

class Module {
 public:
  ~Module();  // C_Finalize when this process initialised it; dlclose
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Loads the module file: dlopen + C_GetFunctionList + C_Initialize.
  static Result<std::unique_ptr<Module>> load(const std::string& canonical,
                                              const std::string& shown);

  [[nodiscard]] CK_FUNCTION_LIST_PTR f() const noexcept { return functions_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // Tokens of this module that are logged in, by slot (see Pkcs11KeyStore header comment).
  std::mutex tokens_mu;
  std::map<CK_SLOT_ID, std::weak_ptr<Pkcs11KeyStore::Token>> tokens;

 private:
  Module(std::string path, void* handle, CK_FUNCTION_LIST_PTR functions, bool owns_init)
      : path_(std::move(path)), handle_(handle), functions_(functions), owns_init_(owns_init) {}

  std::string path_;
  void* handle_;
  CK_FUNCTION_LIST_PTR functions_;
  bool owns_init_;
};

// The module of `path`, loaded and initialised once per process; released (C_Finalize,
// dlclose) when the last holder is gone.
Result<std::shared_ptr<Module>> acquire_module(const std::string& path);

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Token: a logged-in token with an anchor session (PKCS#11 2.40 5.6: closing the last session
// logs the application out) and a pool of R/W sessions, one per concurrent operation.

struct Pkcs11KeyStore::Token {
  std::shared_ptr<detail::Module> module;
  CK_SLOT_ID slot = 0;
  std::string label;
  std::string description;
  SecretBytes pin;
  CK_SESSION_HANDLE anchor = detail::kNoSession;
  std::mutex pool_mu;
  std::vector<CK_SESSION_HANDLE> pool;
  std::mutex generate_mu;  // duplicate-label check + generation, within this process

  Token() = default;
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;
  ~Token() {
    for (CK_SESSION_HANDLE s : pool) f()->C_CloseSession(s);
    if (anchor != detail::kNoSession) f()->C_CloseSession(anchor);
  }

  [[nodiscard]] CK_FUNCTION_LIST_PTR f() const noexcept { return module->f(); }
};

namespace detail {

using Token = Pkcs11KeyStore::Token;

// Finds the token by label and logs in, or joins this process's existing login to it.
Result<std::shared_ptr<Token>> open_token(const std::shared_ptr<Module>& module,
                                          const std::string& label, const SecretBytes& pin);

// A session borrowed from the token's pool for one operation. discard() closes it instead of
// returning it (after an error that may leave an operation active).
class Session {
 public:
  Session(std::shared_ptr<Token> token, CK_SESSION_HANDLE h) : token_(std::move(token)), h_(h) {}
  Session(Session&& o) noexcept
      : token_(std::move(o.token_)), h_(std::exchange(o.h_, kNoSession)), ok_(o.ok_) {}
  Session& operator=(Session&&) = delete;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    if (h_ == kNoSession) return;
    if (ok_) {
      std::lock_guard lock(token_->pool_mu);
      if (token_->pool.size() < kMaxPooledSessions) {
        token_->pool.push_back(h_);
        return;
      }
    }
    token_->f()->C_CloseSession(h_);
  }

  [[nodiscard]] CK_SESSION_HANDLE get() const noexcept { return h_; }
  [[nodiscard]] CK_FUNCTION_LIST_PTR f() const noexcept { return token_->f(); }
  void discard() noexcept { ok_ = false; }

 private:
  std::shared_ptr<Token> token_;
  CK_SESSION_HANDLE h_;
  bool ok_ = true;
};

// A session of the token's pool, or a new one (C_OpenSession).
Result<Session> borrow(const std::shared_ptr<Token>& token);

inline CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, void* value, std::size_t len) {
  return CK_ATTRIBUTE{type, value, static_cast<CK_ULONG>(len)};
}
template <typename T>
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, T& value) {
  return attr(type, &value, sizeof(T));
}

// kUnsupportedByToken's detail for SM2 (pkcs11_keystore.cpp).
std::string sm2_unsupported(const Token& t);

// A private key found by label, with what signing and decryption need.
struct KeyInfo {
  std::string label;
  CK_OBJECT_HANDLE priv = 0;
  KeySpec spec;
  Bytes spki;
  std::size_t modulus_len = 0;  // RSA: k, bytes
};

// The Signer and the Decrypter of a key found on the token (pkcs11_signer.cpp).
std::unique_ptr<Signer> new_signer(std::shared_ptr<Token> token, KeyInfo key, SignatureAlg alg);
std::unique_ptr<Decrypter> new_decrypter(std::shared_ptr<Token> token, KeyInfo key);

}  // namespace detail
}  // namespace hpki::crypto
