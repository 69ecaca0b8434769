// What incremental updates changed after a signed revision (issue 20): the revision a
// signature covers (the file's first `revision_end` bytes, loaded on its own with qpdf) is
// compared with the whole file, object by object (an object whose cross-reference entry still
// points at the same bytes is unchanged; any other is compared by value, streams by their raw
// data), and each change is reported as a Finding with a diag id (pdf/diag.h):
//   - pages added, removed or reordered; a page's content changed (its dictionary except
//     /Annots, inherited attributes, and every object reachable from them: content streams,
//     resources, fonts, images);
//   - annotations added, removed or changed per page; signature widgets are left to the form
//     field analysis (later signatures legitimately add them); a changed widget of a form field
//     whose value changed is form filling;
//   - form field values changed, fields removed, signature fields signed (a signature added),
//     signed signature fields removed or replaced, or their appearance changed (the widget of a
//     signed signature field or anything it reaches: /AP, the seal image; never allowed);
//   - catalog entries changed other than /AcroForm, /Pages (analysed above), /DSS (noted:
//     PAdES validation data) and /Perms, /Metadata, /Extensions (noted).
// Each finding is judged against the DocMDP permissions in force (ISO 32000-1 12.8.2.2.2 Table
// 254): P=1 no change at all; P=2 filling in forms and signing; P=3 also annotations. Without
// DocMDP (approval signatures) annotations, form filling and signing are allowed. Added or
// removed pages, changed page content and changed catalog entries invalidate whatever the
// DocMDP level (they change what was signed). PAdES validation data (/DSS) and document
// timestamps are allowed after any signature (ETSI EN 319 142-1 5.4, 5.5), P=1 included.
// Errors: kMalformed when the signed revision cannot be read on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "pdf/document.h"

namespace hpki::pdf {

struct Finding {
  std::string_view id;  // a pdf::diag id
  std::string detail;
  bool invalidating = false;  // the signature is not valid with this change
};

// `docmdp_p`: the P of the certification signature in force for this revision (none for an
// approval-only document).
[[nodiscard]] Result<std::vector<Finding>> analyze_changes(const Document& doc,
                                                           std::size_t revision_end,
                                                           std::optional<int> docmdp_p);

}  // namespace hpki::pdf
