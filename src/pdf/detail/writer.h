// The incremental-update writer (ISO 32000-1 7.5.6) and PDF syntax helpers of pdf/sign.cpp.
// Private to src/pdf/.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"

namespace hpki::pdf::detail {

// The kind of the file's last cross-reference section; an update writes the same kind.
enum class XrefKind { kTable, kStream };

struct Tail {
  XrefKind kind = XrefKind::kTable;
  std::size_t startxref = 0;  // offset of the last section (the update's /Prev)
};

// ISO 32000-1 7.5.5: the last `startxref` of the file and what it points to (an `xref`
// keyword or an `N G obj` cross-reference stream). kMalformed otherwise.
[[nodiscard]] Result<Tail> read_tail(BytesView pdf);

// UTF-8 to UTF-16 (code points above U+FFFF as surrogate pairs); kInvalidArgument on invalid
// UTF-8 (overlong forms, surrogates, truncated sequences).
[[nodiscard]] Result<std::u16string> utf8_to_utf16(std::string_view utf8);
// ISO 32000-1 7.9.2.2: a text string. Printable ASCII as a literal string with ( ) \ escaped,
// anything else as a hex string of UTF-16BE with the byte order mark FE FF.
[[nodiscard]] Result<std::string> text_string(std::string_view utf8);
// Hex digits of UTF-16BE code units, without a byte order mark (for a CID font with
// /Encoding /UniGB-UTF16-H).
[[nodiscard]] std::string utf16be_hex(std::u16string_view s);
// ISO 32000-1 7.9.4: (D:YYYYMMDDHHmmSS+00'00') in UTC.
[[nodiscard]] std::string pdf_date(TimePoint t);
// A PDF real without exponent, at most 4 decimals, trailing zeros dropped.
[[nodiscard]] std::string num(double v);

// Appends objects and one cross-reference section after the original bytes, which it never
// changes. Offsets are offsets in the final file.
class IncrementalWriter {
 public:
  // `trailer_keys`: the entries copied into the new trailer (e.g. "/Root 1 0 R /ID [...]"),
  // without /Size and /Prev. `next_object`: the first unused object number.
  IncrementalWriter(BytesView original, Tail tail, int next_object, std::string trailer_keys);

  // A new object number.
  [[nodiscard]] int reserve() { return next_object_++; }
  // Writes `N G obj <body> endobj`; returns the offset of the body's first byte.
  std::size_t write_object(int num, int gen, std::string_view body);
  // A stream object: << dict_entries /Length n >> stream data endstream.
  void write_stream(int num, std::string_view dict_entries, BytesView data);
  // Offset that the next byte appended will have.
  [[nodiscard]] std::size_t position() const noexcept { return original_.size() + out_.size(); }
  // Writes the cross-reference section, trailer, startxref and %%EOF; returns the whole file.
  [[nodiscard]] Bytes finish();

 private:
  BytesView original_;
  Tail tail_;
  int next_object_;
  std::string trailer_keys_;
  std::string out_;
  std::map<int, std::pair<int, std::size_t>> offsets_;  // object -> (generation, offset)
};

}  // namespace hpki::pdf::detail
