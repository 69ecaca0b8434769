// Fixture: the store owns SQL; its statements and raw calls are allowed here.
#include <string_view>

constexpr std::string_view kGet = "SELECT id FROM cas WHERE id = ?";
constexpr std::string_view kDel = "DELETE FROM crls WHERE name = ?";

auto get(auto& conn) { return conn.query(kGet); }
