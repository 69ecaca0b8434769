// Strict text encodings of bytes. Decoders reject anything that is not exactly their
// format (bad characters, bad padding, odd length) with ErrorCode::kMalformed and a detail
// that names the offending position; they never crash, whatever the input. Input larger
// than kMaxEncodedInput is refused with kTooLarge.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki {

inline constexpr std::size_t kMaxEncodedInput = 64 * 1024 * 1024;

// Lowercase hex.
[[nodiscard]] std::string hex_encode(BytesView data);
// Accepts upper and lower case; no separators, no "0x"; even length.
[[nodiscard]] Result<Bytes> hex_decode(std::string_view text);

// RFC 4648 section 4 base64 with '=' padding.
[[nodiscard]] std::string base64_encode(BytesView data);
// Strict: canonical padding required, non-zero pad bits rejected, no whitespace.
[[nodiscard]] Result<Bytes> base64_decode(std::string_view text);

// RFC 4648 section 5 (URL-safe alphabet), without padding (RFC 7515 style).
[[nodiscard]] std::string base64url_encode(BytesView data);
[[nodiscard]] Result<Bytes> base64url_decode(std::string_view text);

}  // namespace hpki
