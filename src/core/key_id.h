// Key ids: the name of a key in a key store as hpki stores and configures it, "file:NAME" (the
// home's file key store, crypto/file_keystore.h) or "pkcs11:LABEL" (the CKA_LABEL of a key on
// the configured PKCS#11 token, crypto/pkcs11_keystore.h). Never key material.
//
// A KeyId is parsed once where the text comes in (a CLI flag, a JSON file, a row the store
// reads) and carried as a KeyId after that: the CA records, the key references, the audit
// checkpoints, the registered signing keys and the choice of key store (ca::key_store_for) take
// one. crypto::to_key_ref / to_key_id (crypto/keystore.h) are the one conversion to and from a
// key store's crypto::KeyRef.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace hpki {

class KeyId {
 public:
  enum class Scheme { kFile, kPkcs11 };
  // The longest name, in bytes (a PKCS#11 label read from a token is at most this long too).
  static constexpr std::size_t kMaxName = 255;

  KeyId() = default;  // no key (empty())

  // "file:NAME" or "pkcs11:LABEL": the scheme exactly (lowercase), then a name of 1 to kMaxName
  // bytes without control characters (below 0x20, 0x7f); any other bytes (spaces, UTF-8) are
  // kept as they are. kInvalidArgument naming what is wrong (unknown scheme, empty name,
  // control character, too long) otherwise. What a name may be in a given key store (the file
  // key store's labels are stricter) is that store's business.
  [[nodiscard]] static Result<KeyId> parse(std::string_view text);
  // The same rules for a scheme and a name given apart.
  [[nodiscard]] static Result<KeyId> of(Scheme scheme, std::string_view name);

  [[nodiscard]] bool empty() const noexcept { return text_.empty(); }
  // Of a non-empty id (an empty one says kFile).
  [[nodiscard]] Scheme scheme() const noexcept { return scheme_; }
  // The name after "scheme:" ("" for an empty id).
  [[nodiscard]] std::string_view name() const noexcept {
    return std::string_view(text_).substr(name_at_);
  }
  // "scheme:name", what is stored and shown.
  [[nodiscard]] const std::string& str() const noexcept { return text_; }

  friend bool operator==(const KeyId& a, const KeyId& b) { return a.text_ == b.text_; }
  friend std::strong_ordering operator<=>(const KeyId& a, const KeyId& b) {
    return a.text_.compare(b.text_) <=> 0;
  }

 private:
  KeyId(std::string text, Scheme scheme, std::size_t name_at)
      : text_(std::move(text)), scheme_(scheme), name_at_(name_at) {}

  std::string text_;
  Scheme scheme_ = Scheme::kFile;
  std::size_t name_at_ = 0;
};

// "file" / "pkcs11".
[[nodiscard]] std::string_view to_string(KeyId::Scheme s) noexcept;

}  // namespace hpki

template <>
struct std::hash<hpki::KeyId> {
  std::size_t operator()(const hpki::KeyId& k) const noexcept {
    return std::hash<std::string>{}(k.str());
  }
};
