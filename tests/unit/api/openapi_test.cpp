// The route table, the router and the OpenAPI document describe the same API (issue 5; issue 17
// made one table drive both): every entry of api_routes() is a route of the router and an
// operation of the document with the entry's summary, permission, request schema and success
// status, and nothing else is; every schema the document references is defined; the committed
// docs/openapi.json is the document the server serves.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "api/cosign_routes.h"
#include "api/openapi.h"
#include "api/route_table.h"
#include "api/routes.h"

namespace hpki::api {
namespace {

std::string op_name(std::string_view method, std::string_view pattern) {
  return std::string(method) + " " + std::string(pattern);
}

std::set<std::string> table_operations() {
  std::set<std::string> ops;
  for (const auto& r : api_routes()) ops.insert(op_name(r.method, r.pattern));
  return ops;
}

std::set<std::string> router_operations() {
  ApiContext ctx;  // registration only: handlers are not called
  http::Router router;
  add_api_routes(router, ctx);
  std::set<std::string> ops;
  for (const auto& r : router.routes()) ops.insert(op_name(r.method, r.pattern));
  return ops;
}

std::set<std::string> document_operations(const nlohmann::json& doc) {
  std::set<std::string> ops;
  for (const auto& [path, methods] : doc.at("paths").items()) {
    for (const auto& [method, op] : methods.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      ops.insert(op_name(m, path));
    }
  }
  return ops;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

TEST(OpenApi, TableRouterAndDocumentAreTheSameOperations) {
  auto doc = nlohmann::json::parse(openapi_json());
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  const auto table = table_operations();
  EXPECT_EQ(table.size(), api_routes().size()) << "a (method, pattern) appears twice";
  EXPECT_EQ(router_operations(), table);
  // The document also lists mobile co-signing's phone and PC routes (issue 19), which are not
  // API-key routes of the table.
  auto with_phone = table;
  for (const auto& r : cosign_phone_route_docs()) with_phone.insert(op_name(r.method, r.pattern));
  EXPECT_EQ(with_phone.size(), table.size() + cosign_phone_route_docs().size());
  EXPECT_EQ(document_operations(doc), with_phone);
  EXPECT_GE(table.size(), 15u);
}

TEST(OpenApi, PhoneRoutesDeclareHowTheyAreAuthenticated) {
  auto doc = nlohmann::json::parse(openapi_json());
  for (const auto& r : cosign_phone_route_docs()) {
    const auto& op = doc.at("paths").at(std::string(r.pattern)).at(lower(r.method));
    EXPECT_EQ(op.at("x-hpki-auth"), r.auth) << r.pattern;
    EXPECT_EQ(op.at("security").empty(), r.auth != "device-token") << r.pattern;
  }
}

TEST(OpenApi, EachOperationIsItsTableEntry) {
  auto doc = nlohmann::json::parse(openapi_json());
  ApiContext ctx;
  http::Router router;
  add_api_routes(router, ctx);
  for (const auto& r : api_routes()) {
    const auto what = op_name(r.method, r.pattern);
    const auto& op = doc.at("paths").at(std::string(r.pattern)).at(lower(r.method));
    EXPECT_EQ(op.at("summary"), r.summary) << what;
    EXPECT_TRUE(op.at("responses").contains(std::to_string(r.success))) << what;
    // Non-public operations declare security and their permission; the document is public.
    EXPECT_EQ(op.at("security").empty(), !r.permission.has_value()) << what;
    EXPECT_EQ(r.permission.has_value(), !std::holds_alternative<PublicFn>(r.handler))
        << what << ": a public handler exactly for a route without permission";
    if (r.permission) {
      EXPECT_EQ(op.at("x-hpki-permission"), auth::to_string(*r.permission)) << what;
    }
    if (r.request_schema.empty()) {
      EXPECT_FALSE(op.contains("requestBody")) << what;
    } else {
      EXPECT_EQ(op.at("requestBody").at("content").at("application/json").at("schema").at("$ref"),
                "#/components/schemas/" + std::string(r.request_schema))
          << what;
    }
    // The router's options come from the entry too.
    const auto m = router.match(r.method, r.pattern);
    ASSERT_EQ(m.kind, http::RouteMatch::Kind::kFound) << what;
    EXPECT_EQ(m.route->options.summary, r.summary) << what;
    EXPECT_EQ(m.route->options.public_route, !r.permission.has_value()) << what;
    EXPECT_EQ(m.async != nullptr, std::holds_alternative<GuardedAsyncFn>(r.handler)) << what;
  }
}

// Every "$ref" of the document names a schema of components/schemas.
TEST(OpenApi, EveryReferenceResolves) {
  auto doc = nlohmann::json::parse(openapi_json());
  const auto& schemas = doc.at("components").at("schemas");
  std::set<std::string> refs;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        if (k == "$ref" && v.is_string()) refs.insert(v.get<std::string>());
        walk(v);
      }
    } else if (j.is_array()) {
      for (const auto& v : j) walk(v);
    }
  };
  walk(doc);
  EXPECT_FALSE(refs.empty());
  const std::string prefix = "#/components/schemas/";
  for (const auto& ref : refs) {
    ASSERT_TRUE(ref.starts_with(prefix)) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(prefix.size()))) << ref << " is not defined";
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
