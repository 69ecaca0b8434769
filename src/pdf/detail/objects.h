// Private to pdf/: small helpers over qpdf object handles that never throw on a wrong type
// (they check it first) and bound every walk. Callers still run them under detail::guarded():
// resolving an indirect object can throw on a damaged file.
#pragma once

#include "pdf/detail/qpdf.h"

#include <optional>
#include <string>

namespace hpki::pdf::detail {

inline constexpr int kMaxParentDepth = 32;

// The entry `key` of a dictionary (null for anything else or when absent).
inline QPDFObjectHandle key_of(QPDFObjectHandle d, const std::string& key) {
  if (!d.isDictionary()) return QPDFObjectHandle::newNull();
  return d.getKey(key);
}

// An inheritable field attribute (ISO 32000-1 12.7.3.1): on the field or a /Parent.
inline QPDFObjectHandle inherited(QPDFObjectHandle field, const std::string& key) {
  for (int depth = 0; depth < kMaxParentDepth && field.isDictionary(); ++depth) {
    if (field.hasKey(key)) return field.getKey(key);
    field = field.getKey("/Parent");
  }
  return QPDFObjectHandle::newNull();
}

inline std::optional<std::string> name_of(QPDFObjectHandle o) {
  if (!o.isName()) return std::nullopt;
  return o.getName();
}

inline std::optional<std::string> text_of(QPDFObjectHandle o) {
  if (!o.isString()) return std::nullopt;
  return o.getUTF8Value();
}

// The fully qualified field name (ISO 32000-1 12.7.3.2): the /T of the field and its parents.
inline std::string field_name(QPDFObjectHandle field) {
  std::string name;
  for (int depth = 0; depth < kMaxParentDepth && field.isDictionary(); ++depth) {
    if (auto t = text_of(field.getKey("/T"))) name = name.empty() ? *t : *t + "." + name;
    field = field.getKey("/Parent");
  }
  return name;
}

}  // namespace hpki::pdf::detail
