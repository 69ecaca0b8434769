#include "api/subject_input.h"

#include <string>
#include <string_view>

#include "api/json_fields.h"

namespace hpki::api {

Result<ca::SubjectInput> subject_from(const nlohmann::json& j) {
  ca::SubjectInput in;
  if (!j.contains("subject")) return in;
  const nlohmann::json& s = j.at("subject");
  if (!s.is_object()) return fail(ErrorCode::kInvalidArgument, "'subject' must be an object");
  auto& d = in.data;
  d.common_name = HPKI_TRY(string_field(s, "name"));
  d.organization = HPKI_TRY(string_field(s, "org"));
  d.department = HPKI_TRY(string_field(s, "dept"));
  d.province = HPKI_TRY(string_field(s, "province"));
  d.city = HPKI_TRY(string_field(s, "city"));
  d.country = HPKI_TRY(string_field(s, "country"));
  if (auto e = HPKI_TRY(string_field(s, "email")); !e.empty()) d.emails.push_back(e);
  for (const char* list : {"dns", "ip"}) {
    if (!s.contains(list)) continue;
    if (!s.at(list).is_array())
      return fail(ErrorCode::kInvalidArgument, std::string("'") + list + "' must be an array");
    for (const auto& v : s.at(list)) {
      if (!v.is_string())
        return fail(ErrorCode::kInvalidArgument,
                    std::string("'") + list + "' entries must be strings");
      (std::string_view(list) == "dns" ? d.dns_names : d.ip_addresses)
          .push_back(v.get<std::string>());
    }
  }
  for (const char* id : {"id_number", "staff_no", "licence_no", "org_code", "insurance_number",
                         "institution_code"}) {
    if (auto v = HPKI_TRY(string_field(s, id)); !v.empty()) d.identifiers[id] = v;
  }
  return in;
}

}  // namespace hpki::api
