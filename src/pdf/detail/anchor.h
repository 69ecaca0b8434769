// Finding a text anchor on a page with poppler-cpp (page::text_list()). Private to src/pdf/.
#pragma once

#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "pdf/sign.h"

namespace hpki::pdf::detail {

// The bounding box, in PDF user space (origin bottom-left of the page's MediaBox), of the first
// occurrence of `text` (UTF-8; white space ignored on both sides) on 1-based page `page`.
// kNotFound when it is not on the page, kMalformed when poppler cannot open the document,
// kInvalidArgument for an empty text or a page out of range.
[[nodiscard]] Result<Rect> find_text(BytesView pdf, int page, std::string_view text);

}  // namespace hpki::pdf::detail
