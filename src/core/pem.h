// PEM (RFC 7468) encode and strict decode.
//
// Decoding accepts explanatory text outside blocks (as RFC 7468 section 2 allows, e.g. the
// output of `openssl x509 -text`), LF or CRLF line ends and trailing blanks. Inside a block it
// is strict: the END label must match the BEGIN label, the body is base64 in lines with no
// headers (legacy "Proc-Type:" encrypted PEM is refused), and the base64 must be canonical.
// Input over kMaxPemInput bytes or with more than kMaxPemBlocks blocks is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki {

inline constexpr std::size_t kMaxPemInput = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxPemBlocks = 100000;

struct PemBlock {
  std::string label;  // e.g. "CERTIFICATE"
  Bytes data;         // the decoded DER
};

// "-----BEGIN <label>-----\n" + base64 in 64-column lines + "-----END <label>-----\n".
[[nodiscard]] std::string pem_encode(std::string_view label, BytesView der);

// All blocks, in order. No block at all is an error (kMalformed, "no PEM block found").
[[nodiscard]] Result<std::vector<PemBlock>> pem_decode_all(std::string_view text);

// Exactly one block with `label`; other labels or several blocks are errors.
[[nodiscard]] Result<Bytes> pem_decode(std::string_view text, std::string_view label);

// True if the text looks like PEM (contains a BEGIN line), used to pick PEM vs DER input.
[[nodiscard]] bool looks_like_pem(BytesView data) noexcept;

}  // namespace hpki
