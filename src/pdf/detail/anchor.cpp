#include "pdf/detail/anchor.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <fmt/format.h>
#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hpki::pdf::detail {
namespace {

std::string strip_ws(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') out += c;
  }
  return out;
}

void quiet(const std::string&, void*) {}

}  // namespace

Result<Rect> find_text(BytesView pdf, int page, std::string_view text) {
  std::string needle = strip_ws(text);
  if (needle.empty()) return fail(ErrorCode::kInvalidArgument, "anchor: empty text");
  if (pdf.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::kTooLarge, "anchor: document too large");
  }
  // poppler reports syntax problems on stderr by default; the caller gets an Error instead.
  // The hook is process-wide: set once.
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(quiet, nullptr); });
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(
      reinterpret_cast<const char*>(pdf.data()), static_cast<int>(pdf.size())));
  if (!doc || doc->is_locked()) {
    return fail(ErrorCode::kMalformed, "anchor: poppler cannot open the document");
  }
  if (page < 1 || page > doc->pages()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("anchor: page {} out of range (1..{})", page, doc->pages()));
  }
  std::unique_ptr<poppler::page> pg(doc->create_page(page - 1));
  if (!pg) return fail(ErrorCode::kMalformed, fmt::format("anchor: cannot read page {}", page));
  // text_list() boxes are words in reading order, in points, origin top-left of the page.
  std::vector<poppler::text_box> boxes = pg->text_list();
  std::string all;
  std::vector<std::size_t> owner;  // byte of `all` -> box index
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    poppler::byte_array u8 = boxes[i].text().to_utf8();
    std::string w = strip_ws(std::string_view(u8.data(), u8.size()));
    all += w;
    owner.insert(owner.end(), w.size(), i);
  }
  std::size_t at = all.find(needle);
  if (at == std::string::npos) {
    return fail(ErrorCode::kNotFound,
                fmt::format("anchor: text \"{}\" not found on page {}", text, page));
  }
  double x0 = std::numeric_limits<double>::max(), y0 = x0;
  double x1 = std::numeric_limits<double>::lowest(), y1 = x1;
  for (std::size_t b = owner[at]; b <= owner[at + needle.size() - 1]; ++b) {
    poppler::rectf r = boxes[b].bbox();
    x0 = std::min(x0, r.left());
    y0 = std::min(y0, r.top());
    x1 = std::max(x1, r.right());
    y1 = std::max(y1, r.bottom());
  }
  poppler::rectf media = pg->page_rect(poppler::media_box);
  double height = media.height();
  return Rect{.x = media.left() + x0, .y = media.top() + height - y1, .w = x1 - x0, .h = y1 - y0};
}

}  // namespace hpki::pdf::detail
