#include "core/config.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace hpki {

struct ConfigDoc::Impl {
  toml::table root;
  std::string source;
  std::set<std::string> read;  // dotted keys asked for (leaves or whole subtrees)
};

ConfigDoc::ConfigDoc(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigDoc::ConfigDoc(ConfigDoc&&) noexcept = default;
ConfigDoc& ConfigDoc::operator=(ConfigDoc&&) noexcept = default;
ConfigDoc::~ConfigDoc() = default;

Result<ConfigDoc> ConfigDoc::parse(std::string_view text, std::string source) {
  if (text.size() > kMaxConfigSize) {
    return fail(ErrorCode::kTooLarge, source + ": configuration larger than " +
                                          std::to_string(kMaxConfigSize) + " bytes");
  }
  auto impl = std::make_unique<Impl>();
  impl->source = std::move(source);
  try {
    impl->root = toml::parse(text, impl->source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return fail(ErrorCode::kConfigInvalid, impl->source + ":" + std::to_string(b.line) + ":" +
                                               std::to_string(b.column) + ": " +
                                               std::string(e.description()));
  }
  return ConfigDoc(std::move(impl));
}

Result<ConfigDoc> ConfigDoc::load_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(ErrorCode::kConfigMissing, path.string() + ": " + ec.message());
  if (size > kMaxConfigSize) {
    return fail(ErrorCode::kTooLarge, path.string() + ": configuration larger than " +
                                          std::to_string(kMaxConfigSize) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, path.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path.string());
}

const std::string& ConfigDoc::source() const { return impl_->source; }

std::string ConfigDoc::where(std::string_view key) const {
  std::string out = impl_->source + ": " + std::string(key);
  auto node = impl_->root.at_path(key);
  if (node) {
    const auto& b = node.node()->source().begin;
    if (b.line > 0) {
      out += " (line " + std::to_string(b.line) + ", column " + std::to_string(b.column) + ")";
    }
  }
  return out;
}

namespace {
const char* type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}
}  // namespace

#define HPKI_CONFIG_GET(T, getter, tname)                                              \
  impl_->read.insert(std::string(key));                                                \
  auto node = impl_->root.at_path(key);                                                \
  if (!node) return std::optional<T>{};                                                \
  auto v = node.getter();                                                              \
  if (!v) {                                                                            \
    return fail(ErrorCode::kConfigInvalid,                                             \
                where(key) + ": expected " tname ", found " + type_name(node.type())); \
  }                                                                                    \
  return std::optional<T>{T(**v)};

Result<std::optional<std::string>> ConfigDoc::get_string(std::string_view key){HPKI_CONFIG_GET(
    std::string, as_string,
    "a string")} Result<std::optional<std::int64_t>> ConfigDoc::get_int(std::string_view key){
    HPKI_CONFIG_GET(
        std::int64_t, as_integer,
        "an integer")} Result<std::optional<bool>> ConfigDoc::get_bool(std::string_view key){
    HPKI_CONFIG_GET(bool, as_boolean, "a boolean (true or false)")}
#undef HPKI_CONFIG_GET

Result<std::optional<std::vector<std::string>>> ConfigDoc::get_string_list(std::string_view key) {
  impl_->read.insert(std::string(key));
  auto node = impl_->root.at_path(key);
  if (!node) return std::optional<std::vector<std::string>>{};
  auto* arr = node.as_array();
  if (arr == nullptr) {
    return fail(ErrorCode::kConfigInvalid,
                where(key) + ": expected an array of strings, found " + type_name(node.type()));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto* s = (*arr)[i].as_string();
    if (s == nullptr) {
      return fail(ErrorCode::kConfigInvalid,
                  where(key) + ": element " + std::to_string(i) + " is not a string");
    }
    out.push_back(**s);
  }
  return std::optional<std::vector<std::string>>{std::move(out)};
}

Result<std::vector<std::string>> ConfigDoc::keys_of(std::string_view key) {
  const toml::table* t = &impl_->root;
  if (!key.empty()) {
    impl_->read.insert(std::string(key));
    auto node = impl_->root.at_path(key);
    if (!node) return std::vector<std::string>{};
    t = node.as_table();
    if (t == nullptr) {
      return fail(ErrorCode::kConfigInvalid,
                  where(key) + ": expected a table, found " + type_name(node.type()));
    }
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : *t) out.emplace_back(k.str());
  return out;
}

Result<std::map<std::string, std::map<std::string, std::vector<std::string>>>>
ConfigDoc::string_lists_by_table(std::string_view key,
                                 const std::vector<std::string_view>& leaves) {
  std::map<std::string, std::map<std::string, std::vector<std::string>>> out;
  mark_read(key);
  impl_->read.insert(std::string(key));
  auto node = impl_->root.at_path(key);
  if (!node) return out;
  const toml::table* t = node.as_table();
  if (t == nullptr) {
    return fail(ErrorCode::kConfigInvalid,
                where(key) + ": expected a table, found " + type_name(node.type()));
  }
  auto at = [&](const toml::node& n, const std::string& name) {
    std::string msg = impl_->source + ": " + std::string(key) + ".\"" + name + "\"";
    if (const auto& b = n.source().begin; b.line > 0)
      msg += " (line " + std::to_string(b.line) + ")";
    return msg;
  };
  for (const auto& [name, value] : *t) {
    const std::string table_name(name.str());
    const toml::table* sub = value.as_table();
    if (sub == nullptr) {
      return fail(ErrorCode::kConfigInvalid,
                  at(value, table_name) + ": expected a table, found " + type_name(value.type()));
    }
    auto& lists = out[table_name];
    for (const auto& [leaf, v] : *sub) {
      const std::string leaf_name(leaf.str());
      if (std::find(leaves.begin(), leaves.end(), leaf_name) == leaves.end()) {
        std::string known;
        for (auto l : leaves) known += (known.empty() ? "" : ", ") + std::string(l);
        return fail(ErrorCode::kConfigInvalid,
                    at(v, table_name) + ": unknown key '" + leaf_name + "' (" + known + ")");
      }
      const toml::array* arr = v.as_array();
      if (arr == nullptr) {
        return fail(ErrorCode::kConfigInvalid,
                    at(v, table_name) + "." + leaf_name + ": expected an array of strings");
      }
      auto& list = lists[leaf_name];
      for (const auto& e : *arr) {
        const auto* str = e.as_string();
        if (str == nullptr) {
          return fail(ErrorCode::kConfigInvalid,
                      at(e, table_name) + "." + leaf_name + ": expected an array of strings");
        }
        list.push_back(**str);
      }
    }
  }
  return out;
}

void ConfigDoc::mark_read(std::string_view key) { impl_->read.insert(std::string(key) + ".*"); }

Result<void> ConfigDoc::check_unknown_keys() const {
  std::vector<std::string> unknown;
  auto is_read = [&](const std::string& path) {
    if (impl_->read.contains(path)) return true;
    // Covered by a mark_read() of any prefix.
    for (std::size_t pos = path.find('.'); pos != std::string::npos;
         pos = path.find('.', pos + 1)) {
      if (impl_->read.contains(path.substr(0, pos) + ".*")) return true;
    }
    return impl_->read.contains(path + ".*");
  };
  auto walk = [&](auto&& self, const toml::table& t, const std::string& prefix) -> void {
    for (const auto& [k, v] : t) {
      std::string path =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const auto* sub = v.as_table(); sub != nullptr && !is_read(path)) {
        self(self, *sub, path);
      } else if (!is_read(path)) {
        unknown.push_back(path);
      }
    }
  };
  walk(walk, impl_->root, "");
  if (unknown.empty()) return {};
  std::string msg =
      impl_->source + ": unknown configuration key" + (unknown.size() > 1 ? "s" : "") + ": ";
  for (std::size_t i = 0; i < unknown.size(); ++i) {
    if (i) msg += ", ";
    msg += unknown[i];
    auto node = impl_->root.at_path(unknown[i]);
    if (node && node.node()->source().begin.line > 0) {
      msg += " (line " + std::to_string(node.node()->source().begin.line) + ")";
    }
  }
  return fail(ErrorCode::kConfigInvalid, msg);
}

std::string ListenAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  auto bad = [&](std::string why) {
    return fail(ErrorCode::kInvalidArgument, "listen address '" + std::string(text) + "': " + why +
                                                 " (expected HOST:PORT, e.g. 127.0.0.1:8443)");
  };
  std::string_view host, port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("bad IPv6 form");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("IPv6 hosts must be in brackets");
  }
  if (host.empty()) return bad("empty host");
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '_')) {
      return bad("invalid character in host");
    }
  }
  unsigned value = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

namespace {

template <typename T>
Result<void> set_if(ConfigDoc& doc, std::string_view key, T& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    auto v = HPKI_TRY(doc.get_string(key));
    if (v) out = std::move(*v);
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = HPKI_TRY(doc.get_bool(key));
    if (v) out = *v;
  }
  return {};
}

Result<void> set_listen(ConfigDoc& doc, std::string_view key, ListenAddress& out) {
  auto v = HPKI_TRY(doc.get_string(key));
  if (!v) return {};
  auto a = parse_listen_address(*v);
  if (!a) return fail(ErrorCode::kConfigInvalid, doc.where(key) + ": " + a.error().detail());
  out = std::move(*a);
  return {};
}

Result<void> one_of(ConfigDoc& doc, std::string_view key, const std::string& value,
                    std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed) {
    if (value == a) return {};
  }
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  return fail(ErrorCode::kConfigInvalid,
              doc.where(key) + ": '" + value + "' is not one of: " + list);
}

}  // namespace

Result<RawConfig> read_config(ConfigDoc& doc, const std::set<std::string>& other_sections) {
  RawConfig c;
  HPKI_TRY(set_listen(doc, "server.api_listen", c.server.api_listen));
  HPKI_TRY(set_listen(doc, "server.http_listen", c.server.http_listen));
  if (auto v = HPKI_TRY(doc.get_int("server.max_body_bytes"))) {
    if (*v < 1024 || *v > 256 * 1024 * 1024) {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where("server.max_body_bytes") + ": must be between 1024 and 268435456");
    }
    c.server.max_body_bytes = static_cast<std::size_t>(*v);
  }
  struct Bounded {
    const char* key;
    std::int64_t* out;
    std::int64_t min;
    std::int64_t max;
  };
  for (auto [key, out, min, max] :
       {Bounded{"server.rate_limit_per_second", &c.server.rate_limit_per_second, 1, 10'000'000},
        Bounded{"server.rate_limit_burst", &c.server.rate_limit_burst, 1, 10'000'000},
        Bounded{"server.ip_rate_limit_per_second", &c.server.ip_rate_limit_per_second, 0,
                10'000'000},
        Bounded{"server.ip_rate_limit_burst", &c.server.ip_rate_limit_burst, 1, 10'000'000},
        Bounded{"server.max_connections_per_ip", &c.server.max_connections_per_ip, 0, 1'000'000}}) {
    if (auto v = HPKI_TRY(doc.get_int(key))) {
      if (*v < min || *v > max) {
        return fail(ErrorCode::kConfigInvalid, doc.where(key) + ": must be between " +
                                                   std::to_string(min) + " and " +
                                                   std::to_string(max));
      }
      *out = *v;
    }
  }

  if (auto v = HPKI_TRY(doc.get_int("server.credential_cache_ms"))) {
    if (*v < 0 || *v > 60'000) {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where("server.credential_cache_ms") + ": must be between 0 and 60000");
    }
    c.server.credential_cache_ms = *v;
  }
  if (auto v = HPKI_TRY(doc.get_int("server.issuance_threads"))) {
    if (*v < 0 || *v > 1024) {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where("server.issuance_threads") + ": must be between 0 and 1024");
    }
    c.server.issuance_threads = *v;
  }

  HPKI_TRY(set_if(doc, "database.url", c.database.url));
  if (!c.database.url.starts_with("sqlite:") && !c.database.url.starts_with("postgresql://") &&
      !c.database.url.starts_with("postgres://")) {
    return fail(ErrorCode::kConfigInvalid,
                doc.where("database.url") + ": must start with 'sqlite:' or 'postgresql://'");
  }
  if (c.database.url == "sqlite:") {
    return fail(ErrorCode::kConfigInvalid, doc.where("database.url") + ": empty SQLite path");
  }

  HPKI_TRY(set_if(doc, "keystore.type", c.keystore.type));
  HPKI_TRY(one_of(doc, "keystore.type", c.keystore.type, {"file", "pkcs11"}));
  HPKI_TRY(set_if(doc, "keystore.dir", c.keystore.dir));
  HPKI_TRY(set_if(doc, "keystore.passphrase_env", c.keystore.passphrase_env));
  HPKI_TRY(set_if(doc, "keystore.passphrase_file", c.keystore.passphrase_file));
  HPKI_TRY(set_if(doc, "keystore.pkcs11_module", c.keystore.pkcs11_module));
  HPKI_TRY(set_if(doc, "keystore.pkcs11_token", c.keystore.pkcs11_token));
  HPKI_TRY(set_if(doc, "keystore.pkcs11_pin_env", c.keystore.pkcs11_pin_env));
  if (c.keystore.type == "pkcs11") {
    if (c.keystore.pkcs11_module.empty() || c.keystore.pkcs11_token.empty()) {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where("keystore") + ": type 'pkcs11' needs pkcs11_module and pkcs11_token");
    }
    if (!std::filesystem::exists(c.keystore.pkcs11_module)) {
      return fail(ErrorCode::kConfigInvalid, doc.where("keystore.pkcs11_module") + ": file '" +
                                                 c.keystore.pkcs11_module + "' does not exist");
    }
  }

  HPKI_TRY(set_if(doc, "log.level", c.log.level));
  HPKI_TRY(
      one_of(doc, "log.level", c.log.level, {"trace", "debug", "info", "warn", "error", "off"}));
  HPKI_TRY(set_if(doc, "log.format", c.log.format));
  HPKI_TRY(one_of(doc, "log.format", c.log.format, {"text", "json"}));

  HPKI_TRY(set_if(doc, "sm2.distinguishing_id", c.sm2.distinguishing_id));
  HPKI_TRY(set_if(doc, "sm2.allow_nonstandard_id", c.sm2.allow_nonstandard_id));
  if (c.sm2.distinguishing_id.empty()) {
    return fail(ErrorCode::kConfigInvalid,
                doc.where("sm2.distinguishing_id") +
                    ": must not be empty (GM/T 0009 default is 1234567812345678)");
  }
  if (c.sm2.distinguishing_id.size() > 8191) {
    return fail(ErrorCode::kConfigInvalid, doc.where("sm2.distinguishing_id") + ": too long");
  }
  if (c.sm2.distinguishing_id != "1234567812345678" && !c.sm2.allow_nonstandard_id) {
    return fail(ErrorCode::kConfigInvalid,
                doc.where("sm2.distinguishing_id") +
                    ": differs from the GM/T 0009 default 1234567812345678; set "
                    "sm2.allow_nonstandard_id = true if this is really wanted");
  }

  for (const auto& s : other_sections) doc.mark_read(s);
  HPKI_TRY(doc.check_unknown_keys());
  return c;
}

Result<RawConfig> load_config(const std::filesystem::path& path,
                              const std::set<std::string>& other_sections) {
  auto doc = HPKI_TRY(ConfigDoc::load_file(path));
  return read_config(doc, other_sections);
}

}  // namespace hpki
