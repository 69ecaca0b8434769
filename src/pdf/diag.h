// Diagnostic ids of PDF signature verification (issue 20): the "pdf.*" ids below, reported in
// pdf::VerifyPdfReport (verify.h), its JSON / text renderings, logs and tests. Signature-level
// failures of the CMS and the certificate path keep the ids of sign:: and x509:: (sign/
// sign_service.h, x509/diag.h); none is repeated here.
#pragma once

#include <string_view>

#include "x509/diag.h"

namespace hpki::pdf::diag {

inline constexpr std::string_view kValid = x509::diag::kValid;

// The file as a whole.
inline constexpr std::string_view kMalformed = "pdf.malformed";  // qpdf could not read it
inline constexpr std::string_view kTooLarge = "pdf.too_large";   // over kMaxPdfSize
inline constexpr std::string_view kNoSignatures = "pdf.no_signatures";
inline constexpr std::string_view kStructureRepaired = "pdf.structure_repaired";  // qpdf warned

// One signature dictionary.
inline constexpr std::string_view kByteRangeInvalid = "pdf.byte_range_invalid";
inline constexpr std::string_view kContentsInvalid = "pdf.contents_invalid";
inline constexpr std::string_view kUnsupportedSubFilter = "pdf.unsupported_subfilter";
inline constexpr std::string_view kDigestMismatch = "pdf.digest_mismatch";  // signed bytes changed
inline constexpr std::string_view kSignatureInvalid = "pdf.signature_invalid";
inline constexpr std::string_view kTimestampInvalid = "pdf.timestamp_invalid";  // doc timestamp
inline constexpr std::string_view kNotWholeFile = "pdf.not_whole_file";  // later revisions exist
inline constexpr std::string_view kCertificationNotFirst = "pdf.certification_not_first";
inline constexpr std::string_view kDssOcspNotChecked = "pdf.dss_ocsp_not_checked";

// Changes made by incremental updates after the revision a signature covers (changes.h).
// "_after_signature" findings are allowed by the signature's DocMDP level (or there is none)
// and do not invalidate, except those never allowed (pages, page content, the catalog, a
// signed signature removed or its appearance changed); "_after_certification" findings break the
// DocMDP permissions of a certification signature (ISO 32000-1 12.8.2.2) and invalidate.
inline constexpr std::string_view kPageAdded = "pdf.page_added_after_signature";
inline constexpr std::string_view kPageRemoved = "pdf.page_removed_after_signature";
inline constexpr std::string_view kContentChanged = "pdf.content_changed_after_signature";
inline constexpr std::string_view kCatalogChanged = "pdf.catalog_changed_after_signature";
inline constexpr std::string_view kAnnotationAdded = "pdf.annotation_added_after_signature";
inline constexpr std::string_view kAnnotationRemoved = "pdf.annotation_removed_after_signature";
inline constexpr std::string_view kAnnotationChanged = "pdf.annotation_changed_after_signature";
inline constexpr std::string_view kAnnotationAddedAfterCertification =
    "pdf.annotation_added_after_certification";
inline constexpr std::string_view kAnnotationRemovedAfterCertification =
    "pdf.annotation_removed_after_certification";
inline constexpr std::string_view kAnnotationChangedAfterCertification =
    "pdf.annotation_changed_after_certification";
inline constexpr std::string_view kFormFieldChanged = "pdf.form_field_changed_after_signature";
inline constexpr std::string_view kFormFieldChangedAfterCertification =
    "pdf.form_field_changed_after_certification";
inline constexpr std::string_view kFormFieldRemoved = "pdf.form_field_removed_after_signature";
inline constexpr std::string_view kSignatureAdded = "pdf.signature_added_after_signature";
inline constexpr std::string_view kSignatureAddedAfterCertification =
    "pdf.signature_added_after_certification";
inline constexpr std::string_view kSignatureRemoved = "pdf.signature_removed_after_signature";
// The widget of a signed signature field or anything it reaches (/AP, the seal image) changed.
inline constexpr std::string_view kSignatureAppearanceChanged =
    "pdf.signature_appearance_changed_after_signature";
inline constexpr std::string_view kDssUpdated = "pdf.dss_updated_after_signature";
inline constexpr std::string_view kMetadataChanged = "pdf.metadata_changed_after_signature";

}  // namespace hpki::pdf::diag
