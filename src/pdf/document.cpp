#include "pdf/document.h"

#include "pdf/detail/qpdf.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

#include "pdf/detail/document_impl.h"

namespace hpki::pdf {
namespace {

bool is_space(std::uint8_t c) {
  return c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || c == 0;
}

// ISO 32000-1 7.5.5: the last lines of a file section are "startxref", the byte offset of the
// cross-reference section, and "%%EOF". Reads backwards from `eof` (the offset of "%%EOF").
std::optional<std::size_t> startxref_before(BytesView pdf, std::size_t eof) {
  std::size_t i = eof;
  while (i > 0 && is_space(pdf[i - 1])) --i;
  const std::size_t digits_end = i;
  while (i > 0 && pdf[i - 1] >= '0' && pdf[i - 1] <= '9') --i;
  if (i == digits_end || digits_end - i > 15) return std::nullopt;
  std::size_t value = 0;
  for (std::size_t k = i; k < digits_end; ++k) value = value * 10 + (pdf[k] - '0');
  while (i > 0 && is_space(pdf[i - 1])) --i;
  constexpr std::string_view kStartxref = "startxref";
  if (i < kStartxref.size()) return std::nullopt;
  if (std::memcmp(pdf.data() + i - kStartxref.size(), kStartxref.data(), kStartxref.size()) != 0)
    return std::nullopt;
  return value;
}

}  // namespace

std::vector<Revision> find_revisions(BytesView pdf) {
  std::vector<Revision> out;
  constexpr std::string_view kEof = "%%EOF";
  const std::string_view text(reinterpret_cast<const char*>(pdf.data()), pdf.size());
  for (std::size_t pos = text.find(kEof); pos != std::string_view::npos;
       pos = text.find(kEof, pos + kEof.size())) {
    auto sx = startxref_before(pdf, pos);
    if (!sx) continue;
    Revision r;
    r.eof_end = pos + kEof.size();
    r.end = r.eof_end;
    if (r.end < pdf.size() && pdf[r.end] == '\r') ++r.end;
    if (r.end < pdf.size() && pdf[r.end] == '\n') ++r.end;
    r.startxref = *sx;
    out.push_back(r);
  }
  return out;
}

std::optional<std::size_t> revision_ending_at(const std::vector<Revision>& revs,
                                              std::size_t offset) {
  for (std::size_t i = 0; i < revs.size(); ++i) {
    if (offset >= revs[i].eof_end && offset <= revs[i].end) return i;
  }
  return std::nullopt;
}

namespace detail {

Result<void> guarded(const std::string& what, const std::function<void()>& f) {
  try {
    f();
    return {};
  } catch (const QPDFExc& e) {
    return fail(ErrorCode::kMalformed, what + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kTooLarge, what + ": out of memory");
  } catch (const std::exception& e) {
    return fail(ErrorCode::kMalformed, what + ": " + e.what());
  } catch (...) {
    return fail(ErrorCode::kMalformed, what + ": unknown error");
  }
}

Result<std::shared_ptr<QPDF>> load_qpdf(BytesView pdf, const std::string& name) {
  auto q = std::make_shared<QPDF>();
  bool encrypted = false;
  HPKI_TRY(guarded("not a readable PDF", [&] {
    q->setSuppressWarnings(true);
    q->processMemoryFile(name.c_str(), reinterpret_cast<const char*>(pdf.data()), pdf.size());
    encrypted = q->isEncrypted();
  }));
  if (encrypted) return fail(ErrorCode::kUnsupported, "encrypted PDF files are not supported");
  return q;
}

}  // namespace detail

Result<Document> Document::open(BytesView pdf) {
  if (pdf.size() > kMaxPdfSize)
    return fail(ErrorCode::kTooLarge, "PDF larger than " + std::to_string(kMaxPdfSize) + " bytes");
  // ISO 32000-1 7.5.2: the file starts with the header "%PDF-1.n"; readers accept it within
  // the first 1024 bytes.
  const std::string_view head(reinterpret_cast<const char*>(pdf.data()),
                              std::min<std::size_t>(pdf.size(), 1024));
  if (head.find("%PDF-") == std::string_view::npos)
    return fail(ErrorCode::kMalformed, "not a PDF file: no %PDF- header");
  auto impl = std::make_shared<Impl>();
  impl->data = std::make_shared<const Bytes>(pdf.begin(), pdf.end());
  impl->qpdf = HPKI_TRY(detail::load_qpdf(*impl->data, "input.pdf"));
  HPKI_TRY(detail::guarded("reading the page tree",
                           [&] { impl->pages = impl->qpdf->getAllPages().size(); }));
  impl->warnings = impl->qpdf->numWarnings();
  impl->revisions = find_revisions(*impl->data);
  if (impl->revisions.empty())
    return fail(ErrorCode::kMalformed, "no file trailer (startxref ... %%EOF)");
  return Document(std::move(impl));
}

BytesView Document::bytes() const { return *impl_->data; }
const std::vector<Revision>& Document::revisions() const { return impl_->revisions; }
std::size_t Document::page_count() const { return impl_->pages; }
std::size_t Document::warnings() const { return impl_->warnings; }

}  // namespace hpki::pdf
