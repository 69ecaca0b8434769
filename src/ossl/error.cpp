#include "ossl/error.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

namespace hpki::ossl {

Error take_error(ErrorCode code, std::string_view what) {
  std::string detail(what);
  bool first = true;
  unsigned long e;
  const char* data = nullptr;
  int flags = 0;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    detail += first ? ": " : "; ";
    first = false;
    const char* reason = ERR_reason_error_string(e);
    const char* lib = ERR_lib_error_string(e);
    if (lib != nullptr) {
      detail += lib;
      detail += ' ';
    }
    detail += reason != nullptr ? reason : ("error " + std::to_string(ERR_GET_REASON(e)));
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      detail += " (";
      detail += data;
      detail += ')';
    }
  }
  return Error{code, std::move(detail)};
}

void clear_errors() noexcept { ERR_clear_error(); }

std::string_view library_version() noexcept { return OpenSSL_version(OPENSSL_VERSION); }

}  // namespace hpki::ossl
