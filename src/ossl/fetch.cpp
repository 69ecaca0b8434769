#include "ossl/fetch.h"

#include <map>
#include <mutex>
#include <string>

#include "ossl/error.h"

namespace hpki::ossl {

Result<Ptr<EVP_MD>> fetch_md(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, EVP_MD*, std::less<>> fetched;  // never freed: process lifetime
  {
    std::lock_guard lock(mu);
    if (auto it = fetched.find(name); it != fetched.end()) {
      if (EVP_MD_up_ref(it->second) != 1)
        return fail(take_error(ErrorCode::kCrypto, "EVP_MD_up_ref"));
      return own(it->second);
    }
  }
  const std::string n(name);
  EVP_MD* md = EVP_MD_fetch(nullptr, n.c_str(), nullptr);
  if (md == nullptr)
    return fail(take_error(ErrorCode::kUnsupportedAlgorithm, "EVP_MD_fetch(" + n + ")"));
  std::lock_guard lock(mu);
  auto [it, added] = fetched.emplace(n, md);
  if (!added) {
    EVP_MD_free(md);  // another thread fetched it meanwhile
  }
  if (EVP_MD_up_ref(it->second) != 1) return fail(take_error(ErrorCode::kCrypto, "EVP_MD_up_ref"));
  return own(it->second);
}

}  // namespace hpki::ossl
