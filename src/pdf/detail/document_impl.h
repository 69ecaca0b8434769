// Private to pdf/: the qpdf objects behind a Document, and loading a PDF (a whole file or the
// prefix that is one revision) into qpdf with every exception caught.
#pragma once

#include "pdf/detail/qpdf.h"

#include <functional>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "pdf/document.h"

namespace hpki::pdf {

struct Document::Impl {
  std::shared_ptr<const Bytes> data;  // the file; qpdf reads it in place
  std::shared_ptr<QPDF> qpdf;
  std::vector<Revision> revisions;
  std::size_t pages = 0;
  std::size_t warnings = 0;
};

namespace detail {

// Parses `pdf` (which must outlive the returned QPDF) with warnings suppressed; kMalformed
// with qpdf's message on failure, kUnsupported when encrypted.
[[nodiscard]] Result<std::shared_ptr<QPDF>> load_qpdf(BytesView pdf, const std::string& name);

// Runs `f`, turning any exception (qpdf's QPDFExc, std::exception) into kMalformed with
// `what` and the exception's message.
[[nodiscard]] Result<void> guarded(const std::string& what, const std::function<void()>& f);

}  // namespace detail
}  // namespace hpki::pdf
