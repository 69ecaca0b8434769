// PDF signing with an incremental update (ISO 32000-1 12.8, ETSI EN 319 142-1 PAdES), the
// structure side: the module never signs itself, so the CMS can come from any signer (an
// organization key through sign/, a doctor's co-signed key through cosign/, a TSA for a
// document timestamp).
//
//   auto p = HPKI_TRY(pdf::prepare(in, spec));             // field, widget, /V with a hole
//   auto d = HPKI_TRY(pdf::byte_range_digest(p, kSha256)); // what the CMS signs (detached)
//   Bytes cms = ...;                                       // any signer, over the ByteRange
//   Bytes out = HPKI_TRY(pdf::finish(std::move(p), cms));  // the CMS put into /Contents
//
// How (docs/architecture.md, module `pdf`): qpdf READS the document (object ids, page tree,
// AcroForm, Annots); hpki WRITES the incremental update itself after the original bytes, which
// stay untouched: new and changed objects, then a cross-reference section of the same kind as
// the file's last one (an `xref` table and `trailer`, or a cross-reference stream), each with
// /Prev, `startxref`, `%%EOF`. A later update never changes a byte of an earlier one, so the
// signatures already in the file stay valid.
//
// Input is hostile: size limits are checked before parsing, every qpdf / poppler exception is
// caught here and returned as an Error (kMalformed for a damaged or non-PDF input, kTooLarge,
// kUnsupported for encrypted PDFs, kInvalidArgument for a bad FieldSpec, kNotFound for an
// anchor that is not on the page, kAlreadyExists for a field name in use, kPolicyRefused for a
// certification on a signed document). On error nothing is returned.
//
// What this module does NOT do: build or check the CMS, validate certificates, verify existing
// signatures (src/pdf verification does), timestamps (the caller adds them to the CMS or makes
// a document timestamp with sub_filter "ETSI.RFC3161").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "pdf/limits.h"

namespace hpki::pdf {

// Limits, checked before any parsing.
inline constexpr std::size_t kMaxImageSize = 8 * 1024 * 1024;     // PNG file
inline constexpr std::uint32_t kMaxImageDimension = 4096;         // PNG width and height
inline constexpr std::size_t kMaxContentsCapacity = 1024 * 1024;  // FieldSpec::contents_capacity
inline constexpr std::size_t kMaxTextLines = 16;                  // Appearance::text_lines

// /SubFilter values hpki writes and reads. kSubFilterSes: the /Contents hold a GB/T 38540
// SES_Signature (an SM2 seal stamp, standards.md §5.3 variant (b); no national rule names the
// SubFilter, so this is hpki's, and verification accepts it).
inline constexpr std::string_view kSubFilterCades = "ETSI.CAdES.detached";
inline constexpr std::string_view kSubFilterPkcs7 = "adbe.pkcs7.detached";
inline constexpr std::string_view kSubFilterRfc3161 = "ETSI.RFC3161";
inline constexpr std::string_view kSubFilterSes = "GBT38540.SES";

// PDF points (1/72 inch), origin at the bottom-left corner of the page's MediaBox.
struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

// Where and how the signature shows. Neither `rect` nor `anchor`: an invisible signature
// (/Rect [0 0 0 0]). With `anchor`, the field is centred on the first occurrence of that text on
// `page` (poppler-cpp page text; white space ignored when matching); its size is rect's w/h when
// `rect` is given too, else derived from the image (height 60 pt), else 150 x 50 pt.
struct Appearance {
  int page = 1;  // 1-based; 0 with an anchor: the first page that has the text
  std::optional<Rect> rect;
  std::optional<std::string> anchor;    // UTF-8
  std::optional<Bytes> png;             // seal / handwriting image, drawn with its alpha (SMask)
  std::vector<std::string> text_lines;  // UTF-8 (Chinese included), drawn over the bottom
};

struct FieldSpec {
  // Unique among the document's fields (kAlreadyExists); no '.'; generated ("Signature1", ...)
  // when empty.
  std::string field_name;
  // "ETSI.CAdES.detached" (PAdES), "adbe.pkcs7.detached", or "ETSI.RFC3161" = a document
  // timestamp (/Type /DocTimeStamp; no /M /Name /Reason /Location, no DocMDP).
  std::string sub_filter = "ETSI.CAdES.detached";
  std::string filter = "Adobe.PPKLite";
  std::string name, reason, location;  // /Name /Reason /Location (UTF-16BE when not ASCII)
  TimePoint signing_time{};            // /M (UTC)
  // 1..3: a certification signature (/Reference DocMDP with /TransformParams /P n, catalog
  // /Perms /DocMDP). Refused (kPolicyRefused) when the document already holds a signature.
  std::optional<int> docmdp;
  // Bytes reserved for the DER CMS in /Contents (written as hex: twice that many digits).
  std::size_t contents_capacity = 32768;
  Appearance appearance;
};

// A document with its signature hole. byte_range = {0, a, b, c}: the signed bytes are
// pdf[0, a) and pdf[b, b + c), b + c == pdf.size(); pdf[a] == '<', pdf[b - 1] == '>',
// contents_offset == a, b - a == 2 * contents_capacity + 2.
struct Prepared {
  Bytes pdf;
  std::array<std::size_t, 4> byte_range{};
  std::size_t contents_offset = 0;
  std::size_t contents_capacity = 0;
};

// Adds a signature field (merged field / widget, /V the signature dictionary with a
// zero-filled /Contents and its /ByteRange already patched in) to `pdf` as one incremental
// update. Does not change any byte of `pdf`.
[[nodiscard]] Result<Prepared> prepare(BytesView pdf, const FieldSpec& spec);

// Digest of the two ByteRange ranges, streamed over `p.pdf` (no copy). kInvalidArgument when
// `p` is not consistent (see Prepared).
[[nodiscard]] Result<Bytes> byte_range_digest(const Prepared& p, crypto::HashAlg alg);

// Writes `cms_der` (hex, zero-padded) into /Contents and returns the signed document.
// kInvalidArgument when the CMS is empty, does not fit the capacity, or `p` is not consistent.
[[nodiscard]] Result<Bytes> finish(Prepared p, BytesView cms_der);

// Validation data, each element DER.
struct Dss {
  std::vector<Bytes> certs{};
  std::vector<Bytes> ocsps{};
  std::vector<Bytes> crls{};
};

// PAdES B-LT (ETSI EN 319 142-1 5.4.2): the validation data, DER certificates, OCSP responses
// and CRLs, in the catalog's /DSS (/Certs /OCSPs /CRLs arrays of streams; entries of an
// existing /DSS kept, data already there not added twice), as another incremental update.
[[nodiscard]] Result<Bytes> append_dss(BytesView signed_pdf, const Dss& dss);

}  // namespace hpki::pdf
