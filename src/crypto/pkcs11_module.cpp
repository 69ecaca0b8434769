// Pkcs11KeyStore (crypto/pkcs11_keystore.h): loading modules, logging in to tokens, the
// session pool, CK_RV in errors.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <utility>

#include "crypto/detail/pkcs11.h"
#include "crypto/pkcs11_keystore.h"

namespace hpki::crypto {
namespace detail {
namespace {

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

// CK_TOKEN_INFO text fields are blank padded, not NUL terminated.
std::string padded_text(const unsigned char* p, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

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

Error rv_error(CK_RV rv, std::string_view fn, std::string_view context) {
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

// ---------------------------------------------------------------------------------------------
// Module

Module::~Module() {
  if (owns_init_) functions_->C_Finalize(nullptr);
  dlclose(handle_);
}

Result<std::unique_ptr<Module>> Module::load(const std::string& canonical,
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

namespace {

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

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// Tokens and sessions

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

}  // namespace detail

Result<SecretBytes> pkcs11_pin_from_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr || *v == '\0') {
    return fail(ErrorCode::kConfigMissing,
                "environment variable " + std::string(name) + " (PKCS#11 user PIN) is not set");
  }
  return SecretBytes(std::string_view(v));
}

}  // namespace hpki::crypto
