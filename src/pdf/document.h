// A PDF file opened for reading (issue 20): parsed with qpdf from memory, with limits, its
// incremental-update revisions and its page count. The other pdf/ parts (signatures.h,
// changes.h, verify.h) read the structure through it.
//
// open():
//   - refuses input over kMaxPdfSize before parsing (kTooLarge), input that does not start
//     with "%PDF-" within its first 1024 bytes (kMalformed, ISO 32000-1 7.5.2) and input that
//     qpdf cannot read (kMalformed, the detail names qpdf's message); encrypted files are
//     refused (kUnsupported): a signed PDF hpki verifies is not encrypted;
//   - catches every qpdf exception: nothing leaves as an exception;
//   - keeps qpdf's warnings off stderr and counts them (a repaired cross-reference table, a
//     bad stream length ...): warnings() > 0 means qpdf repaired the file to read it.
// Revisions (ISO 32000-1 7.5.6 incremental updates): every "%%EOF" marker that ends a file
// trailer ("startxref" <offset> "%%EOF") ends one revision; the bytes up to it (and the line
// end after it) are that revision as it was written. A "%%EOF" inside a stream that is not
// preceded by a startxref line does not count.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "pdf/limits.h"

namespace hpki::pdf {

struct Revision {
  std::size_t eof_end = 0;    // the offset just after "%%EOF"
  std::size_t end = 0;        // eof_end plus the end-of-line marker that follows, if any
  std::size_t startxref = 0;  // the cross-reference offset its trailer names
};

// The revisions of `pdf` in file order (the last one ends the file, or trailing bytes follow
// it). Never fails; a file without any trailer gives none.
[[nodiscard]] std::vector<Revision> find_revisions(BytesView pdf);

// The index of the revision that ends at `offset` (either just after "%%EOF" or after its line
// end), if any.
[[nodiscard]] std::optional<std::size_t> revision_ending_at(const std::vector<Revision>& revs,
                                                            std::size_t offset);

class Document {
 public:
  struct Impl;  // qpdf's objects (detail/document_impl.h)

  // Copies `pdf`. Errors: see the file comment.
  [[nodiscard]] static Result<Document> open(BytesView pdf);

  [[nodiscard]] BytesView bytes() const;
  [[nodiscard]] const std::vector<Revision>& revisions() const;
  [[nodiscard]] std::size_t page_count() const;
  [[nodiscard]] std::size_t warnings() const;  // qpdf warnings while opening

  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  explicit Document(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace hpki::pdf
