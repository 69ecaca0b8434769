// Fixture: SQL text and a raw query call outside src/store/ that arch.layers must report
// (issue 17: the store owns SQL).
#include <string_view>

constexpr std::string_view kFind =
    "SELECT id, role, org "
    "FROM api_keys WHERE hash = ?";

auto find(auto& tx) { return tx.query(kFind); }
