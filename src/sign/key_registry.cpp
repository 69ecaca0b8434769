#include "sign/key_registry.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/pem.h"

namespace hpki::sign {

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '.') return false;
  return std::ranges::all_of(id, [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
  });
}

Result<void> KeyRegistry::add(const RegisteredKey& key, bool replace) const {
  if (!valid_key_id(key.id))
    return fail(ErrorCode::kInvalidArgument, "key id must be 1..64 of [A-Za-z0-9._-]");
  if (key.org.empty()) return fail(ErrorCode::kInvalidArgument, "a signing key needs an --org");
  if (key.key_ref.empty())
    return fail(ErrorCode::kInvalidArgument, "a signing key needs its key id");
  if (key.certificates.empty() || !key.certificates.front())
    return fail(ErrorCode::kInvalidArgument, "a signing key needs its certificate");
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(ErrorCode::kIo, dir_.string() + ": " + ec.message());
  const auto path = dir_ / (key.id + ".json");
  if (!replace && std::filesystem::exists(path))
    return fail(ErrorCode::kAlreadyExists, "signing key " + key.id + " is already registered");
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& c : key.certificates) certs.push_back(pem_encode("CERTIFICATE", c->der()));
  const nlohmann::json j{
      {"id", key.id}, {"key_ref", key.key_ref.str()}, {"org", key.org}, {"certificates", certs}};
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << j.dump(2) << "\n";
    if (!f) return fail(ErrorCode::kIo, "cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::kIo, path.string() + ": " + ec.message());
  return {};
}

Result<RegisteredKey> KeyRegistry::get(std::string_view id) const {
  if (!valid_key_id(id)) return fail(ErrorCode::kNotFound, "no signing key " + std::string(id));
  const auto path = dir_ / (std::string(id) + ".json");
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(ErrorCode::kNotFound, "no signing key " + std::string(id));
  std::string text(kMaxRegistrationSize + 1, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(f.gcount()));
  if (text.size() > kMaxRegistrationSize)
    return fail(ErrorCode::kTooLarge, path.string() + ": registration file too large");
  auto k = parse_registration(id, text);
  if (!k) return fail(k.error().with_context(path.string()));
  return k;
}

Result<RegisteredKey> parse_registration(std::string_view id, std::string_view text) {
  if (text.size() > kMaxRegistrationSize)
    return fail(ErrorCode::kTooLarge, "registration file too large");
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("key_ref") || !j["key_ref"].is_string() ||
      !j.contains("org") || !j["org"].is_string() || !j.contains("certificates") ||
      !j["certificates"].is_array() || j["certificates"].empty())
    return fail(ErrorCode::kMalformed, "not a signing key registration");
  RegisteredKey k;
  k.id = std::string(id);
  auto key = KeyId::parse(j["key_ref"].get<std::string>());
  if (!key) return fail(ErrorCode::kMalformed, "key_ref: " + key.error().detail());
  k.key_ref = std::move(*key);
  k.org = j["org"].get<std::string>();
  for (const auto& c : j["certificates"]) {
    if (!c.is_string()) return fail(ErrorCode::kMalformed, "bad certificate");
    auto der = pem_decode(c.get<std::string>(), "CERTIFICATE");
    if (!der) return fail(der.error());
    auto cert = x509::Certificate::parse(*der);
    if (!cert) return fail(cert.error());
    k.certificates.push_back(*cert);
  }
  return k;
}

Result<std::vector<std::string>> KeyRegistry::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const auto name = e.path().filename().string();
    if (name.ends_with(".json")) {
      auto id = name.substr(0, name.size() - 5);
      if (valid_key_id(id)) out.push_back(id);
    }
  }
  if (ec) return fail(ErrorCode::kIo, dir_.string() + ": " + ec.message());
  std::ranges::sort(out);
  return out;
}

}  // namespace hpki::sign
