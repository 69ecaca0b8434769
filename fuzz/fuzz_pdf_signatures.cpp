// fuzz-links: pdf sign x509 der crypto ossl core
// PDF signature reading (pdf/document.h, pdf/signatures.h, pdf/changes.h, pdf/verify.h) on
// hostile files: qpdf parses, every exception is caught at the module boundary. Never a crash;
// open() fails only with the decoding codes; every signature that claims a valid ByteRange has
// one that lies inside the file and ends at a revision; verify() always answers.
#include <cstdlib>

#include "pdf/changes.h"
#include "pdf/document.h"
#include "pdf/signatures.h"
#include "pdf/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki;
  const BytesView in(data, size);
  auto doc = pdf::Document::open(in);
  if (!doc) {
    const auto c = doc.error().code();
    if (c != ErrorCode::kMalformed && c != ErrorCode::kTooLarge && c != ErrorCode::kUnsupported)
      std::abort();
    return 0;
  }
  if (doc->revisions().empty()) std::abort();
  if (auto sigs = pdf::extract_signatures(*doc)) {
    for (const auto& s : *sigs) {
      if (!s.byte_range) continue;
      const auto& r = *s.byte_range;
      if (r[0] != 0 || r[1] >= r[2] || r[2] + r[3] > size || !s.revision) std::abort();
      if (s.contents.size() > pdf::kMaxContentsSize) std::abort();
      if (pdf::signed_bytes(*doc, s).size() != r[1] + r[3]) std::abort();
      (void)pdf::analyze_changes(*doc, doc->revisions().at(*s.revision).end, 1);
    }
  }
  const auto report = pdf::verify(in, {});
  if (report.valid) std::abort();  // no trust anchors: nothing can be valid
  (void)pdf::verify_report_json(report);
  (void)pdf::verify_report_text(report);
  return 0;
}
