#include "ossl/fetch.h"

#include <openssl/crypto.h>

#include <map>
#include <mutex>
#include <string>

#include "ossl/error.h"

namespace hpki::ossl {
namespace {

// The fetched digests, released at exit before OpenSSL cleans up its provider store.
struct Fetched {
  std::mutex mu;
  std::map<std::string, EVP_MD*, std::less<>> mds;
  ~Fetched() {
    for (auto& [name, md] : mds) EVP_MD_free(md);
  }
};

Fetched& fetched() {
  // OpenSSL registers its exit-time cleanup when it initialises; initialising it first makes the
  // destructor of `f` (registered after) run before that cleanup.
  static const bool initialised = OPENSSL_init_crypto(0, nullptr) == 1;
  static Fetched f;
  (void)initialised;
  return f;
}

}  // namespace

Result<Ptr<EVP_MD>> fetch_md(std::string_view name) {
  Fetched& f = fetched();
  {
    std::lock_guard lock(f.mu);
    if (auto it = f.mds.find(name); it != f.mds.end()) {
      if (EVP_MD_up_ref(it->second) != 1)
        return fail(take_error(ErrorCode::kCrypto, "EVP_MD_up_ref"));
      return own(it->second);
    }
  }
  const std::string n(name);
  EVP_MD* md = EVP_MD_fetch(nullptr, n.c_str(), nullptr);
  if (md == nullptr)
    return fail(take_error(ErrorCode::kUnsupportedAlgorithm, "EVP_MD_fetch(" + n + ")"));
  std::lock_guard lock(f.mu);
  auto [it, added] = f.mds.emplace(n, md);
  if (!added) EVP_MD_free(md);  // another thread fetched it meanwhile
  if (EVP_MD_up_ref(it->second) != 1) return fail(take_error(ErrorCode::kCrypto, "EVP_MD_up_ref"));
  return own(it->second);
}

}  // namespace hpki::ossl
