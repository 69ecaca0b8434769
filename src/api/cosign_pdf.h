// The PDF steps of mobile signing requests with format "pdf" (issue 20 meets issue 19;
// docs/cosign.md §3 "Format pdf"): cosign (level 7) may not use pdf (level 8), so the front end
// hands cosign::Service these functions (cosign::Deps::pdf), built on the PDF module:
//   check    pdf::Document::open (size limit first, a real PDF, not encrypted) and the page
//            exists;
//   prepare  pdf::prepare once: a PAdES field (SubFilter ETSI.CAdES.detached, /Name, /M,
//            /Reason), visible with the doctor's handwriting image, name and time when a
//            position is given, invisible otherwise;
//   digest   pdf::byte_range_digest;
//   finish   pdf::finish.
#pragma once

#include "cosign/service.h"

namespace hpki::api {

[[nodiscard]] cosign::PdfSteps cosign_pdf_steps();

}  // namespace hpki::api
