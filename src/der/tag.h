// ASN.1 tags (X.690 8.1.2): class, primitive/constructed, number. A Tag is a small value type
// compared by all three parts; the universal tags used by hpki are named constants below.
#pragma once

#include <cstdint>
#include <string>

namespace hpki::der {

// The class bits as they appear in the identifier octet (X.690 8.1.2.2, Table 1).
enum class TagClass : std::uint8_t {
  kUniversal = 0x00,
  kApplication = 0x40,
  kContextSpecific = 0x80,
  kPrivate = 0xC0,
};

// Largest tag number accepted by the Reader and the Writer. The high-tag-number form
// (X.690 8.1.2.4) is supported with up to 4 subsequent octets, i.e. numbers below 2^28.
inline constexpr std::uint32_t kMaxTagNumber = (1U << 28) - 1;

class Tag {
 public:
  constexpr Tag(TagClass cls, bool constructed, std::uint32_t number) noexcept
      : number_(number), cls_(cls), constructed_(constructed) {}

  [[nodiscard]] static constexpr Tag universal(std::uint32_t number,
                                               bool constructed = false) noexcept {
    return {TagClass::kUniversal, constructed, number};
  }
  // [n] primitive: an IMPLICIT tag on a primitive type.
  [[nodiscard]] static constexpr Tag context(std::uint32_t number) noexcept {
    return {TagClass::kContextSpecific, false, number};
  }
  // [n] constructed: an EXPLICIT tag, or an IMPLICIT tag on a constructed type.
  [[nodiscard]] static constexpr Tag context_constructed(std::uint32_t number) noexcept {
    return {TagClass::kContextSpecific, true, number};
  }

  [[nodiscard]] constexpr TagClass cls() const noexcept { return cls_; }
  [[nodiscard]] constexpr bool constructed() const noexcept { return constructed_; }
  [[nodiscard]] constexpr std::uint32_t number() const noexcept { return number_; }
  // The same class and number with the constructed bit set / cleared.
  [[nodiscard]] constexpr Tag as_constructed() const noexcept { return {cls_, true, number_}; }
  [[nodiscard]] constexpr Tag as_primitive() const noexcept { return {cls_, false, number_}; }

  // Human-readable form for error details: "SEQUENCE", "INTEGER", "[0]", "[3] constructed",
  // "[APPLICATION 1]", "universal 99".
  [[nodiscard]] std::string to_string() const;

  friend constexpr bool operator==(const Tag&, const Tag&) = default;

 private:
  std::uint32_t number_;
  TagClass cls_;
  bool constructed_;
};

// Universal tags (X.680 8.4, Table 1).
inline constexpr Tag kBoolean = Tag::universal(1);
inline constexpr Tag kInteger = Tag::universal(2);
inline constexpr Tag kBitString = Tag::universal(3);
inline constexpr Tag kOctetString = Tag::universal(4);
inline constexpr Tag kNull = Tag::universal(5);
inline constexpr Tag kObjectIdentifier = Tag::universal(6);
inline constexpr Tag kEnumerated = Tag::universal(10);
inline constexpr Tag kUtf8String = Tag::universal(12);
inline constexpr Tag kSequence = Tag::universal(16, true);
inline constexpr Tag kSet = Tag::universal(17, true);
inline constexpr Tag kNumericString = Tag::universal(18);
inline constexpr Tag kPrintableString = Tag::universal(19);
inline constexpr Tag kTeletexString = Tag::universal(20);
inline constexpr Tag kIa5String = Tag::universal(22);
inline constexpr Tag kUtcTime = Tag::universal(23);
inline constexpr Tag kGeneralizedTime = Tag::universal(24);
inline constexpr Tag kVisibleString = Tag::universal(26);
inline constexpr Tag kUniversalString = Tag::universal(28);
inline constexpr Tag kBmpString = Tag::universal(30);

}  // namespace hpki::der
