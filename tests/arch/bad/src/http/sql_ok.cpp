// Fixture: nothing here is SQL or a raw query (an HTTP method, a query-string parser, an
// English sentence); arch.layers must not report this file.
#include <string_view>

constexpr std::string_view kMethods[] = {"GET", "POST", "DELETE"};
constexpr std::string_view kHint = "select a profile from the list, then update the settings";

auto limit(auto& req) { return query_int(req, "limit"); }
