// The signature dictionaries of a PDF (issue 20; ISO 32000-1 12.8.1, ETSI EN 319 142-1 PAdES):
// every signature field of the AcroForm (/Fields and their /Kids) and every signature widget
// annotation on a page whose value /V is a signature dictionary (/Type /Sig, /DocTimeStamp, or
// no /Type with /ByteRange and /Contents), each listed once.
//
// For each one extract_signatures() reads the dictionary's entries and checks its /ByteRange
// against the file bytes (ISO 32000-1 12.8.1 Table 252; PAdES ETSI EN 319 142-1 5.4.2):
//   - exactly 4 non-negative integers [0 a b c] with a < b and b + c within the file;
//   - the gap [a, b) is exactly one hex string "<...>" (hex digits only, even count): the
//     /Contents value of this dictionary, byte for byte;
//   - b + c is the end of a revision (document.h): the signature signs that revision.
// A failed check leaves byte_range_error set (and the signature unverifiable), it does not
// fail the call. /Contents is decoded from the gap (the hex the ByteRange excludes); trailing
// zero padding after the DER element is trimmed, more than kMaxContentsSize bytes is refused.
// Errors of the call itself: kMalformed when qpdf fails on the document structure, kTooLarge
// with more than kMaxSignatures signatures.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/algorithm.h"
#include "pdf/document.h"

namespace hpki::pdf {

inline constexpr std::size_t kMaxContentsSize = 1024 * 1024;  // decoded /Contents (CMS) bytes
inline constexpr std::size_t kMaxSignatures = 64;

struct SignatureInfo {
  std::string field_name;  // fully qualified (/T of the field and its parents, '.'-joined)
  std::string type;        // "Sig" or "DocTimeStamp"
  std::string filter;      // e.g. "Adobe.PPKLite"
  std::string sub_filter;  // e.g. "adbe.pkcs7.detached", "ETSI.CAdES.detached"
  std::vector<long long> byte_range_raw;  // as written (empty when absent or not numbers)
  // Valid ByteRange [0, a, b, c] (see the file comment), else nullopt and byte_range_error.
  std::optional<std::array<std::size_t, 4>> byte_range{};
  std::string byte_range_error;
  Bytes contents;  // the DER of /Contents, padding trimmed (empty when it could not be decoded)
  std::string contents_error;
  std::optional<std::string> m{}, name{}, reason{}, location{}, contact_info{};  // UTF-8
  std::optional<int> docmdp_p{};          // /Reference [<< /TransformMethod /DocMDP ... /P n >>]
  std::optional<std::size_t> revision{};  // index in Document::revisions() it signs
  std::size_t signed_end = 0;             // b + c (0 without a valid ByteRange)
  bool covers_whole_file = false;         // it signs the last revision
  int object_number = 0;                  // of the signature dictionary (0 when direct)

  [[nodiscard]] bool is_document_timestamp() const {
    return type == "DocTimeStamp" || sub_filter == "ETSI.RFC3161";
  }
};

// Sorted by the end of their ByteRange (signature order), invalid ByteRanges last.
[[nodiscard]] Result<std::vector<SignatureInfo>> extract_signatures(const Document& doc);

// The bytes a valid ByteRange covers: [0, a) followed by [b, b + c). Empty without one.
[[nodiscard]] Bytes signed_bytes(const Document& doc, const SignatureInfo& sig);
// The digest with `alg` of the bytes the ByteRange covers, hashed where they lie (no copy).
[[nodiscard]] Result<Bytes> signed_digest(const Document& doc, const SignatureInfo& sig,
                                          crypto::HashAlg alg);

}  // namespace hpki::pdf
