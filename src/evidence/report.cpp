#include "evidence/report.h"

namespace hpki::evidence {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kInvalid:
      return "invalid";
    case Verdict::kIndeterminate:
      return "indeterminate";
  }
  return "indeterminate";
}

}  // namespace hpki::evidence
