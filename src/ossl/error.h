// The single conversion of the OpenSSL error queue into hpki::Error. Every ossl wrapper that
// sees a failure calls take_error(); nothing outside src/ossl/ ever reads the queue.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace hpki::ossl {

// Drains the whole thread-local OpenSSL error queue and returns an Error with `code` and a
// detail "<what>: <reason 1>; <reason 2>..." (the queue is empty afterwards).
[[nodiscard]] Error take_error(ErrorCode code, std::string_view what);

// Discards anything on the queue (after a failure that has been handled as a value).
void clear_errors() noexcept;

// "OpenSSL 3.0.19 27 Jan 2026" etc. (the library the process runs on, not the headers).
[[nodiscard]] std::string_view library_version() noexcept;

}  // namespace hpki::ossl
