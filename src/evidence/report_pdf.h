// The human-readable report of an evidence package (issue 21; docs/evidence.md "Report"): a PDF
// rendered from the validation report with cairo + pango (text laid out by pango with a CJK font
// found through fontconfig, fonts embedded and subset by cairo, so that every reader shows it
// and `pdftotext` extracts it).
#pragma once

#include "core/bytes.h"
#include "core/error.h"
#include "evidence/report.h"

namespace hpki::evidence {

enum class Language { kZhCn, kEn };

// kUnavailable when no font with Chinese glyphs is installed (zh-CN; the message names the
// Debian package fonts-wqy-zenhei), kInternal when cairo fails.
[[nodiscard]] Result<Bytes> render_report_pdf(const Report& report, Language language);

}  // namespace hpki::evidence
