#include "pdf/detail/writer.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <vector>

namespace hpki::pdf::detail {
namespace {

bool is_ws(std::uint8_t c) {
  // ISO 32000-1 7.2.2 Table 1: white-space characters.
  return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && is_ws(static_cast<std::uint8_t>(s[i]))) ++i;
  return i;
}

// Reads a non-negative decimal integer at i; returns the position after it or npos.
std::size_t read_uint(std::string_view s, std::size_t i, std::size_t& value) {
  auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), value);
  if (ec != std::errc{} || p == s.data() + i) return std::string_view::npos;
  return static_cast<std::size_t>(p - s.data());
}

}  // namespace

Result<Tail> read_tail(BytesView pdf) {
  std::string_view s = as_string(pdf);
  // ISO 32000-1 7.5.5: the last line is %%EOF, preceded by startxref and the offset. Look in
  // the last 2 KiB (some writers leave a little junk after %%EOF).
  std::size_t from = s.size() > 2048 ? s.size() - 2048 : 0;
  std::size_t at = s.rfind("startxref");
  if (at == std::string_view::npos || at < from) {
    return fail(ErrorCode::kMalformed, "PDF: no startxref near the end of the file (truncated?)");
  }
  std::size_t off = 0;
  std::size_t i = read_uint(s, skip_ws(s, at + 9), off);
  if (i == std::string_view::npos)
    return fail(ErrorCode::kMalformed, "PDF: startxref without offset");
  if (s.find("%%EOF", i) == std::string_view::npos) {
    return fail(ErrorCode::kMalformed, "PDF: no %%EOF after startxref (truncated?)");
  }
  if (off >= at) return fail(ErrorCode::kMalformed, "PDF: startxref offset outside the file");
  std::string_view sec = s.substr(off);
  if (sec.starts_with("xref")) return Tail{XrefKind::kTable, off};
  // ISO 32000-1 7.5.8: a cross-reference stream is an indirect object `N G obj`.
  std::size_t n = 0, g = 0;
  std::size_t j = read_uint(s, off, n);
  if (j != std::string_view::npos && j < s.size() && is_ws(static_cast<std::uint8_t>(s[j]))) {
    j = read_uint(s, skip_ws(s, j), g);
    if (j != std::string_view::npos && s.substr(skip_ws(s, j)).starts_with("obj")) {
      return Tail{XrefKind::kStream, off};
    }
  }
  return fail(ErrorCode::kMalformed,
              fmt::format("PDF: startxref {} points to neither an xref table nor a "
                          "cross-reference stream",
                          off));
}

Result<std::u16string> utf8_to_utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  auto bad = [] { return fail(ErrorCode::kInvalidArgument, "text is not valid UTF-8"); };
  for (std::size_t i = 0; i < utf8.size();) {
    auto b0 = static_cast<std::uint8_t>(utf8[i]);
    char32_t cp = 0;
    std::size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1Fu;
      len = 2;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0Fu;
      len = 3;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07u;
      len = 4;
    } else {
      return bad();
    }
    if (i + len > utf8.size()) return bad();
    for (std::size_t k = 1; k < len; ++k) {
      auto b = static_cast<std::uint8_t>(utf8[i + k]);
      if ((b & 0xC0) != 0x80) return bad();
      cp = (cp << 6) | (b & 0x3Fu);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return bad();
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

std::string utf16be_hex(std::u16string_view s) {
  std::string out;
  out.reserve(s.size() * 4);
  for (char16_t c : s) out += fmt::format("{:04X}", static_cast<unsigned>(c));
  return out;
}

Result<std::string> text_string(std::string_view utf8) {
  bool ascii = std::all_of(utf8.begin(), utf8.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
  if (ascii) {
    std::string out = "(";
    for (char c : utf8) {
      if (c == '(' || c == ')' || c == '\\') out += '\\';
      out += c;
    }
    return out + ")";
  }
  // ISO 32000-1 7.9.2.2: UTF-16BE text strings start with the byte order mark FE FF.
  return "<FEFF" + utf16be_hex(HPKI_TRY(utf8_to_utf16(utf8))) + ">";
}

std::string pdf_date(TimePoint t) {
  auto s = std::chrono::floor<std::chrono::seconds>(t);
  return fmt::format("(D:{:%Y%m%d%H%M%S}+00'00')", s);
}

std::string num(double v) {
  if (!std::isfinite(v)) v = 0;
  std::string s = fmt::format("{:.4f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

IncrementalWriter::IncrementalWriter(BytesView original, Tail tail, int next_object,
                                     std::string trailer_keys)
    : original_(original),
      tail_(tail),
      next_object_(next_object),
      trailer_keys_(std::move(trailer_keys)) {
  // ISO 32000-1 7.5.6: the update follows the original %%EOF on a new line.
  if (!original_.empty() && original_.back() != '\n' && original_.back() != '\r') out_ += '\n';
}

std::size_t IncrementalWriter::write_object(int num_, int gen, std::string_view body) {
  offsets_[num_] = {gen, position()};
  out_ += fmt::format("{} {} obj\n", num_, gen);
  std::size_t body_at = position();
  out_ += body;
  out_ += "\nendobj\n";
  return body_at;
}

void IncrementalWriter::write_stream(int num_, std::string_view dict_entries, BytesView data) {
  offsets_[num_] = {0, position()};
  out_ += fmt::format("{} 0 obj\n<<{} /Length {}>>\nstream\n", num_, dict_entries, data.size());
  out_ += as_string(data);
  out_ += "\nendstream\nendobj\n";
}

Bytes IncrementalWriter::finish() {
  // Subsections of consecutive object numbers (ISO 32000-1 7.5.4 / 7.5.8.2 /Index).
  auto subsections = [this] {
    std::vector<std::pair<int, int>> runs;  // (first, count)
    for (const auto& [n, e] : offsets_) {
      if (!runs.empty() && runs.back().first + runs.back().second == n) {
        ++runs.back().second;
      } else {
        runs.emplace_back(n, 1);
      }
    }
    return runs;
  };
  std::size_t xref_at;
  if (tail_.kind == XrefKind::kTable) {
    xref_at = position();
    out_ += "xref\n";
    for (auto [first, count] : subsections()) {
      out_ += fmt::format("{} {}\n", first, count);
      for (int n = first; n < first + count; ++n) {
        auto [gen, off] = offsets_.at(n);
        // ISO 32000-1 7.5.4: each entry exactly 20 bytes, ending in CR LF.
        out_ += fmt::format("{:010} {:05} n\r\n", off, gen);
      }
    }
    out_ += fmt::format("trailer\n<< /Size {}{} /Prev {} >>\n", next_object_, trailer_keys_,
                        tail_.startxref);
  } else {
    // ISO 32000-1 7.5.8: a cross-reference stream, which lists itself too.
    int self = reserve();
    xref_at = position();
    offsets_[self] = {0, xref_at};
    std::string index;
    std::string data;
    for (auto [first, count] : subsections()) {
      index += fmt::format(" {} {}", first, count);
      for (int n = first; n < first + count; ++n) {
        auto [gen, off] = offsets_.at(n);
        // /W [1 4 2]: type 1, offset (the input is < 4 GiB), generation.
        data += '\x01';
        for (int k = 3; k >= 0; --k) data += static_cast<char>((off >> (8 * k)) & 0xFF);
        data += static_cast<char>((gen >> 8) & 0xFF);
        data += static_cast<char>(gen & 0xFF);
      }
    }
    out_ += fmt::format(
        "{} 0 obj\n<< /Type /XRef /Size {}{} /Prev {} /W [1 4 2] /Index [{} ] /Length {} >>\n"
        "stream\n",
        self, next_object_, trailer_keys_, tail_.startxref, index, data.size());
    out_ += data;
    out_ += "\nendstream\nendobj\n";
  }
  out_ += fmt::format("startxref\n{}\n%%EOF\n", xref_at);
  Bytes file;
  file.reserve(original_.size() + out_.size());
  file.insert(file.end(), original_.begin(), original_.end());
  file.insert(file.end(), out_.begin(), out_.end());
  return file;
}

}  // namespace hpki::pdf::detail
