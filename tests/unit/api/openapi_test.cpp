// The OpenAPI document and the router describe the same API: every /api/v1 route of the router
// is in the document and every operation of the document is a route (issue 5), and the
// committed docs/openapi.json is the document the server serves.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "api/routes.h"

namespace hpki::api {
namespace {

std::set<std::string> router_operations() {
  ApiContext ctx;  // registration only: handlers are not called
  http::Router router;
  add_api_routes(router, ctx);
  std::set<std::string> ops;
  for (const auto& r : router.routes()) ops.insert(r.method + " " + r.pattern);
  return ops;
}

std::set<std::string> document_operations(const nlohmann::json& doc) {
  std::set<std::string> ops;
  for (const auto& [path, methods] : doc.at("paths").items()) {
    for (const auto& [method, op] : methods.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      ops.insert(m + " " + path);
    }
  }
  return ops;
}

TEST(OpenApi, EveryRouteIsDocumentedAndViceVersa) {
  auto doc = nlohmann::json::parse(openapi_json());
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  auto routes = router_operations();
  auto documented = document_operations(doc);
  EXPECT_EQ(routes, documented);
  EXPECT_GE(routes.size(), 15u);
  // Non-public operations declare security; the document itself is public.
  for (const auto& [path, methods] : doc.at("paths").items()) {
    for (const auto& [method, op] : methods.items()) {
      EXPECT_EQ(op.at("security").empty(), path == "/api/v1/openapi.json") << method << " " << path;
    }
  }
}

TEST(OpenApi, CommittedDocumentIsCurrent) {
  std::ifstream in(std::string(HPKI_SOURCE_DIR) + "/docs/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), openapi_json())
      << "regenerate with: build/bin/hpki openapi > docs/openapi.json";
}

}  // namespace
}  // namespace hpki::api
