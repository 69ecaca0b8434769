// A strict, minimal CBOR decoder (RFC 8949) for what WebAuthn needs (attestation objects,
// COSE keys, authenticator-data extensions). Private to src/cosign/.
//
// Accepted: unsigned and negative integers (major types 0, 1; the full 64-bit argument range),
// byte and text strings (2, 3), arrays (4), maps (5), and the simple values false, true, null
// (major type 7, values 20..22). Definite lengths only.
//
// Refused, each with ErrorCode::kMalformed and a detail naming the byte offset:
//   - indefinite lengths (additional information 31) and the reserved values 28..30;
//   - tags (major type 6), floats, `undefined` and every other simple value;
//   - a head or a string running past the end of the input (truncation);
//   - text that is not valid UTF-8 (RFC 8949 3.1);
//   - map keys other than integers and text strings, and duplicate keys (RFC 8949 5.6: a
//     decoder of a protocol without duplicates must refuse them; keys are compared by value, so
//     1 and a non-minimally encoded 1 are duplicates);
//   - nesting deeper than Limits::max_depth, more than Limits::max_items data items in total;
//   - for decode(): bytes after the item (kTrailingData).
// Input longer than Limits::max_input is kTooLarge. Preferred (minimal) serialization is not
// required. Never crashes and never allocates more than a small multiple of the input size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::cosign::cbor {

enum class Type {
  kUnsigned,  // major type 0
  kNegative,  // major type 1: the value is -1 - argument
  kBytes,     // major type 2
  kText,      // major type 3
  kArray,     // major type 4
  kMap,       // major type 5
  kBool,      // simple values 20, 21
  kNull,      // simple value 22
};

[[nodiscard]] std::string_view type_name(Type t) noexcept;

// A decoded data item. Immutable after decoding; owns copies of its strings.
class Value {
 public:
  using Array = std::vector<Value>;
  using Map = std::vector<std::pair<Value, Value>>;  // in encoded order, keys unique

  [[nodiscard]] static Value make_unsigned(std::uint64_t v);
  // -1 - n (CBOR major type 1 with argument n).
  [[nodiscard]] static Value make_negative(std::uint64_t n);
  [[nodiscard]] static Value make_bytes(BytesView b);
  [[nodiscard]] static Value make_text(std::string_view t);
  [[nodiscard]] static Value make_array(Array items);
  [[nodiscard]] static Value make_map(Map entries);
  [[nodiscard]] static Value make_bool(bool b);
  [[nodiscard]] static Value make_null();

  [[nodiscard]] Type type() const noexcept { return type_; }
  [[nodiscard]] bool is_int() const noexcept {
    return type_ == Type::kUnsigned || type_ == Type::kNegative;
  }
  // The integer value when it fits in int64_t (nullopt otherwise, or when not an integer).
  [[nodiscard]] std::optional<std::int64_t> as_int() const noexcept;
  // The raw argument of an integer (the value for kUnsigned, n for kNegative = -1 - n).
  [[nodiscard]] std::uint64_t argument() const noexcept { return arg_; }
  // Contents of kBytes / kText (empty for other types).
  [[nodiscard]] BytesView bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::string_view text() const noexcept { return as_string(bytes_); }
  [[nodiscard]] bool boolean() const noexcept { return arg_ != 0; }
  // Items of kArray, entries of kMap (empty for other types).
  [[nodiscard]] const Array& array() const noexcept { return array_; }
  [[nodiscard]] const Map& map() const noexcept { return map_; }

  // Map look-up by an integer or a text key (nullptr when absent or not a map).
  [[nodiscard]] const Value* find(std::int64_t key) const noexcept;
  [[nodiscard]] const Value* find(std::string_view key) const noexcept;

  // Same type and value (arrays and maps element-wise, in order).
  friend bool operator==(const Value&, const Value&) = default;

 private:
  Type type_ = Type::kNull;
  std::uint64_t arg_ = 0;
  Bytes bytes_;
  Array array_;
  Map map_;
};

struct Limits {
  std::size_t max_input = 64 * 1024;
  // Nesting of arrays and maps: a top-level scalar has depth 0, the items of a top-level array
  // depth 1, and so on. WebAuthn needs 3 (attestationObject -> attStmt -> x5c -> certificate).
  std::size_t max_depth = 16;
  std::size_t max_items = 4096;
};

// Decodes exactly one data item that fills `in`; trailing bytes are kTrailingData.
[[nodiscard]] Result<Value> decode(BytesView in, const Limits& limits = {});

// Decodes one data item at the start of `in` and returns it with the number of bytes it took
// (authenticator data holds a COSE key followed by other data).
[[nodiscard]] Result<std::pair<Value, std::size_t>> decode_prefix(BytesView in,
                                                                  const Limits& limits = {});

// Encodes `v` (preferred serialization, RFC 8949 4.1: shortest heads; map entries in their
// order). For tests and fuzzing round trips: decode(encode(v)) == v.
[[nodiscard]] Bytes encode(const Value& v);

}  // namespace hpki::cosign::cbor
