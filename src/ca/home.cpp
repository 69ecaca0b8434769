#include "ca/home.h"

#include <sstream>
#include <tuple>

namespace hpki::ca {

std::filesystem::path config_path(const std::filesystem::path& home) { return home / "hpki.toml"; }

Result<HomeConfig> load_home(const std::filesystem::path& home,
                             const std::filesystem::path& config_file) {
  const auto file = config_file.empty() ? config_path(home) : config_file;
  if (!std::filesystem::exists(file)) {
    return fail(ErrorCode::kConfigMissing,
                "no hpki home at '" + home.string() +
                    "' (no hpki.toml); create one with `hpki ca init --home " + home.string() +
                    "`");
  }
  auto doc = HPKI_TRY(ConfigDoc::load_file(file));
  HomeConfig h;
  h.home = std::filesystem::absolute(home);
  // [ca]
  auto str = [&](std::string_view key, std::string& out) -> Result<void> {
    if (auto v = HPKI_TRY(doc.get_string(key))) out = *v;
    return {};
  };
  HPKI_TRY(str("ca.organization", h.ca.organization));
  HPKI_TRY(str("ca.country", h.ca.country));
  HPKI_TRY(str("ca.province", h.ca.province));
  HPKI_TRY(str("ca.city", h.ca.city));
  HPKI_TRY(str("ca.base_url", h.ca.base_url));
  if (!h.ca.base_url.starts_with("http://") && !h.ca.base_url.starts_with("https://")) {
    return fail(ErrorCode::kConfigInvalid,
                doc.where("ca.base_url") + ": must be an http:// or https:// URL");
  }
  while (h.ca.base_url.ends_with('/')) h.ca.base_url.pop_back();
  // ca.recovery_grace_seconds (homes made before schema 7) is accepted and has no effect: the
  // upgrade resolves the reservations it was about (ca/upgrade.h).
  if (auto v = HPKI_TRY(doc.get_int("ca.recovery_grace_seconds"))) {
    if (*v < 0 || *v > 86400)
      return fail(ErrorCode::kConfigInvalid, doc.where("ca.recovery_grace_seconds") + ": 0..86400");
  }
  if (auto v = HPKI_TRY(doc.get_int("ca.crl_shards"))) {
    if (*v < 1 || *v > 4096)
      return fail(ErrorCode::kConfigInvalid, doc.where("ca.crl_shards") + ": 1..4096");
    h.ca.crl_shards = static_cast<int>(*v);
  }
  // [ocsp]
  if (auto v = HPKI_TRY(doc.get_int("ocsp.validity_seconds"))) {
    if (*v < 60 || *v > 30 * 86400)
      return fail(ErrorCode::kConfigInvalid, doc.where("ocsp.validity_seconds") + ": 60..2592000");
    h.ocsp.validity_seconds = static_cast<int>(*v);
    h.ocsp.refresh_after_seconds = h.ocsp.validity_seconds / 2;
  }
  if (auto v = HPKI_TRY(doc.get_int("ocsp.refresh_after_seconds"))) {
    if (*v < 1 || *v > h.ocsp.validity_seconds / 2)
      return fail(ErrorCode::kConfigInvalid,
                  doc.where("ocsp.refresh_after_seconds") + ": 1..validity_seconds/2");
    h.ocsp.refresh_after_seconds = static_cast<int>(*v);
  }
  if (auto v = HPKI_TRY(doc.get_int("ocsp.sync_seconds"))) {
    if (*v < 1 || *v > 3600)
      return fail(ErrorCode::kConfigInvalid, doc.where("ocsp.sync_seconds") + ": 1..3600");
    h.ocsp.sync_seconds = static_cast<int>(*v);
  }
  if (auto v = HPKI_TRY(doc.get_int("ocsp.max_on_demand"))) {
    if (*v < 1 || *v > 4096)
      return fail(ErrorCode::kConfigInvalid, doc.where("ocsp.max_on_demand") + ": 1..4096");
    h.ocsp.max_on_demand = static_cast<int>(*v);
  }
  // [crl]
  for (const auto& name : HPKI_TRY(doc.keys_of("crl"))) {
    const std::string key = "crl." + name;
    auto seconds = [&](std::int64_t& out, std::int64_t min, std::int64_t max) -> Result<void> {
      if (auto v = HPKI_TRY(doc.get_int(key))) {
        if (*v < min || *v > max)
          return fail(ErrorCode::kConfigInvalid,
                      doc.where(key) + ": " + std::to_string(min) + ".." + std::to_string(max));
        out = *v;
      }
      return {};
    };
    if (name == "validity_seconds") {
      HPKI_TRY(seconds(h.crl.validity_seconds, 60, 366 * 86400));
    } else if (name == "regenerate_before_seconds") {
      HPKI_TRY(seconds(h.crl.regenerate_before_seconds, 0, 366 * 86400));
    } else if (name == "delta_interval_seconds") {
      HPKI_TRY(seconds(h.crl.delta_interval_seconds, 0, 31 * 86400));
    } else if (name == "check_interval_seconds") {
      HPKI_TRY(seconds(h.crl.check_interval_seconds, 1, 86400));
    } else if (name == "keep") {
      std::int64_t keep = h.crl.keep;
      HPKI_TRY(seconds(keep, 1, 1000));
      h.crl.keep = static_cast<int>(keep);
    } else if (name == "regenerate_on_revoke") {
      if (auto v = HPKI_TRY(doc.get_bool(key))) h.crl.regenerate_on_revoke = *v;
    } else {
      return fail(
          ErrorCode::kConfigInvalid,
          doc.where(key) +
              ": unknown key (validity_seconds, regenerate_before_seconds, "
              "delta_interval_seconds, regenerate_on_revoke, check_interval_seconds, keep)");
    }
  }
  if (h.crl.regenerate_before_seconds >= h.crl.validity_seconds) {
    return fail(ErrorCode::kConfigInvalid, doc.where("crl.regenerate_before_seconds") +
                                               ": must be less than validity_seconds");
  }
  // [evidence]
  for (const auto& name : HPKI_TRY(doc.keys_of("evidence"))) {
    const std::string key = "evidence." + name;
    auto range = [&](std::int64_t& out, std::int64_t min, std::int64_t max) -> Result<void> {
      if (auto v = HPKI_TRY(doc.get_int(key))) {
        if (*v < min || *v > max)
          return fail(ErrorCode::kConfigInvalid,
                      doc.where(key) + ": " + std::to_string(min) + ".." + std::to_string(max));
        out = *v;
      }
      return {};
    };
    if (name == "renew_before_days") {
      HPKI_TRY(range(h.evidence.renew_before_days, 1, 3650));
    } else if (name == "max_age_days") {
      HPKI_TRY(range(h.evidence.max_age_days, 0, 36500));
    } else if (name == "check_interval_seconds") {
      HPKI_TRY(range(h.evidence.check_interval_seconds, 1, 7 * 86400));
    } else {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where(key) +
                      ": unknown key (renew_before_days, max_age_days, check_interval_seconds)");
    }
  }
  // [cosign]
  for (const auto& name : HPKI_TRY(doc.keys_of("cosign"))) {
    const std::string key = "cosign." + name;
    auto number = [&](int& out, std::int64_t min, std::int64_t max) -> Result<void> {
      if (auto v = HPKI_TRY(doc.get_int(key))) {
        if (*v < min || *v > max)
          return fail(ErrorCode::kConfigInvalid,
                      doc.where(key) + ": " + std::to_string(min) + ".." + std::to_string(max));
        out = static_cast<int>(*v);
      }
      return {};
    };
    auto url = [&](std::string& out) -> Result<void> {
      if (auto v = HPKI_TRY(doc.get_string(key))) {
        if (!v->empty() && !v->starts_with("https://") && !v->starts_with("http://"))
          return fail(ErrorCode::kConfigInvalid, doc.where(key) + ": an http(s):// URL");
        out = *v;
      }
      return {};
    };
    if (name == "base_url") {
      HPKI_TRY(url(h.cosign.base_url));
    } else if (name == "notify_url") {
      HPKI_TRY(url(h.cosign.notify_url));
    } else if (name == "callback_prefixes") {
      if (auto v = HPKI_TRY(doc.get_string_list(key))) h.cosign.callback_prefixes = *v;
    } else if (name == "max_pin_failures") {
      HPKI_TRY(number(h.cosign.max_pin_failures, 1, 20));
    } else if (name == "decrypt_per_hour") {
      HPKI_TRY(number(h.cosign.decrypt_per_hour, 1, 10000));
    } else if (name == "reenroll") {
      if (auto v = HPKI_TRY(doc.get_string(key))) {
        if (*v != "revoke" && *v != "keep")
          return fail(ErrorCode::kConfigInvalid, doc.where(key) + ": \"revoke\" or \"keep\"");
        h.cosign.reenroll = *v;
      }
    } else {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where(key) +
                      ": unknown key (base_url, notify_url, callback_prefixes, "
                      "max_pin_failures, decrypt_per_hour, reenroll)");
    }
  }
  // [x509]
  h.build.base_url = h.ca.base_url;
  std::string style = "implicit";
  HPKI_TRY(str("x509.identify_code_tagging", style));
  if (style == "implicit") {
    h.build.identify_code_style = x509::TagStyle::kImplicit;
  } else if (style == "explicit") {
    h.build.identify_code_style = x509::TagStyle::kExplicit;
  } else {
    return fail(ErrorCode::kConfigInvalid,
                doc.where("x509.identify_code_tagging") + ": implicit or explicit");
  }
  if (auto v = HPKI_TRY(doc.get_bool("x509.gmt0015_2023"))) h.build.gmt0015_2023 = *v;
  for (const auto& name : HPKI_TRY(doc.keys_of("x509.health_oids"))) {
    std::string key = "x509.health_oids." + name;
    auto v = HPKI_TRY(doc.get_string(key));
    if (name != "staff_no" && name != "licence_no" && name != "institution_code") {
      return fail(ErrorCode::kConfigInvalid,
                  doc.where(key) + ": unknown identifier (staff_no, licence_no, institution_code)");
    }
    auto oid = der::Oid::from_string(v.value_or(""));
    if (!oid) return fail(ErrorCode::kConfigInvalid, doc.where(key) + ": " + oid.error().detail());
    h.build.health_oids[name] = *oid;
  }
  // [audit]
  std::string hash = "sm3";
  HPKI_TRY(str("audit.hash", hash));
  if (hash == "sm3") {
    h.audit_hash = crypto::HashAlg::kSm3;
  } else if (hash == "sha256") {
    h.audit_hash = crypto::HashAlg::kSha256;
  } else {
    return fail(ErrorCode::kConfigInvalid, doc.where("audit.hash") + ": sm3 or sha256");
  }
  // [tsa]
  HPKI_TRY(str("tsa.policy", h.tsa.policy));
  if (auto oid = der::Oid::from_string(h.tsa.policy); !oid)
    return fail(ErrorCode::kConfigInvalid, doc.where("tsa.policy") + ": " + oid.error().detail());
  for (auto [key, out, max] : {std::tuple{"tsa.accuracy_seconds", &h.tsa.accuracy_seconds, 3600},
                               std::tuple{"tsa.accuracy_millis", &h.tsa.accuracy_millis, 999},
                               std::tuple{"tsa.accuracy_micros", &h.tsa.accuracy_micros, 999}}) {
    if (auto v = HPKI_TRY(doc.get_int(key))) {
      if (*v < 0 || *v > max)
        return fail(ErrorCode::kConfigInvalid, doc.where(key) + ": 0.." + std::to_string(max));
      *out = static_cast<int>(*v);
    }
  }
  // genTime is written in whole seconds (the time truncated): the real time of a token lies up
  // to a second after it, so a stated accuracy below one second would be false.
  if (h.tsa.accuracy_seconds == 0 && (h.tsa.accuracy_millis != 0 || h.tsa.accuracy_micros != 0)) {
    return fail(ErrorCode::kConfigInvalid,
                doc.where("tsa.accuracy_seconds") +
                    ": an accuracy below 1 second cannot be met (genTime has whole seconds); "
                    "use accuracy_seconds >= 1, or all three 0 to omit the accuracy");
  }
  if (auto v = HPKI_TRY(doc.get_bool("tsa.tsa_name"))) h.tsa.tsa_name = *v;
  // [organizations."<name>"]
  for (auto& [org, lists] : HPKI_TRY(doc.string_lists_by_table("organizations", {"dns", "ip"}))) {
    OrganizationSettings o;
    o.dns = std::move(lists["dns"]);
    o.ip = std::move(lists["ip"]);
    auto permitted = x509::parse_permitted_names(o.dns, o.ip);
    if (!permitted) {
      return fail(ErrorCode::kConfigInvalid,
                  doc.source() + ": organizations.\"" + org + "\": " + permitted.error().detail());
    }
    o.permitted = std::move(*permitted);
    h.organizations.emplace(org, std::move(o));
  }
  h.base = HPKI_TRY(read_config(doc, {"ocsp", "crl", "api", "serve", "cosign", "evidence"}));
  if (h.base.database.url.starts_with("sqlite:")) {
    std::filesystem::path p = h.base.database.url.substr(7);
    if (p.is_relative()) p = h.home / p;
    h.database_url = "sqlite:" + p.string();
  } else {
    h.database_url = h.base.database.url;
  }
  h.keys_dir = std::filesystem::path(h.base.keystore.dir).is_relative()
                   ? h.home / h.base.keystore.dir
                   : std::filesystem::path(h.base.keystore.dir);
  h.profiles_dir = h.home / "profiles";
  return h;
}

namespace {
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string initial_config(const InitOptions& o) {
  std::ostringstream s;
  s << "# hpki configuration (created by `hpki ca init`). See config/hpki.example.toml.\n\n"
    << "[server]\napi_listen = \"127.0.0.1:8443\"\nhttp_listen = \"127.0.0.1:8080\"\n\n"
    << "[database]\nurl = " << quote(o.database_url.empty() ? "sqlite:hpki.db" : o.database_url)
    << "\n\n"
    << "[keystore]\n# RSA/ECDSA CA keys: \"file\" (encrypted PKCS#8 under keys/) or \"pkcs11\" (an "
       "HSM).\n"
    << "# SM2 keys always use the file key store unless the token supports SM2.\n"
    << "type = " << quote(o.keystore_type)
    << "\ndir = \"keys\"\npassphrase_env = \"HPKI_PASSPHRASE\"\n";
  if (!o.passphrase_file.empty()) {
    s << "# DEMO ONLY: the passphrase is stored next to the keys. Production uses HPKI_PASSPHRASE\n"
      << "# from a secret store, or an HSM.\npassphrase_file = " << quote(o.passphrase_file)
      << "\n";
  }
  if (o.keystore_type == "pkcs11") {
    s << "pkcs11_module = " << quote(o.pkcs11_module)
      << "\npkcs11_token = " << quote(o.pkcs11_token) << "\npkcs11_pin_env = \"HPKI_PKCS11_PIN\"\n";
  }
  s << "\n[log]\nlevel = \"info\"\nformat = \"text\"\n\n"
    << "[sm2]\ndistinguishing_id = \"1234567812345678\"\n\n"
    << "[ca]\norganization = " << quote(o.organization)
    << "\ncountry = \"CN\"\nbase_url = " << quote(o.base_url) << "\ncrl_shards = " << o.crl_shards
    << "\n\n"
    << "[crl]\n# CRL publication (docs/operations.md \"CRLs\"); times in seconds.\n"
    << "validity_seconds = 604800\nregenerate_before_seconds = 259200\n"
    << "delta_interval_seconds = 3600\nregenerate_on_revoke = true\n\n"
    << "[x509]\n# GM/T 0015 IdentifyCode tagging (the standard leaves it open): implicit | "
       "explicit\n"
    << "identify_code_tagging = \"implicit\"\ngmt0015_2023 = false\n"
    << "# Health-system identifier extensions: the OIDs of the health certificate format spec are\n"
    << "# not public; configure the ones your platform requires, e.g.\n"
    << "# [x509.health_oids]\n# staff_no = \"1.2.156.xxxx.1\"\n# licence_no = \"1.2.156.xxxx.2\"\n"
    << "# institution_code = \"1.2.156.xxxx.3\"\n\n"
    << "[audit]\n# Hash of the audit chain: sm3 | sha256\nhash = "
    << quote(o.audit_hash == crypto::HashAlg::kSha256 ? "sha256" : "sm3") << "\n\n"
    << "[tsa]\n# RFC 3161 TSA: the TSAPolicyId in every token (use your organization's OID) and\n"
    << "# the accuracy of genTime.\npolicy = \"1.3.6.1.4.1.59999.3161.1\"\naccuracy_seconds = 1\n"
    << "accuracy_millis = 0\naccuracy_micros = 0\ntsa_name = true\n\n"
    << "# The DNS names and IP addresses (ranges) that an organization's device and SSL\n"
    << "# certificates may name (docs/operations.md \"Organizations\"); an organization without "
       "an\n"
    << "# entry gets none certified.\n";
  auto list = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + quote(v[i]);
    return out + "]";
  };
  if (o.organization_dns.empty() && o.organization_ip.empty()) s << "# ";
  s << "[organizations." << quote(o.organization) << "]\n";
  if (o.organization_dns.empty() && o.organization_ip.empty()) {
    s << "# dns = [\"example-hospital.cn\"]\n# ip = [\"10.20.0.0/16\"]\n";
  } else {
    s << "dns = " << list(o.organization_dns) << "\nip = " << list(o.organization_ip) << "\n";
  }
  return s.str();
}

}  // namespace hpki::ca
