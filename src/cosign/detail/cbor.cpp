#include "cosign/detail/cbor.h"

#include <algorithm>

namespace hpki::cosign::cbor {

std::string_view type_name(Type t) noexcept {
  switch (t) {
    case Type::kUnsigned:
      return "unsigned integer";
    case Type::kNegative:
      return "negative integer";
    case Type::kBytes:
      return "byte string";
    case Type::kText:
      return "text string";
    case Type::kArray:
      return "array";
    case Type::kMap:
      return "map";
    case Type::kBool:
      return "boolean";
    case Type::kNull:
      return "null";
  }
  return "?";
}

Value Value::make_unsigned(std::uint64_t v) {
  Value r;
  r.type_ = Type::kUnsigned;
  r.arg_ = v;
  return r;
}
Value Value::make_negative(std::uint64_t n) {
  Value r;
  r.type_ = Type::kNegative;
  r.arg_ = n;
  return r;
}
Value Value::make_bytes(BytesView b) {
  Value r;
  r.type_ = Type::kBytes;
  r.bytes_.assign(b.begin(), b.end());
  return r;
}
Value Value::make_text(std::string_view t) {
  Value r;
  r.type_ = Type::kText;
  const auto b = as_bytes(t);
  r.bytes_.assign(b.begin(), b.end());
  return r;
}
Value Value::make_array(Array items) {
  Value r;
  r.type_ = Type::kArray;
  r.array_ = std::move(items);
  return r;
}
Value Value::make_map(Map entries) {
  Value r;
  r.type_ = Type::kMap;
  r.map_ = std::move(entries);
  return r;
}
Value Value::make_bool(bool b) {
  Value r;
  r.type_ = Type::kBool;
  r.arg_ = b ? 1 : 0;
  return r;
}
Value Value::make_null() { return Value{}; }

std::optional<std::int64_t> Value::as_int() const noexcept {
  constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (type_ == Type::kUnsigned && arg_ <= kMax) return static_cast<std::int64_t>(arg_);
  // -1 - n fits when n <= INT64_MAX.
  if (type_ == Type::kNegative && arg_ <= kMax) return -1 - static_cast<std::int64_t>(arg_);
  return std::nullopt;
}

const Value* Value::find(std::int64_t key) const noexcept {
  for (const auto& [k, v] : map_) {
    if (k.is_int() && k.as_int() == key) return &v;
  }
  return nullptr;
}

const Value* Value::find(std::string_view key) const noexcept {
  for (const auto& [k, v] : map_) {
    if (k.type() == Type::kText && k.text() == key) return &v;
  }
  return nullptr;
}

namespace {

// RFC 3629 4: well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool valid_utf8(BytesView s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint8_t lo = 0x80, hi = 0xbf;  // range of the first continuation byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k <= n; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

class Decoder {
 public:
  Decoder(BytesView in, const Limits& limits) : in_(in), limits_(limits) {}

  Result<Value> item(std::size_t depth) {
    const std::size_t start = pos_;
    if (++items_ > limits_.max_items) {
      return bad(start, "more than " + std::to_string(limits_.max_items) + " data items");
    }
    if (pos_ >= in_.size()) return bad(start, "truncated: a data item was expected");
    const std::uint8_t initial = in_[pos_++];
    const int major = initial >> 5;
    const std::uint8_t info = initial & 0x1f;

    if (major == 7) return simple(start, info);
    if (major == 6) return bad(start, "tags (major type 6) are not supported");
    if (info == 31) {
      return bad(start, "indefinite length (additional information 31) is not supported");
    }
    const std::uint64_t arg = HPKI_TRY(argument(start, info));
    switch (major) {
      case 0:
        return Value::make_unsigned(arg);
      case 1:
        return Value::make_negative(arg);
      case 2:
      case 3: {
        if (arg > in_.size() - pos_) {
          return bad(start, "truncated: a string of " + std::to_string(arg) + " bytes, " +
                                std::to_string(in_.size() - pos_) + " left");
        }
        const auto body = in_.subspan(pos_, static_cast<std::size_t>(arg));
        pos_ += body.size();
        if (major == 2) return Value::make_bytes(body);
        // RFC 8949 3.1: a text string is UTF-8; invalid UTF-8 is not valid CBOR.
        if (!valid_utf8(body)) return bad(start, "text string is not valid UTF-8");
        return Value::make_text(as_string(body));
      }
      case 4: {
        if (depth >= limits_.max_depth) return too_deep(start);
        // Each item takes at least one byte: a count beyond the input is a truncation, and
        // refusing it before reserving keeps allocation bounded by the input.
        if (arg > in_.size() - pos_) return bad(start, "truncated: array of " + count(arg));
        Value::Array items;
        items.reserve(static_cast<std::size_t>(arg));
        for (std::uint64_t i = 0; i < arg; ++i) items.push_back(HPKI_TRY(item(depth + 1)));
        return Value::make_array(std::move(items));
      }
      case 5: {
        if (depth >= limits_.max_depth) return too_deep(start);
        if (arg > (in_.size() - pos_) / 2) return bad(start, "truncated: map of " + count(arg));
        Value::Map entries;
        entries.reserve(static_cast<std::size_t>(arg));
        for (std::uint64_t i = 0; i < arg; ++i) {
          const std::size_t key_at = pos_;
          Value key = HPKI_TRY(item(depth + 1));
          if (!key.is_int() && key.type() != Type::kText) {
            return bad(key_at, "map key of type " + std::string(type_name(key.type())) +
                                   " (only integers and text strings are accepted)");
          }
          // RFC 8949 5.6: duplicate keys make a map invalid; refused, never "last one wins".
          const bool dup = std::any_of(entries.begin(), entries.end(),
                                       [&](const auto& e) { return e.first == key; });
          if (dup) return bad(key_at, "duplicate map key");
          Value value = HPKI_TRY(item(depth + 1));
          entries.emplace_back(std::move(key), std::move(value));
        }
        return Value::make_map(std::move(entries));
      }
      default:
        break;
    }
    return bad(start, "unreachable major type");
  }

  [[nodiscard]] std::size_t pos() const noexcept { return pos_; }

 private:
  static std::string count(std::uint64_t n) { return std::to_string(n) + " entries"; }

  std::unexpected<Error> bad(std::size_t at, const std::string& what) const {
    return fail(ErrorCode::kMalformed, "CBOR at offset " + std::to_string(at) + ": " + what);
  }
  std::unexpected<Error> too_deep(std::size_t at) const {
    return bad(at, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
  }

  // RFC 8949 3: additional information 0..23 is the argument; 24..27 announce 1, 2, 4, 8
  // following bytes; 28..30 are reserved (not well-formed).
  Result<std::uint64_t> argument(std::size_t start, std::uint8_t info) {
    if (info < 24) return info;
    if (info > 27) {
      return bad(start, "reserved additional information " + std::to_string(info));
    }
    const std::size_t n = std::size_t{1} << (info - 24);
    if (in_.size() - pos_ < n) return bad(start, "truncated: the head's argument is cut off");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | in_[pos_ + i];
    pos_ += n;
    return v;
  }

  Result<Value> simple(std::size_t start, std::uint8_t info) {
    switch (info) {
      case 20:
        return Value::make_bool(false);
      case 21:
        return Value::make_bool(true);
      case 22:
        return Value::make_null();
      case 23:
        return bad(start, "the simple value 'undefined' is not supported");
      case 25:
      case 26:
      case 27:
        return bad(start, "floating-point values are not supported");
      case 31:
        return bad(start, "unexpected 'break' (indefinite lengths are not supported)");
      default:
        return bad(start, "simple value (additional information " + std::to_string(info) +
                              ") is not supported");
    }
  }

  BytesView in_;
  const Limits& limits_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

void put_head(Bytes& out, int major, std::uint64_t arg) {
  const auto m = static_cast<std::uint8_t>(major << 5);
  if (arg < 24) {
    out.push_back(static_cast<std::uint8_t>(m | arg));
    return;
  }
  std::size_t n = 8;
  std::uint8_t info = 27;
  if (arg <= 0xff) {
    n = 1, info = 24;
  } else if (arg <= 0xffff) {
    n = 2, info = 25;
  } else if (arg <= 0xffffffff) {
    n = 4, info = 26;
  }
  out.push_back(static_cast<std::uint8_t>(m | info));
  for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(arg >> (8 * i)));
}

void encode_into(Bytes& out, const Value& v) {
  switch (v.type()) {
    case Type::kUnsigned:
      put_head(out, 0, v.argument());
      return;
    case Type::kNegative:
      put_head(out, 1, v.argument());
      return;
    case Type::kBytes:
    case Type::kText:
      put_head(out, v.type() == Type::kBytes ? 2 : 3, v.bytes().size());
      out.insert(out.end(), v.bytes().begin(), v.bytes().end());
      return;
    case Type::kArray:
      put_head(out, 4, v.array().size());
      for (const auto& i : v.array()) encode_into(out, i);
      return;
    case Type::kMap:
      put_head(out, 5, v.map().size());
      for (const auto& [k, val] : v.map()) {
        encode_into(out, k);
        encode_into(out, val);
      }
      return;
    case Type::kBool:
      out.push_back(v.boolean() ? 0xf5 : 0xf4);
      return;
    case Type::kNull:
      out.push_back(0xf6);
      return;
  }
}

Result<void> check_size(BytesView in, const Limits& limits) {
  if (in.size() > limits.max_input) {
    return fail(ErrorCode::kTooLarge, "CBOR input of " + std::to_string(in.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(limits.max_input));
  }
  return {};
}

}  // namespace

Result<Value> decode(BytesView in, const Limits& limits) {
  HPKI_TRY(check_size(in, limits));
  Decoder d(in, limits);
  Value v = HPKI_TRY(d.item(0));
  if (d.pos() != in.size()) {
    return fail(ErrorCode::kTrailingData, "CBOR: " + std::to_string(in.size() - d.pos()) +
                                              " bytes after the data item at offset " +
                                              std::to_string(d.pos()));
  }
  return v;
}

Result<std::pair<Value, std::size_t>> decode_prefix(BytesView in, const Limits& limits) {
  HPKI_TRY(check_size(in, limits));
  Decoder d(in, limits);
  Value v = HPKI_TRY(d.item(0));
  return std::pair<Value, std::size_t>{std::move(v), d.pos()};
}

Bytes encode(const Value& v) {
  Bytes out;
  encode_into(out, v);
  return out;
}

}  // namespace hpki::cosign::cbor
