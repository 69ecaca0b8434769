#include "core/key_id.h"

#include <utility>

namespace hpki {

namespace {

// The text as an error shows it: at most 80 bytes, control characters as '?' (the text may
// come from a file or a request and ends up in logs).
std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 80;
  std::string out(text.substr(0, kShown));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > kShown) out += "...";
  return out;
}

Result<void> check_name(std::string_view text, std::string_view name) {
  auto refuse = [&](const std::string& why) {
    return fail(ErrorCode::kInvalidArgument, "key id '" + shown(text) + "': " + why);
  };
  if (name.empty()) return refuse("the name after the scheme is empty");
  if (name.size() > KeyId::kMaxName) {
    return refuse("the name is longer than " + std::to_string(KeyId::kMaxName) + " bytes");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return refuse("the name contains a control character");
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(KeyId::Scheme s) noexcept {
  switch (s) {
    case KeyId::Scheme::kFile:
      return "file";
    case KeyId::Scheme::kPkcs11:
      return "pkcs11";
  }
  return "file";
}

Result<KeyId> KeyId::parse(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "key id '" + shown(text) + "' is not file:NAME or pkcs11:LABEL (no scheme)");
  }
  const std::string_view scheme = text.substr(0, colon);
  Scheme s = Scheme::kFile;
  if (scheme == "file") {
    s = Scheme::kFile;
  } else if (scheme == "pkcs11") {
    s = Scheme::kPkcs11;
  } else {
    return fail(ErrorCode::kInvalidArgument, "key id '" + shown(text) + "' has unknown scheme '" +
                                                 shown(scheme) + "' (file or pkcs11)");
  }
  HPKI_TRY(check_name(text, text.substr(colon + 1)));
  return KeyId(std::string(text), s, colon + 1);
}

Result<KeyId> KeyId::of(Scheme scheme, std::string_view name) {
  std::string text(to_string(scheme));
  text += ':';
  const std::size_t name_at = text.size();
  text += name;
  HPKI_TRY(check_name(text, name));
  return KeyId(std::move(text), scheme, name_at);
}

}  // namespace hpki
