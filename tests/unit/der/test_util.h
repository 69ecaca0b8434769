// Helpers shared by the der tests.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/encoding.h"

namespace hpki::der::test {

// Hex with optional spaces: "06 03 88 37 03".
inline Bytes hex(std::string_view text) {
  std::string compact;
  for (char c : text)
    if (c != ' ') compact.push_back(c);
  return hex_decode(compact).value();
}

}  // namespace hpki::der::test
