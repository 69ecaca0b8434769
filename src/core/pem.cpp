#include "core/pem.h"

#include <optional>

#include "core/encoding.h"

namespace hpki {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool valid_label(std::string_view label) {
  // RFC 7468 section 3: label = [ labelchar *( ["-" / SP] labelchar ) ], printable, no '-' ends.
  if (label.size() > 128) return false;
  for (char c : label) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return label.empty() || (label.front() != '-' && label.back() != '-' && label.front() != ' ');
}

// If `line` is "<prefix><label>-----", returns the label.
std::optional<std::string_view> boundary_label(std::string_view line, std::string_view prefix) {
  if (!line.starts_with(prefix) || !line.ends_with(kDashes) ||
      line.size() < prefix.size() + kDashes.size()) {
    return std::nullopt;
  }
  return line.substr(prefix.size(), line.size() - prefix.size() - kDashes.size());
}

}  // namespace

std::string pem_encode(std::string_view label, BytesView der) {
  std::string b64 = base64_encode(der);
  std::string out;
  out.reserve(b64.size() + b64.size() / 64 + 2 * label.size() + 40);
  out += kBegin;
  out += label;
  out += "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += kEnd;
  out += label;
  out += "-----\n";
  return out;
}

Result<std::vector<PemBlock>> pem_decode_all(std::string_view text) {
  if (text.size() > kMaxPemInput) {
    return fail(ErrorCode::kTooLarge, "PEM: input of " + std::to_string(text.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxPemInput));
  }
  std::vector<PemBlock> blocks;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  bool in_block = false;
  std::string label;
  std::string body;
  std::size_t begin_line = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    std::string_view line = trim_right(raw);
    if (!in_block) {
      auto l = boundary_label(line, kBegin);
      if (!l) {
        if (line.starts_with(kEnd)) {
          return fail(ErrorCode::kMalformed,
                      "PEM: END line without BEGIN at line " + std::to_string(line_no));
        }
        continue;  // explanatory text
      }
      if (!valid_label(*l)) {
        return fail(ErrorCode::kMalformed, "PEM: invalid label at line " + std::to_string(line_no));
      }
      if (blocks.size() >= kMaxPemBlocks) {
        return fail(ErrorCode::kTooLarge,
                    "PEM: more than " + std::to_string(kMaxPemBlocks) + " blocks");
      }
      in_block = true;
      label = std::string(*l);
      body.clear();
      begin_line = line_no;
      continue;
    }
    if (auto l = boundary_label(line, kEnd)) {
      if (*l != label) {
        return fail(ErrorCode::kMalformed, "PEM: END label '" + std::string(*l) +
                                               "' does not match BEGIN label '" + label +
                                               "' (line " + std::to_string(line_no) + ")");
      }
      auto data = base64_decode(body);
      if (!data) {
        return fail(data.error().with_context("PEM block '" + label + "' starting at line " +
                                              std::to_string(begin_line)));
      }
      blocks.push_back(PemBlock{std::move(label), std::move(*data)});
      label.clear();
      in_block = false;
      continue;
    }
    if (line.find(':') != std::string_view::npos) {
      return fail(ErrorCode::kUnsupported,
                  "PEM: headers (e.g. legacy encrypted PEM) are not "
                  "supported (line " +
                      std::to_string(line_no) + ")");
    }
    if (line.starts_with(kBegin)) {
      return fail(ErrorCode::kMalformed,
                  "PEM: BEGIN inside block '" + label + "' at line " + std::to_string(line_no));
    }
    // Leading blanks inside the body are not allowed either (strict).
    body.append(line);
  }
  if (in_block) {
    return fail(ErrorCode::kMalformed, "PEM: block '" + label + "' starting at line " +
                                           std::to_string(begin_line) + " has no END line");
  }
  if (blocks.empty()) return fail(ErrorCode::kMalformed, "PEM: no PEM block found");
  return blocks;
}

Result<Bytes> pem_decode(std::string_view text, std::string_view label) {
  auto blocks = HPKI_TRY(pem_decode_all(text));
  if (blocks.size() != 1) {
    return fail(ErrorCode::kMalformed, "PEM: expected one '" + std::string(label) +
                                           "' block, found " + std::to_string(blocks.size()));
  }
  if (blocks[0].label != label) {
    return fail(ErrorCode::kUnexpectedType,
                "PEM: expected '" + std::string(label) + "', found '" + blocks[0].label + "'");
  }
  return std::move(blocks[0].data);
}

bool looks_like_pem(BytesView data) noexcept {
  return as_string(data).find(kBegin) != std::string_view::npos;
}

}  // namespace hpki
