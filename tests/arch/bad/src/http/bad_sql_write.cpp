// Fixture: a multi-row write with its SQL outside src/store/, which arch.layers must report.
#include <string_view>

constexpr std::string_view kHead = "INSERT INTO ocsp_responses (ca_id, serial, der)";

auto write(auto& tx, auto values) { return exec_rows(tx, kHead, 3, values); }
