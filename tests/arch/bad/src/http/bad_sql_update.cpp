// Fixture: a tamper-style UPDATE through a raw call outside src/store/, which arch.layers must
// report.
#include <string_view>

auto tamper(auto* tx) { return tx->exec("UPDATE audit_log SET actor = ? WHERE seq = ?"); }
