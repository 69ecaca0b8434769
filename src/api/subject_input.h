// The "subject" object of a request body (issue, modify, subject records): name, org, dept,
// province, city, country, email, dns[], ip[] and the identifiers id_number, staff_no,
// licence_no, org_code, insurance_number, institution_code (all strings; absent = empty).
#pragma once

#include <nlohmann/json.hpp>

#include "ca/ca_service.h"
#include "core/error.h"

namespace hpki::api {

// The subject of request body `j` (empty when `j` has no "subject"); kInvalidArgument naming
// the field for a wrong type.
[[nodiscard]] Result<ca::SubjectInput> subject_from(const nlohmann::json& j);

}  // namespace hpki::api
