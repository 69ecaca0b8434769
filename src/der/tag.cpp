#include "der/tag.h"

namespace hpki::der {

std::string Tag::to_string() const {
  if (cls_ == TagClass::kUniversal) {
    const char* name = nullptr;
    switch (number_) {
      case 1:
        name = "BOOLEAN";
        break;
      case 2:
        name = "INTEGER";
        break;
      case 3:
        name = "BIT STRING";
        break;
      case 4:
        name = "OCTET STRING";
        break;
      case 5:
        name = "NULL";
        break;
      case 6:
        name = "OBJECT IDENTIFIER";
        break;
      case 10:
        name = "ENUMERATED";
        break;
      case 12:
        name = "UTF8String";
        break;
      case 16:
        name = "SEQUENCE";
        break;
      case 17:
        name = "SET";
        break;
      case 18:
        name = "NumericString";
        break;
      case 19:
        name = "PrintableString";
        break;
      case 20:
        name = "TeletexString";
        break;
      case 22:
        name = "IA5String";
        break;
      case 23:
        name = "UTCTime";
        break;
      case 24:
        name = "GeneralizedTime";
        break;
      case 26:
        name = "VisibleString";
        break;
      case 28:
        name = "UniversalString";
        break;
      case 30:
        name = "BMPString";
        break;
      default:
        break;
    }
    // SEQUENCE and SET are constructed, the others primitive; say so when it differs.
    const bool usual_constructed = number_ == 16 || number_ == 17;
    std::string out = name != nullptr ? name : "universal " + std::to_string(number_);
    if (constructed_ != usual_constructed) out += constructed_ ? " constructed" : " primitive";
    return out;
  }
  std::string out = "[";
  if (cls_ == TagClass::kApplication) out += "APPLICATION ";
  if (cls_ == TagClass::kPrivate) out += "PRIVATE ";
  out += std::to_string(number_);
  out += ']';
  if (constructed_) out += " constructed";
  return out;
}

}  // namespace hpki::der
