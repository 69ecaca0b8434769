// DER surgery for the rule pair tests (rule_path_test.cpp, rule_ocsp_test.cpp): take a TLV
// apart into its elements and put parts together again, to make bytes that break exactly one
// encoding rule.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "der/oid.h"
#include "der/reader.h"
#include "der/tag.h"
#include "der/writer.h"

namespace hpki::x509::edit {

// The elements inside a constructed TLV (a SEQUENCE or an [n] EXPLICIT), each whole.
inline std::vector<Bytes> elements(BytesView tlv) {
  der::Reader top(tlv);
  auto el = top.read_tlv();
  EXPECT_TRUE(el) << el.error().to_string();
  std::vector<Bytes> out;
  if (!el) return out;
  der::Reader in(el->value);
  while (!in.at_end()) {
    auto e = in.read_tlv();
    EXPECT_TRUE(e) << e.error().to_string();
    if (!e) break;
    out.emplace_back(e->encoded.begin(), e->encoded.end());
  }
  return out;
}

inline Bytes constructed(der::Tag tag, const std::vector<Bytes>& parts) {
  der::Writer w;
  w.add_constructed(tag, [&](der::Writer& s) {
    for (const auto& p : parts) EXPECT_TRUE(s.add_raw(p));
  });
  return w.take();
}
inline Bytes sequence(const std::vector<Bytes>& parts) {
  return constructed(der::kSequence, parts);
}
inline Bytes explicit_tag(std::uint32_t n, const std::vector<Bytes>& parts) {
  return constructed(der::Tag::context_constructed(n), parts);
}
inline Bytes primitive(der::Tag tag, BytesView content) {
  der::Writer w;
  w.add_element(tag, content);
  return w.take();
}
// A BIT STRING with `unused` unused bits (the caller's last octet has them zero).
inline Bytes bit_string(BytesView bytes, std::uint8_t unused) {
  Bytes content{unused};
  content.insert(content.end(), bytes.begin(), bytes.end());
  return primitive(der::kBitString, content);
}
inline Bytes oid(std::string_view dotted) {
  der::Writer w;
  w.add_oid(der::Oid::from_string(dotted).value());
  return w.take();
}

}  // namespace hpki::x509::edit
