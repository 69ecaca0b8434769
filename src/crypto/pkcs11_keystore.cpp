#include "crypto/pkcs11_keystore.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "ossl/pkcs11_support.h"
#include "ossl/random.h"

namespace hpki::crypto {

namespace {

constexpr std::string_view kRefPrefix = "pkcs11:";
constexpr std::size_t kMaxAttribute = 64 * 1024;
constexpr std::size_t kMaxObjects = 100000;
constexpr std::size_t kMaxPooledSessions = 16;
constexpr std::size_t kMaxLabel = 255;
constexpr std::size_t kMaxNewLabel = 64;
constexpr std::size_t kIdSize = 16;
// The header spells these with C casts, which our warning flags refuse.
constexpr CK_ULONG kUnavailable = ~CK_ULONG{0};   // CK_UNAVAILABLE_INFORMATION
constexpr CK_RV kVendorDefined = CK_RV{1} << 31;  // CKR_VENDOR_DEFINED
constexpr CK_SESSION_HANDLE kNoSession = 0;       // CK_INVALID_HANDLE

// CKA_EC_PARAMS values: DER namedCurve OIDs (RFC 5480 2.1.1.1; GM/T 0006 for SM2).
constexpr std::array<std::uint8_t, 10> kOidP256 = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                                   0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::array<std::uint8_t, 7> kOidP384 = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
constexpr std::array<std::uint8_t, 10> kOidSm2 = {0x06, 0x08, 0x2a, 0x81, 0x1c,
                                                  0xcf, 0x55, 0x01, 0x82, 0x2d};

std::string_view rv_name(CK_RV rv) noexcept {
  switch (rv) {
    case CKR_OK:
      return "CKR_OK";
    case CKR_CANCEL:
      return "CKR_CANCEL";
    case CKR_HOST_MEMORY:
      return "CKR_HOST_MEMORY";
    case CKR_SLOT_ID_INVALID:
      return "CKR_SLOT_ID_INVALID";
    case CKR_GENERAL_ERROR:
      return "CKR_GENERAL_ERROR";
    case CKR_FUNCTION_FAILED:
      return "CKR_FUNCTION_FAILED";
    case CKR_ARGUMENTS_BAD:
      return "CKR_ARGUMENTS_BAD";
    case CKR_NO_EVENT:
      return "CKR_NO_EVENT";
    case CKR_NEED_TO_CREATE_THREADS:
      return "CKR_NEED_TO_CREATE_THREADS";
    case CKR_CANT_LOCK:
      return "CKR_CANT_LOCK";
    case CKR_ATTRIBUTE_READ_ONLY:
      return "CKR_ATTRIBUTE_READ_ONLY";
    case CKR_ATTRIBUTE_SENSITIVE:
      return "CKR_ATTRIBUTE_SENSITIVE";
    case CKR_ATTRIBUTE_TYPE_INVALID:
      return "CKR_ATTRIBUTE_TYPE_INVALID";
    case CKR_ATTRIBUTE_VALUE_INVALID:
      return "CKR_ATTRIBUTE_VALUE_INVALID";
    case CKR_ACTION_PROHIBITED:
      return "CKR_ACTION_PROHIBITED";
    case CKR_DATA_INVALID:
      return "CKR_DATA_INVALID";
    case CKR_DATA_LEN_RANGE:
      return "CKR_DATA_LEN_RANGE";
    case CKR_DEVICE_ERROR:
      return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_MEMORY:
      return "CKR_DEVICE_MEMORY";
    case CKR_DEVICE_REMOVED:
      return "CKR_DEVICE_REMOVED";
    case CKR_ENCRYPTED_DATA_INVALID:
      return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
      return "CKR_ENCRYPTED_DATA_LEN_RANGE";
    case CKR_FUNCTION_CANCELED:
      return "CKR_FUNCTION_CANCELED";
    case CKR_FUNCTION_NOT_PARALLEL:
      return "CKR_FUNCTION_NOT_PARALLEL";
    case CKR_FUNCTION_NOT_SUPPORTED:
      return "CKR_FUNCTION_NOT_SUPPORTED";
    case CKR_KEY_HANDLE_INVALID:
      return "CKR_KEY_HANDLE_INVALID";
    case CKR_KEY_SIZE_RANGE:
      return "CKR_KEY_SIZE_RANGE";
    case CKR_KEY_TYPE_INCONSISTENT:
      return "CKR_KEY_TYPE_INCONSISTENT";
    case CKR_KEY_NOT_NEEDED:
      return "CKR_KEY_NOT_NEEDED";
    case CKR_KEY_CHANGED:
      return "CKR_KEY_CHANGED";
    case CKR_KEY_NEEDED:
      return "CKR_KEY_NEEDED";
    case CKR_KEY_INDIGESTIBLE:
      return "CKR_KEY_INDIGESTIBLE";
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_KEY_NOT_WRAPPABLE:
      return "CKR_KEY_NOT_WRAPPABLE";
    case CKR_KEY_UNEXTRACTABLE:
      return "CKR_KEY_UNEXTRACTABLE";
    case CKR_MECHANISM_INVALID:
      return "CKR_MECHANISM_INVALID";
    case CKR_MECHANISM_PARAM_INVALID:
      return "CKR_MECHANISM_PARAM_INVALID";
    case CKR_OBJECT_HANDLE_INVALID:
      return "CKR_OBJECT_HANDLE_INVALID";
    case CKR_OPERATION_ACTIVE:
      return "CKR_OPERATION_ACTIVE";
    case CKR_OPERATION_NOT_INITIALIZED:
      return "CKR_OPERATION_NOT_INITIALIZED";
    case CKR_PIN_INCORRECT:
      return "CKR_PIN_INCORRECT";
    case CKR_PIN_INVALID:
      return "CKR_PIN_INVALID";
    case CKR_PIN_LEN_RANGE:
      return "CKR_PIN_LEN_RANGE";
    case CKR_PIN_EXPIRED:
      return "CKR_PIN_EXPIRED";
    case CKR_PIN_LOCKED:
      return "CKR_PIN_LOCKED";
    case CKR_SESSION_CLOSED:
      return "CKR_SESSION_CLOSED";
    case CKR_SESSION_COUNT:
      return "CKR_SESSION_COUNT";
    case CKR_SESSION_HANDLE_INVALID:
      return "CKR_SESSION_HANDLE_INVALID";
    case CKR_SESSION_PARALLEL_NOT_SUPPORTED:
      return "CKR_SESSION_PARALLEL_NOT_SUPPORTED";
    case CKR_SESSION_READ_ONLY:
      return "CKR_SESSION_READ_ONLY";
    case CKR_SESSION_EXISTS:
      return "CKR_SESSION_EXISTS";
    case CKR_SESSION_READ_ONLY_EXISTS:
      return "CKR_SESSION_READ_ONLY_EXISTS";
    case CKR_SESSION_READ_WRITE_SO_EXISTS:
      return "CKR_SESSION_READ_WRITE_SO_EXISTS";
    case CKR_SIGNATURE_INVALID:
      return "CKR_SIGNATURE_INVALID";
    case CKR_SIGNATURE_LEN_RANGE:
      return "CKR_SIGNATURE_LEN_RANGE";
    case CKR_TEMPLATE_INCOMPLETE:
      return "CKR_TEMPLATE_INCOMPLETE";
    case CKR_TEMPLATE_INCONSISTENT:
      return "CKR_TEMPLATE_INCONSISTENT";
    case CKR_TOKEN_NOT_PRESENT:
      return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED:
      return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_TOKEN_WRITE_PROTECTED:
      return "CKR_TOKEN_WRITE_PROTECTED";
    case CKR_UNWRAPPING_KEY_SIZE_RANGE:
      return "CKR_UNWRAPPING_KEY_SIZE_RANGE";
    case CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT:
      return "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT";
    case CKR_USER_ALREADY_LOGGED_IN:
      return "CKR_USER_ALREADY_LOGGED_IN";
    case CKR_USER_NOT_LOGGED_IN:
      return "CKR_USER_NOT_LOGGED_IN";
    case CKR_USER_PIN_NOT_INITIALIZED:
      return "CKR_USER_PIN_NOT_INITIALIZED";
    case CKR_USER_TYPE_INVALID:
      return "CKR_USER_TYPE_INVALID";
    case CKR_USER_ANOTHER_ALREADY_LOGGED_IN:
      return "CKR_USER_ANOTHER_ALREADY_LOGGED_IN";
    case CKR_USER_TOO_MANY_TYPES:
      return "CKR_USER_TOO_MANY_TYPES";
    case CKR_WRAPPED_KEY_INVALID:
      return "CKR_WRAPPED_KEY_INVALID";
    case CKR_WRAPPED_KEY_LEN_RANGE:
      return "CKR_WRAPPED_KEY_LEN_RANGE";
    case CKR_WRAPPING_KEY_HANDLE_INVALID:
      return "CKR_WRAPPING_KEY_HANDLE_INVALID";
    case CKR_WRAPPING_KEY_SIZE_RANGE:
      return "CKR_WRAPPING_KEY_SIZE_RANGE";
    case CKR_WRAPPING_KEY_TYPE_INCONSISTENT:
      return "CKR_WRAPPING_KEY_TYPE_INCONSISTENT";
    case CKR_RANDOM_SEED_NOT_SUPPORTED:
      return "CKR_RANDOM_SEED_NOT_SUPPORTED";
    case CKR_RANDOM_NO_RNG:
      return "CKR_RANDOM_NO_RNG";
    case CKR_DOMAIN_PARAMS_INVALID:
      return "CKR_DOMAIN_PARAMS_INVALID";
    case CKR_CURVE_NOT_SUPPORTED:
      return "CKR_CURVE_NOT_SUPPORTED";
    case CKR_BUFFER_TOO_SMALL:
      return "CKR_BUFFER_TOO_SMALL";
    case CKR_SAVED_STATE_INVALID:
      return "CKR_SAVED_STATE_INVALID";
    case CKR_INFORMATION_SENSITIVE:
      return "CKR_INFORMATION_SENSITIVE";
    case CKR_STATE_UNSAVEABLE:
      return "CKR_STATE_UNSAVEABLE";
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case CKR_CRYPTOKI_ALREADY_INITIALIZED:
      return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
    case CKR_MUTEX_BAD:
      return "CKR_MUTEX_BAD";
    case CKR_MUTEX_NOT_LOCKED:
      return "CKR_MUTEX_NOT_LOCKED";
    case CKR_NEW_PIN_MODE:
      return "CKR_NEW_PIN_MODE";
    case CKR_NEXT_OTP:
      return "CKR_NEXT_OTP";
    case CKR_EXCEEDED_MAX_ITERATIONS:
      return "CKR_EXCEEDED_MAX_ITERATIONS";
    case CKR_FIPS_SELF_TEST_FAILED:
      return "CKR_FIPS_SELF_TEST_FAILED";
    case CKR_LIBRARY_LOAD_FAILED:
      return "CKR_LIBRARY_LOAD_FAILED";
    case CKR_PIN_TOO_WEAK:
      return "CKR_PIN_TOO_WEAK";
    case CKR_PUBLIC_KEY_INVALID:
      return "CKR_PUBLIC_KEY_INVALID";
    case CKR_FUNCTION_REJECTED:
      return "CKR_FUNCTION_REJECTED";
    default:
      return {};
  }
}

std::string hex(unsigned long v) {
  std::array<char, 24> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%lx", v);
  return buf.data();
}

// "CKR_PIN_INCORRECT (0xa0)".
std::string describe_rv(CK_RV rv) {
  std::string_view name = rv_name(rv);
  if (name.empty()) {
    return (rv >= kVendorDefined ? "vendor-defined CK_RV " : "unknown CK_RV ") + hex(rv);
  }
  return std::string(name) + " (" + hex(rv) + ")";
}

ErrorCode code_for(CK_RV rv) noexcept {
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
      return ErrorCode::kBadPassphrase;
    case CKR_PIN_LOCKED:
    case CKR_PIN_EXPIRED:
      return ErrorCode::kPermissionDenied;
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_KEY_SIZE_RANGE:
    case CKR_CURVE_NOT_SUPPORTED:
    case CKR_DOMAIN_PARAMS_INVALID:
      return ErrorCode::kUnsupportedByToken;
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return ErrorCode::kKeyNotFound;
    default:
      return ErrorCode::kTokenError;
  }
}

// "<fn>: CKR_... (0x..)[ (<context>)]".
Error rv_error(CK_RV rv, std::string_view fn, std::string_view context = {}) {
  std::string detail(fn);
  detail += ": ";
  detail += describe_rv(rv);
  if (!context.empty()) {
    detail += " (";
    detail += context;
    detail += ')';
  }
  return Error{code_for(rv), std::move(detail)};
}

// CK_TOKEN_INFO text fields are blank padded, not NUL terminated.
std::string padded_text(const unsigned char* p, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

bool label_char_ok(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Labels for new keys (KeyStore contract): letters, digits, '-', '_', '.'.
Result<void> check_new_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxNewLabel ||
      !std::all_of(label.begin(), label.end(), label_char_ok)) {
    return fail(ErrorCode::kInvalidArgument, "key label must be 1-" + std::to_string(kMaxNewLabel) +
                                                 " letters, digits, '-', '_' or '.', got '" +
                                                 std::string(label) + "'");
  }
  return {};
}

// Existing keys may carry any printable label another tool gave them.
Result<std::string> label_from_ref(const KeyRef& ref) {
  if (!ref.id.starts_with(kRefPrefix)) {
    return fail(ErrorCode::kInvalidArgument,
                "key reference '" + ref.id + "' is not a PKCS#11 reference (pkcs11:<label>)");
  }
  std::string label = ref.id.substr(kRefPrefix.size());
  if (label.empty() || label.size() > kMaxLabel ||
      std::any_of(label.begin(), label.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return fail(ErrorCode::kInvalidArgument, "bad PKCS#11 key label in '" + ref.id + "'");
  }
  return label;
}

// ---------------------------------------------------------------------------------------------
// Module: one dlopen + C_Initialize per module file per process, reference counted.

class Module {
 public:
  ~Module() {
    if (owns_init_) functions_->C_Finalize(nullptr);
    dlclose(handle_);
  }
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  static Result<std::unique_ptr<Module>> load(const std::string& canonical,
                                              const std::string& shown) {
    dlerror();
    void* handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      return fail(ErrorCode::kTokenError, "cannot load PKCS#11 module '" + shown +
                                              "': " + (why != nullptr ? why : "dlopen failed"));
    }
    void* sym = dlsym(handle, "C_GetFunctionList");
    if (sym == nullptr) {
      dlclose(handle);
      return fail(ErrorCode::kTokenError,
                  "'" + shown + "' is not a PKCS#11 module: it exports no C_GetFunctionList");
    }
    CK_C_GetFunctionList get_function_list = nullptr;
    static_assert(sizeof(get_function_list) == sizeof(sym));
    std::memcpy(&get_function_list, &sym, sizeof(sym));  // POSIX dlsym: object -> function
    CK_FUNCTION_LIST_PTR functions = nullptr;
    CK_RV rv = get_function_list(&functions);
    if (rv != CKR_OK || functions == nullptr) {
      dlclose(handle);
      return fail(rv_error(rv == CKR_OK ? CKR_GENERAL_ERROR : rv, "C_GetFunctionList", shown));
    }
    if (functions->version.major < 2) {
      dlclose(handle);
      return fail(ErrorCode::kTokenError, "PKCS#11 module '" + shown + "' implements Cryptoki " +
                                              std::to_string(functions->version.major) +
                                              ".x; 2.x or later is needed");
    }
    // PKCS#11 2.40 5.4: CKF_OS_LOCKING_OK lets several threads call the module.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    rv = functions->C_Initialize(&args);
    bool owns_init = true;
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      owns_init = false;  // someone else in this process did; they will finalize
    } else if (rv != CKR_OK) {
      dlclose(handle);
      return fail(rv_error(rv, "C_Initialize", shown));
    }
    return std::unique_ptr<Module>(new Module(shown, handle, functions, owns_init));
  }

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

struct ModuleRegistry {
  std::mutex mu;
  std::map<std::string, std::pair<Module*, std::size_t>> entries;  // owning, use count
};

// Never destroyed: stores held in static objects may outlive any registry destructor.
ModuleRegistry& registry() {
  static auto* r = new ModuleRegistry;
  return *r;
}

void release_module(const std::string& key, Module* m) {
  ModuleRegistry& reg = registry();
  std::lock_guard lock(reg.mu);
  auto it = reg.entries.find(key);
  HPKI_CHECK(it != reg.entries.end() && it->second.first == m);
  if (--it->second.second == 0) {
    reg.entries.erase(it);
    delete m;  // C_Finalize under the lock: a concurrent acquire waits for it
  }
}

Result<std::shared_ptr<Module>> acquire_module(const std::string& path) {
  if (path.empty()) return fail(ErrorCode::kInvalidArgument, "no PKCS#11 module path given");
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::canonical(path, ec);
  if (ec) {
    return fail(ErrorCode::kNotFound,
                "PKCS#11 module '" + path + "' does not exist (" + ec.message() + ")");
  }
  if (!std::filesystem::is_regular_file(canonical, ec)) {
    return fail(ErrorCode::kNotFound, "PKCS#11 module '" + path + "' is not a file");
  }
  const std::string key = canonical.string();
  ModuleRegistry& reg = registry();
  std::lock_guard lock(reg.mu);
  Module* m = nullptr;
  if (auto it = reg.entries.find(key); it != reg.entries.end()) {
    m = it->second.first;
    ++it->second.second;
  } else {
    m = HPKI_TRY(Module::load(key, path)).release();
    reg.entries.emplace(key, std::pair{m, std::size_t{1}});
  }
  return std::shared_ptr<Module>(m, [key](Module* p) { release_module(key, p); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Token: a logged-in token with an anchor session (PKCS#11 2.40 5.6: closing the last session
// logs the application out) and a pool of R/W sessions, one per concurrent operation.

struct Pkcs11KeyStore::Token {
  std::shared_ptr<Module> module;
  CK_SLOT_ID slot = 0;
  std::string label;
  std::string description;
  SecretBytes pin;
  CK_SESSION_HANDLE anchor = kNoSession;
  std::mutex pool_mu;
  std::vector<CK_SESSION_HANDLE> pool;
  std::mutex generate_mu;  // duplicate-label check + generation, within this process

  Token() = default;
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;
  ~Token() {
    for (CK_SESSION_HANDLE s : pool) f()->C_CloseSession(s);
    if (anchor != kNoSession) f()->C_CloseSession(anchor);
  }

  [[nodiscard]] CK_FUNCTION_LIST_PTR f() const noexcept { return module->f(); }
};

namespace {

using Token = Pkcs11KeyStore::Token;

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

Result<Session> borrow(const std::shared_ptr<Token>& token) {
  {
    std::lock_guard lock(token->pool_mu);
    if (!token->pool.empty()) {
      CK_SESSION_HANDLE h = token->pool.back();
      token->pool.pop_back();
      return Session(token, h);
    }
  }
  CK_SESSION_HANDLE h = kNoSession;
  CK_RV rv = token->f()->C_OpenSession(token->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                                       nullptr, &h);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_OpenSession", "token '" + token->label + "'"));
  return Session(token, h);
}

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, void* value, std::size_t len) {
  return CK_ATTRIBUTE{type, value, static_cast<CK_ULONG>(len)};
}
template <typename T>
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, T& value) {
  return attr(type, &value, sizeof(T));
}

Result<std::vector<CK_OBJECT_HANDLE>> find_objects(const Session& s,
                                                   std::vector<CK_ATTRIBUTE> tmpl) {
  CK_RV rv = s.f()->C_FindObjectsInit(s.get(), tmpl.data(), static_cast<CK_ULONG>(tmpl.size()));
  if (rv != CKR_OK) return fail(rv_error(rv, "C_FindObjectsInit"));
  std::vector<CK_OBJECT_HANDLE> found;
  std::array<CK_OBJECT_HANDLE, 32> batch{};
  while (true) {
    CK_ULONG n = 0;
    rv = s.f()->C_FindObjects(s.get(), batch.data(), batch.size(), &n);
    if (rv != CKR_OK || n == 0 || n > batch.size()) break;
    found.insert(found.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
    if (found.size() > kMaxObjects) {
      rv = CKR_GENERAL_ERROR;
      break;
    }
  }
  CK_RV final_rv = s.f()->C_FindObjectsFinal(s.get());
  if (rv != CKR_OK) return fail(rv_error(rv, "C_FindObjects"));
  if (final_rv != CKR_OK) return fail(rv_error(final_rv, "C_FindObjectsFinal"));
  return found;
}

// The attribute's value, or nullopt when the object has none / it is sensitive.
Result<std::optional<Bytes>> get_attribute(const Session& s, CK_OBJECT_HANDLE o,
                                           CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a = attr(type, nullptr, 0);
  CK_RV rv = s.f()->C_GetAttributeValue(s.get(), o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
      (rv == CKR_OK && a.ulValueLen == kUnavailable)) {
    return std::optional<Bytes>{};
  }
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetAttributeValue", "attribute " + hex(type)));
  if (a.ulValueLen > kMaxAttribute) {
    return fail(ErrorCode::kTokenError, "token attribute " + hex(type) + " is too large");
  }
  Bytes value(a.ulValueLen);
  a.pValue = value.data();
  rv = s.f()->C_GetAttributeValue(s.get(), o, &a, 1);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetAttributeValue", "attribute " + hex(type)));
  value.resize(std::min<std::size_t>(value.size(), a.ulValueLen));
  return std::optional<Bytes>(std::move(value));
}

Result<CK_ULONG> get_ulong(const Session& s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
  CK_ULONG v = 0;
  CK_ATTRIBUTE a = attr(type, v);
  CK_RV rv = s.f()->C_GetAttributeValue(s.get(), o, &a, 1);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetAttributeValue", "attribute " + hex(type)));
  if (a.ulValueLen != sizeof(v)) {
    return fail(ErrorCode::kTokenError, "token attribute " + hex(type) + " has a bad size");
  }
  return v;
}

Result<std::vector<CK_OBJECT_HANDLE>> find_keys(const Session& s, CK_OBJECT_CLASS cls,
                                                std::string& label) {
  return find_objects(s, {attr(CKA_CLASS, cls), attr(CKA_LABEL, label.data(), label.size())});
}

std::string sm2_unsupported(const Token& t) {
  return "SM2 keys are not supported by this PKCS#11 token (" + t.description +
         "): SoftHSM2 has no SM2 mechanisms and standard PKCS#11 defines none; use the file key "
         "store or an HSM with SM2 support";
}

// PKCS#11 2.40 2.3.3: CKA_EC_POINT is DER OCTET STRING(04||X||Y); some tokens return the bare
// point. The two cannot be confused: their lengths differ.
Result<Bytes> ec_point_from_attribute(BytesView a, std::size_t field) {
  const std::size_t raw = 1 + 2 * field;
  if (a.size() == raw && a[0] == 0x04) return Bytes(a.begin(), a.end());
  if (a.size() == raw + 2 && a[0] == 0x04 && a[1] == raw) {
    return Bytes(a.begin() + 2, a.end());
  }
  return fail(ErrorCode::kMalformed,
              "CKA_EC_POINT is neither an OCTET STRING with an uncompressed point nor the point");
}

std::size_t bit_length(BytesView be) {
  auto first = std::find_if(be.begin(), be.end(), [](std::uint8_t b) { return b != 0; });
  if (first == be.end()) return 0;
  return static_cast<std::size_t>(be.end() - first - 1) * 8 +
         static_cast<std::size_t>(std::bit_width(*first));
}

// A private key found by label, with what signing and decryption need.
struct KeyInfo {
  std::string label;
  CK_OBJECT_HANDLE priv = 0;
  KeySpec spec;
  Bytes spki;
  std::size_t modulus_len = 0;  // RSA: k, bytes
};

Result<KeyInfo> load_key(const Token& t, const Session& s, std::string label) {
  auto privs = HPKI_TRY(find_keys(s, CKO_PRIVATE_KEY, label));
  if (privs.empty()) {
    return fail(ErrorCode::kKeyNotFound,
                "no private key labelled '" + label + "' on token " + t.description);
  }
  if (privs.size() > 1) {
    return fail(ErrorCode::kConflict, std::to_string(privs.size()) +
                                          " private keys are labelled '" + label + "' on token " +
                                          t.description);
  }
  KeyInfo info;
  info.label = label;
  info.priv = privs.front();
  const CK_KEY_TYPE key_type = HPKI_TRY(get_ulong(s, info.priv, CKA_KEY_TYPE));

  // The public key object: same CKA_ID (the usual pairing), else same label.
  std::optional<CK_OBJECT_HANDLE> pub;
  auto id = HPKI_TRY(get_attribute(s, info.priv, CKA_ID));
  std::vector<CK_OBJECT_HANDLE> pubs;
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
  CK_KEY_TYPE kt = key_type;
  if (id && !id->empty()) {
    pubs = HPKI_TRY(find_objects(s, {attr(CKA_CLASS, pub_class), attr(CKA_KEY_TYPE, kt),
                                     attr(CKA_ID, id->data(), id->size())}));
  }
  if (pubs.empty()) pubs = HPKI_TRY(find_keys(s, CKO_PUBLIC_KEY, label));
  if (pubs.size() == 1) pub = pubs.front();

  if (key_type == CKK_RSA) {
    // RSA private key objects carry the modulus and exponent too (PKCS#11 2.40 2.1.3).
    const CK_OBJECT_HANDLE from = pub.value_or(info.priv);
    auto n = HPKI_TRY(get_attribute(s, from, CKA_MODULUS));
    auto e = HPKI_TRY(get_attribute(s, from, CKA_PUBLIC_EXPONENT));
    if (!n || !e) {
      return fail(ErrorCode::kKeyNotFound,
                  "RSA key '" + label + "' has no readable modulus / public exponent");
    }
    info.spki = HPKI_TRY(ossl::p11_spki_from_rsa(*n, *e));
    const std::size_t bits = bit_length(*n);
    info.modulus_len = (bits + 7) / 8;
    info.spec = KeySpec{.type = KeyType::kRsa, .rsa_bits = static_cast<int>(bits)};
    return info;
  }
  if (key_type == CKK_EC) {
    auto params = HPKI_TRY(get_attribute(s, pub.value_or(info.priv), CKA_EC_PARAMS));
    if (!params) {
      return fail(ErrorCode::kKeyNotFound, "EC key '" + label + "' has no CKA_EC_PARAMS");
    }
    ossl::P11Curve curve;
    if (std::ranges::equal(*params, kOidP256)) {
      curve = ossl::P11Curve::kP256;
      info.spec = KeySpec{.type = KeyType::kEcP256};
    } else if (std::ranges::equal(*params, kOidP384)) {
      curve = ossl::P11Curve::kP384;
      info.spec = KeySpec{.type = KeyType::kEcP384};
    } else if (std::ranges::equal(*params, kOidSm2)) {
      return fail(ErrorCode::kUnsupportedByToken,
                  "key '" + label + "' is an SM2 key made by another tool; " + sm2_unsupported(t));
    } else {
      return fail(ErrorCode::kUnsupportedAlgorithm,
                  "EC key '" + label + "' is on a curve hpki does not use (only P-256, P-384)");
    }
    if (!pub) {
      return fail(ErrorCode::kKeyNotFound,
                  "EC key '" + label + "' has no public key object on token " + t.description);
    }
    auto point = HPKI_TRY(get_attribute(s, *pub, CKA_EC_POINT));
    if (!point) {
      return fail(ErrorCode::kKeyNotFound, "EC key '" + label + "' has no CKA_EC_POINT");
    }
    Bytes raw = HPKI_TRY(ec_point_from_attribute(*point, ossl::p11_curve_field_size(curve)));
    info.spki = HPKI_TRY(ossl::p11_spki_from_ec_point(curve, raw));
    return info;
  }
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "key '" + label + "' has PKCS#11 key type " + hex(key_type) + " (not RSA or EC)");
}

// ---------------------------------------------------------------------------------------------

class Pkcs11Signer final : public Signer {
 public:
  Pkcs11Signer(std::shared_ptr<Token> token, KeyInfo key, SignatureAlg alg)
      : token_(std::move(token)), key_(std::move(key)), alg_(alg) {}

  [[nodiscard]] SignatureAlg algorithm() const override { return alg_; }
  [[nodiscard]] const Bytes& public_key_der() const override { return key_.spki; }

  [[nodiscard]] Result<Bytes> sign(BytesView message) const override {
    CK_MECHANISM mech{};
    CK_RSA_PKCS_PSS_PARAMS pss{};
    Bytes digest;
    BytesView input = message;
    std::size_t expected = key_.modulus_len;
    bool ecdsa = false;
    switch (alg_) {
      case SignatureAlg::kRsaPkcs1Sha256:
        mech.mechanism = CKM_SHA256_RSA_PKCS;
        break;
      case SignatureAlg::kRsaPkcs1Sha384:
        mech.mechanism = CKM_SHA384_RSA_PKCS;
        break;
      case SignatureAlg::kRsaPkcs1Sha512:
        mech.mechanism = CKM_SHA512_RSA_PKCS;
        break;
      case SignatureAlg::kRsaPssSha256:
        // RFC 8017 9.1 / RFC 4055: SHA-256, MGF1-SHA-256, 32-byte salt.
        pss.hashAlg = CKM_SHA256;
        pss.mgf = CKG_MGF1_SHA256;
        pss.sLen = 32;
        mech = CK_MECHANISM{CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss)};
        break;
      case SignatureAlg::kEcdsaSha256:
      case SignatureAlg::kEcdsaSha384: {
        // Tokens like SoftHSM2 2.6 have no CKM_ECDSA_SHA256: hash here, sign the hash on the
        // token with CKM_ECDSA.
        const bool sha256 = alg_ == SignatureAlg::kEcdsaSha256;
        digest = HPKI_TRY(ossl::p11_digest(sha256 ? "SHA256" : "SHA384", message));
        input = digest;
        mech.mechanism = CKM_ECDSA;
        expected = 2 * (key_.spec.type == KeyType::kEcP256 ? 32 : 48);
        ecdsa = true;
        break;
      }
      case SignatureAlg::kSm2Sm3:
        return fail(ErrorCode::kUnsupportedByToken, sm2_unsupported(*token_));
    }
    Session s = HPKI_TRY(borrow(token_));
    CK_RV rv = s.f()->C_SignInit(s.get(), &mech, key_.priv);
    if (rv != CKR_OK) {
      s.discard();
      return fail(rv_error(rv, "C_SignInit", "key '" + key_.label + "'"));
    }
    std::uint8_t none = 0;  // C_Sign wants a pointer even for an empty message
    CK_BYTE_PTR data = input.empty() ? &none : const_cast<CK_BYTE_PTR>(input.data());
    Bytes sig(expected);
    CK_ULONG len = sig.size();
    rv = s.f()->C_Sign(s.get(), data, input.size(), sig.data(), &len);
    if (rv == CKR_BUFFER_TOO_SMALL && len <= kMaxAttribute) {
      sig.resize(len);
      rv = s.f()->C_Sign(s.get(), data, input.size(), sig.data(), &len);
    }
    if (rv != CKR_OK) {
      s.discard();
      return fail(rv_error(rv, "C_Sign", "key '" + key_.label + "'"));
    }
    sig.resize(std::min<std::size_t>(sig.size(), len));
    if (ecdsa) {
      if (sig.size() != expected) {
        return fail(ErrorCode::kTokenError, "token returned a " + std::to_string(sig.size()) +
                                                "-byte ECDSA signature, expected " +
                                                std::to_string(expected));
      }
      return ossl::p11_ecdsa_raw_to_der(sig);
    }
    return sig;
  }

 private:
  std::shared_ptr<Token> token_;
  KeyInfo key_;
  SignatureAlg alg_;
};

class Pkcs11Decrypter final : public Decrypter {
 public:
  Pkcs11Decrypter(std::shared_ptr<Token> token, KeyInfo key)
      : token_(std::move(token)), key_(std::move(key)) {}

  [[nodiscard]] const Bytes& public_key_der() const override { return key_.spki; }

  [[nodiscard]] Result<SecretBytes> decrypt(BytesView ciphertext) const override {
    // RFC 8017 7.1.2 step 1: the ciphertext is exactly k bytes.
    const std::size_t k = key_.modulus_len;
    if (ciphertext.size() != k) {
      return fail(ErrorCode::kDecryptFailed, "RSA-OAEP ciphertext must be " + std::to_string(k) +
                                                 " bytes, got " +
                                                 std::to_string(ciphertext.size()));
    }
    if (mode_.load() != Mode::kRawOnHost) {
      Session s = HPKI_TRY(borrow(token_));
      CK_RSA_PKCS_OAEP_PARAMS oaep{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
      CK_MECHANISM mech{CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)};
      CK_RV rv = s.f()->C_DecryptInit(s.get(), &mech, key_.priv);
      if (rv == CKR_OK) {
        mode_.store(Mode::kOaepOnToken);
        return run_decrypt(std::move(s), ciphertext);
      }
      // SoftHSM2 2.6 accepts only SHA-1 in CK_RSA_PKCS_OAEP_PARAMS (CKR_ARGUMENTS_BAD).
      const bool no_sha256_oaep = rv == CKR_ARGUMENTS_BAD || rv == CKR_MECHANISM_PARAM_INVALID ||
                                  rv == CKR_MECHANISM_INVALID;
      if (!no_sha256_oaep || mode_.load() == Mode::kOaepOnToken) {
        return fail(rv_error(rv, "C_DecryptInit(CKM_RSA_PKCS_OAEP)", "key '" + key_.label + "'"));
      }
      mode_.store(Mode::kRawOnHost);
    }
    // Raw RSA (RSADP) on the token, EME-OAEP decoding here.
    Session s = HPKI_TRY(borrow(token_));
    CK_MECHANISM mech{CKM_RSA_X_509, nullptr, 0};
    CK_RV rv = s.f()->C_DecryptInit(s.get(), &mech, key_.priv);
    if (rv != CKR_OK) {
      return fail(rv_error(rv, "C_DecryptInit(CKM_RSA_X_509)", "key '" + key_.label + "'"));
    }
    SecretBytes em = HPKI_TRY(run_decrypt(std::move(s), ciphertext));
    if (em.size() > k) return fail(ErrorCode::kDecryptFailed, "OAEP decoding error");
    if (em.size() < k) {  // some tokens strip leading zero bytes of the RSADP output
      SecretBytes padded(k);
      std::copy(em.view().begin(), em.view().end(), padded.data() + (k - em.size()));
      em = std::move(padded);
    }
    return ossl::p11_oaep_sha256_decode(em.view());
  }

 private:
  enum class Mode { kUnknown, kOaepOnToken, kRawOnHost };

  Result<SecretBytes> run_decrypt(Session s, BytesView ciphertext) const {
    SecretBytes out(key_.modulus_len);
    CK_ULONG len = out.size();
    CK_RV rv = s.f()->C_Decrypt(s.get(), const_cast<CK_BYTE_PTR>(ciphertext.data()),
                                ciphertext.size(), out.data(), &len);
    if (rv != CKR_OK) {
      s.discard();
      if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
          rv == CKR_DATA_INVALID || rv == CKR_DATA_LEN_RANGE) {
        return fail(ErrorCode::kDecryptFailed, "C_Decrypt: " + describe_rv(rv));
      }
      return fail(rv_error(rv, "C_Decrypt", "key '" + key_.label + "'"));
    }
    out.truncate(std::min<std::size_t>(out.size(), len));
    return out;
  }

  std::shared_ptr<Token> token_;
  KeyInfo key_;
  mutable std::atomic<Mode> mode_{Mode::kUnknown};
};

// Finds the token by label and logs in, or joins this process's existing login to it.
Result<std::shared_ptr<Token>> open_token(const std::shared_ptr<Module>& module,
                                          const std::string& label, const SecretBytes& pin) {
  CK_FUNCTION_LIST_PTR f = module->f();
  std::lock_guard lock(module->tokens_mu);
  CK_ULONG count = 0;
  CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetSlotList", module->path()));
  std::vector<CK_SLOT_ID> slots(count);
  rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetSlotList", module->path()));
  slots.resize(std::min<std::size_t>(slots.size(), count));

  std::vector<std::pair<CK_SLOT_ID, CK_TOKEN_INFO>> matches;
  std::vector<std::string> seen;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
    std::string l = padded_text(info.label, sizeof(info.label));
    if (l == label) matches.emplace_back(slot, info);
    seen.push_back("'" + l + "'");
  }
  if (matches.empty()) {
    std::string list;
    for (const auto& s : seen) list += (list.empty() ? "" : ", ") + s;
    return fail(ErrorCode::kNotFound, "no token labelled '" + label + "' in PKCS#11 module '" +
                                          module->path() +
                                          "' (tokens: " + (list.empty() ? "none" : list) + ")");
  }
  if (matches.size() > 1) {
    return fail(ErrorCode::kConflict, std::to_string(matches.size()) + " tokens are labelled '" +
                                          label + "' in PKCS#11 module '" + module->path() + "'");
  }
  const auto& [slot, info] = matches.front();

  if (auto existing = module->tokens[slot].lock()) {
    if (!constant_time_equal(existing->pin.view(), pin.view())) {
      return fail(
          ErrorCode::kBadPassphrase,
          "PIN for token '" + label + "' differs from the PIN this process is logged in with");
    }
    return existing;
  }
  if ((info.flags & CKF_USER_PIN_INITIALIZED) == 0) {
    return fail(ErrorCode::kTokenError, "token '" + label + "' has no user PIN set (C_InitPIN)");
  }

  auto token = std::make_shared<Token>();
  token->module = module;
  token->slot = slot;
  token->label = label;
  token->description = "'" + label + "' (" +
                       padded_text(info.manufacturerID, sizeof(info.manufacturerID)) + " " +
                       padded_text(info.model, sizeof(info.model)) + ")";
  token->pin = pin.copy();
  rv =
      f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &token->anchor);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_OpenSession", "token '" + label + "'"));
  auto login = [&] {
    return f->C_Login(token->anchor, CKU_USER, token->pin.empty() ? nullptr : token->pin.data(),
                      token->pin.size());
  };
  rv = login();
  if (rv == CKR_USER_ALREADY_LOGGED_IN) {
    // Someone else in this process logged in (e.g. a store being destroyed right now): log out
    // and in again so that this PIN is really checked.
    f->C_Logout(token->anchor);
    rv = login();
  }
  if (rv != CKR_OK) return fail(rv_error(rv, "C_Login", "token '" + label + "'"));
  module->tokens[slot] = token;
  return token;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<SecretBytes> pkcs11_pin_from_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr || *v == '\0') {
    return fail(ErrorCode::kConfigMissing,
                "environment variable " + std::string(name) + " (PKCS#11 user PIN) is not set");
  }
  return SecretBytes(std::string_view(v));
}

Pkcs11KeyStore::Pkcs11KeyStore(std::shared_ptr<Token> token) : token_(std::move(token)) {}
Pkcs11KeyStore::~Pkcs11KeyStore() = default;

Result<std::unique_ptr<Pkcs11KeyStore>> Pkcs11KeyStore::open(const Pkcs11Options& options) {
  if (options.token_label.empty() || options.token_label.size() > 32) {
    return fail(ErrorCode::kInvalidArgument, "PKCS#11 token label must be 1-32 bytes");
  }
  auto module = HPKI_TRY(acquire_module(options.module_path));
  auto token = HPKI_TRY(open_token(module, options.token_label, options.pin));
  return std::unique_ptr<Pkcs11KeyStore>(new Pkcs11KeyStore(std::move(token)));
}

const std::string& Pkcs11KeyStore::token_description() const noexcept {
  return token_->description;
}

Result<KeyRef> Pkcs11KeyStore::generate(const KeySpec& spec, std::string_view label_in) {
  HPKI_TRY(check_new_label(label_in));
  std::string label(label_in);
  CK_MECHANISM mech{};
  CK_KEY_TYPE key_type = CKK_RSA;
  CK_ULONG modulus_bits = 0;
  Bytes ec_params;
  switch (spec.type) {
    case KeyType::kRsa:
      if (spec.rsa_bits != 2048 && spec.rsa_bits != 3072 && spec.rsa_bits != 4096) {
        return fail(ErrorCode::kInvalidArgument, "RSA key size must be 2048, 3072 or 4096, got " +
                                                     std::to_string(spec.rsa_bits));
      }
      mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
      modulus_bits = static_cast<CK_ULONG>(spec.rsa_bits);
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      mech.mechanism = CKM_EC_KEY_PAIR_GEN;
      key_type = CKK_EC;
      if (spec.type == KeyType::kEcP256) {
        ec_params.assign(kOidP256.begin(), kOidP256.end());
      } else {
        ec_params.assign(kOidP384.begin(), kOidP384.end());
      }
      break;
    case KeyType::kSm2:
      return fail(ErrorCode::kUnsupportedByToken, sm2_unsupported(*token_));
  }

  std::lock_guard lock(token_->generate_mu);
  Session s = HPKI_TRY(borrow(token_));
  // KeyStore contract: an existing label is kAlreadyExists, never an overwrite or a twin.
  auto same_priv = HPKI_TRY(find_keys(s, CKO_PRIVATE_KEY, label));
  auto same_pub = HPKI_TRY(find_keys(s, CKO_PUBLIC_KEY, label));
  if (!same_priv.empty() || !same_pub.empty()) {
    return fail(ErrorCode::kAlreadyExists,
                "a key labelled '" + label + "' already exists on token " + token_->description);
  }
  Bytes id(kIdSize);
  HPKI_TRY(ossl::random_bytes(id));

  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
  CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
  std::array<CK_BYTE, 3> exponent = {0x01, 0x00, 0x01};  // 65537
  std::vector<CK_ATTRIBUTE> pub = {
      attr(CKA_CLASS, pub_class),
      attr(CKA_KEY_TYPE, key_type),
      attr(CKA_TOKEN, yes),
      attr(CKA_PRIVATE, no),
      attr(CKA_VERIFY, yes),
      attr(CKA_WRAP, no),
      attr(CKA_LABEL, label.data(), label.size()),
      attr(CKA_ID, id.data(), id.size()),
  };
  // Never extractable, never readable: the key does not leave the token.
  std::vector<CK_ATTRIBUTE> priv = {
      attr(CKA_CLASS, priv_class),
      attr(CKA_KEY_TYPE, key_type),
      attr(CKA_TOKEN, yes),
      attr(CKA_PRIVATE, yes),
      attr(CKA_SENSITIVE, yes),
      attr(CKA_EXTRACTABLE, no),
      attr(CKA_SIGN, yes),
      attr(CKA_UNWRAP, no),
      attr(CKA_LABEL, label.data(), label.size()),
      attr(CKA_ID, id.data(), id.size()),
  };
  if (key_type == CKK_RSA) {
    pub.push_back(attr(CKA_MODULUS_BITS, modulus_bits));
    pub.push_back(attr(CKA_PUBLIC_EXPONENT, exponent.data(), exponent.size()));
    pub.push_back(attr(CKA_ENCRYPT, yes));
    priv.push_back(attr(CKA_DECRYPT, yes));
  } else {
    pub.push_back(attr(CKA_EC_PARAMS, ec_params.data(), ec_params.size()));
    priv.push_back(attr(CKA_DECRYPT, no));
    priv.push_back(attr(CKA_DERIVE, no));
  }
  CK_OBJECT_HANDLE pub_handle = 0;
  CK_OBJECT_HANDLE priv_handle = 0;
  CK_RV rv = s.f()->C_GenerateKeyPair(s.get(), &mech, pub.data(), static_cast<CK_ULONG>(pub.size()),
                                      priv.data(), static_cast<CK_ULONG>(priv.size()), &pub_handle,
                                      &priv_handle);
  if (rv != CKR_OK) {
    return fail(
        rv_error(rv, "C_GenerateKeyPair",
                 key_spec_name(spec) + " key '" + label + "' on token " + token_->description));
  }
  return KeyRef{std::string(kRefPrefix) + label};
}

Result<std::unique_ptr<Signer>> Pkcs11KeyStore::signer(const KeyRef& ref,
                                                       std::optional<SignatureAlg> alg,
                                                       std::string_view /*sm2_id*/) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  KeyInfo key;
  {
    Session s = HPKI_TRY(borrow(token_));
    key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  }
  const SignatureAlg a = alg.value_or(default_signature_alg(key.spec.type));
  if (!signature_alg_fits(a, key.spec.type)) {
    return fail(ErrorCode::kKeyMismatch, "signature algorithm " +
                                             std::string(signature_alg_name(a)) + " does not fit " +
                                             key_spec_name(key.spec) + " key '" + key.label + "'");
  }
  return std::unique_ptr<Signer>(new Pkcs11Signer(token_, std::move(key), a));
}

Result<std::unique_ptr<Decrypter>> Pkcs11KeyStore::decrypter(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  KeyInfo key;
  {
    Session s = HPKI_TRY(borrow(token_));
    key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  }
  if (key.spec.type != KeyType::kRsa) {
    return fail(ErrorCode::kUnsupportedByToken,
                key_spec_name(key.spec) + " key '" + key.label +
                    "' cannot decrypt: PKCS#11 tokens decrypt with RSA keys only (no ECIES, no "
                    "SM2 encryption)");
  }
  return std::unique_ptr<Decrypter>(new Pkcs11Decrypter(token_, std::move(key)));
}

Result<Bytes> Pkcs11KeyStore::public_key(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  Session s = HPKI_TRY(borrow(token_));
  KeyInfo key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  return std::move(key.spki);
}

Result<KeySpec> Pkcs11KeyStore::key_spec(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  Session s = HPKI_TRY(borrow(token_));
  KeyInfo key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  return key.spec;
}

Result<std::vector<KeyRef>> Pkcs11KeyStore::list() {
  Session s = HPKI_TRY(borrow(token_));
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  auto handles = HPKI_TRY(find_objects(s, {attr(CKA_CLASS, cls)}));
  std::vector<KeyRef> refs;
  for (CK_OBJECT_HANDLE h : handles) {
    auto label = HPKI_TRY(get_attribute(s, h, CKA_LABEL));
    if (!label || label->empty()) continue;
    refs.push_back(KeyRef{std::string(kRefPrefix) + std::string(as_string(*label))});
  }
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  return refs;
}

}  // namespace hpki::crypto
