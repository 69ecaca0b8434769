#include "api/cosign_pdf.h"

#include <string>
#include <utility>

#include "pdf/document.h"
#include "pdf/sign.h"

namespace hpki::api {
namespace {

pdf::Prepared to_pdf(cosign::PreparedPdf p) {
  pdf::Prepared out;
  out.byte_range = p.byte_range;
  out.contents_offset = p.byte_range[1];
  // ByteRange {0, a, b, c}: /Contents is "<" 2 * capacity hex digits ">" in [a, b).
  out.contents_capacity =
      p.byte_range[2] > p.byte_range[1] + 2 ? (p.byte_range[2] - p.byte_range[1] - 2) / 2 : 0;
  out.pdf = std::move(p.pdf);
  return out;
}

}  // namespace

cosign::PdfSteps cosign_pdf_steps() {
  cosign::PdfSteps s;
  s.check = [](BytesView document, const cosign::PdfOptions& o) -> Result<void> {
    // pdf::Document::open refuses more than pdf::kMaxPdfSize before parsing.
    const auto doc = HPKI_TRY(pdf::Document::open(document));
    if (o.page > 0 && static_cast<std::size_t>(o.page) > doc.page_count()) {
      return fail(ErrorCode::kInvalidArgument, "pdf.page " + std::to_string(o.page) +
                                                   ": the document has " +
                                                   std::to_string(doc.page_count()) + " page(s)");
    }
    return {};
  };
  s.prepare = [](BytesView document, const cosign::PdfField& f) -> Result<cosign::PreparedPdf> {
    pdf::FieldSpec spec;
    spec.sub_filter = "ETSI.CAdES.detached";  // PAdES baseline (ETSI EN 319 142-1)
    spec.name = f.name;
    spec.reason = f.options.reason;
    spec.signing_time = f.signing_time;
    spec.appearance.page = f.options.page;
    if (f.options.rect) {
      spec.appearance.rect =
          pdf::Rect{f.options.rect->x, f.options.rect->y, f.options.rect->w, f.options.rect->h};
    }
    spec.appearance.anchor = f.options.anchor;
    if (f.options.rect || f.options.anchor) {
      spec.appearance.png = f.png;
      spec.appearance.text_lines = f.text_lines;
    }
    auto p = HPKI_TRY(pdf::prepare(document, spec));
    return cosign::PreparedPdf{.pdf = std::move(p.pdf), .byte_range = p.byte_range};
  };
  s.digest = [](const cosign::PreparedPdf& p, crypto::HashAlg hash) -> Result<Bytes> {
    // byte_range_digest checks the ByteRange against the bytes (consistent Prepared).
    return pdf::byte_range_digest(to_pdf(p), hash);
  };
  s.finish = [](cosign::PreparedPdf p, BytesView cms) -> Result<Bytes> {
    return pdf::finish(to_pdf(std::move(p)), cms);
  };
  return s;
}

}  // namespace hpki::api
