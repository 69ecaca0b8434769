#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/random.h"

namespace hpki::cli {
namespace {

// The CLI is run by the CA's operator (with the key-store passphrase): it acts as an admin.
const ca::Requester kCliRequester{"cli", std::string(ca::kAdminRole)};

nlohmann::json status_json(const ca::CertStatusInfo& s) {
  nlohmann::json j{{"serial", s.serial.hex()}, {"ca", s.ca_id}, {"status", s.word()}};
  if (s.reason) j["reason"] = x509::reason_name(*s.reason);
  if (s.revoked_at) j["revoked_at"] = format_rfc3339(*s.revoked_at);
  if (s.invalidity_date) j["invalidity_date"] = format_rfc3339(*s.invalidity_date);
  return j;
}

std::string status_line(const ca::CertStatusInfo& s) {
  std::string out(s.word());
  if (s.status != store::CertStatus::kIssued) {
    if (s.reason) out += " " + std::string(x509::reason_name(*s.reason));
    if (s.revoked_at) out += " " + format_rfc3339(*s.revoked_at);
  }
  return out;
}

struct KeyOut {
  bool keygen = false;
  std::string alg;
  std::string key_out;
  std::string pass_env = "HPKI_KEY_PASSPHRASE";
};

void add_key_options(CLI::App* cmd, KeyOut& k, std::string& csr) {
  cmd->add_option("--csr", csr, "PKCS#10 request (PEM or DER); its proof of possession is checked");
  cmd->add_flag("--keygen", k.keygen, "generate the key on the server");
  cmd->add_option("--alg", k.alg, "key algorithm for --keygen: rsa2048, rsa3072, p256, sm2");
  cmd->add_option(
      "--key-out", k.key_out,
      "where to write the generated key: PKCS#12 (RSA/ECDSA) or encrypted PKCS#8 PEM (SM2)");
  cmd->add_option(
      "--key-passphrase-env", k.pass_env,
      "environment variable holding the passphrase for --key-out (default HPKI_KEY_PASSPHRASE; "
      "if unset a random one is generated and printed once on standard error)");
}

Result<std::optional<ca::KeygenOptions>> keygen_options(Context& ctx, const KeyOut& k,
                                                        bool have_csr) {
  if (!k.keygen) {
    if (!k.alg.empty() || !k.key_out.empty())
      return fail(ErrorCode::kInvalidArgument, "--alg / --key-out need --keygen");
    return std::optional<ca::KeygenOptions>{};
  }
  if (have_csr) return fail(ErrorCode::kInvalidArgument, "give either --csr or --keygen, not both");
  if (k.alg.empty())
    return fail(ErrorCode::kInvalidArgument, "--keygen needs --alg (rsa2048, rsa3072, p256, sm2)");
  if (k.key_out.empty()) return fail(ErrorCode::kInvalidArgument, "--keygen needs --key-out FILE");
  ca::KeygenOptions o;
  o.spec = HPKI_TRY(crypto::parse_key_spec(k.alg));
  const char* env = std::getenv(k.pass_env.c_str());
  if (env != nullptr && *env != '\0') {
    o.passphrase = SecretBytes(std::string_view(env));
  } else {
    auto raw = HPKI_TRY(crypto::random_bytes(15));
    std::string pass = base64url_encode(raw);
    ctx.err << "key passphrase (shown once): " << pass << "\n";
    o.passphrase = SecretBytes(std::string_view(pass));
    secure_wipe(pass.data(), pass.size());
  }
  return std::optional<ca::KeygenOptions>{std::move(o)};
}

Result<int> print_issued(Context& ctx, const ca::IssueResult& r, const std::string& out_path,
                         const KeyOut* k) {
  if (!out_path.empty())
    HPKI_TRY(write_output_file(out_path, as_bytes(pem_encode("CERTIFICATE", r.der))));
  if (r.key_package && k != nullptr) {
    HPKI_TRY(write_output_file(
        k->key_out, *r.key_package, false,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  if (ctx.json) {
    nlohmann::json j{{"serial", r.serial.hex()},
                     {"status", r.status},
                     {"not_after", format_rfc3339(r.not_after)},
                     {"ca", r.ca_id}};
    if (r.key_package) j["key_format"] = r.key_package_format;
    ctx.out << j.dump() << "\n";
  } else {
    ctx.out << r.serial.hex() << "\n";
  }
  return kExitOk;
}

Result<std::optional<TimePoint>> parse_optional_time(const std::string& s) {
  if (s.empty()) return std::optional<TimePoint>{};
  return std::optional<TimePoint>{HPKI_TRY(parse_rfc3339(s))};
}

}  // namespace

void add_cert_commands(CLI::App& app, Context& ctx) {
  auto* cert = app.add_subcommand("cert", "certificates: issue, lifecycle, query");
  cert->require_subcommand(1);
  add_cert_lint_command(*cert, ctx);

  // issue
  {
    struct Args {
      std::string profile, family, csr, out;
      int days = 0;
      KeyOut key;
      SubjectOptions subject;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = cert->add_subcommand(
        "issue", "issue a certificate from a CSR or with a server-generated key");
    cmd->add_option("--profile", a->profile,
                    "certificate profile (staff-sign, staff-enc, org-sign, ssl-server, ...)")
        ->required();
    cmd->add_option("--family", a->family,
                    "CA family: rsa, ecdsa or sm2 (default: from the key type)");
    cmd->add_option("--out", a->out, "write the certificate (PEM) here");
    cmd->add_option("--days", a->days, "validity in days (default: the profile's)")
        ->check(CLI::Range(1, 36500));
    add_key_options(cmd, a->key, a->csr);
    a->subject.add_to(cmd);
    cmd->callback([&ctx, a] {
      run_command(ctx, [&]() -> Result<int> {
        ca::IssueRequest r;
        r.profile = a->profile;
        if (!a->family.empty()) r.family = HPKI_TRY(store::parse_ca_family(a->family));
        if (!a->csr.empty()) r.csr = HPKI_TRY(read_input_file(a->csr, 1024 * 1024));
        r.keygen = HPKI_TRY(keygen_options(ctx, a->key, r.csr.has_value()));
        r.subject = a->subject.to_input();
        if (a->days > 0) r.days = a->days;
        r.requester = {"cli:" + std::string(std::getenv("USER") ? std::getenv("USER") : "unknown"),
                       std::string(ca::kAdminRole)};
        auto rt = HPKI_TRY(open_runtime(ctx));
        auto res = HPKI_TRY(rt->ca().issue(r));
        return print_issued(ctx, res, a->out, &a->key);
      });
    });
  }

  // renew / rekey / modify
  {
    struct Args {
      std::string serial, out, csr;
      int days = 0;
      KeyOut key;
      SubjectOptions subject;
    };
    auto renew = std::make_shared<Args>();
    auto* cmd = cert->add_subcommand(
        "renew", "new certificate for the same key and subject (new serial and validity)");
    cmd->add_option("serial", renew->serial, "serial (hex, any case, colons allowed)")->required();
    cmd->add_option("--days", renew->days, "validity in days (default: the profile's)")
        ->check(CLI::Range(1, 36500));
    cmd->add_option("--out", renew->out, "write the new certificate (PEM) here");
    cmd->callback([&ctx, renew] {
      run_command(ctx, [&]() -> Result<int> {
        auto rt = HPKI_TRY(open_runtime(ctx));
        auto res = HPKI_TRY(rt->ca().renew(
            HPKI_TRY(Serial::parse(renew->serial)),
            renew->days > 0 ? std::optional<int>(renew->days) : std::nullopt, kCliRequester));
        return print_issued(ctx, res, renew->out, nullptr);
      });
    });

    auto rekey = std::make_shared<Args>();
    cmd = cert->add_subcommand("rekey", "new certificate for a new key, same subject");
    cmd->add_option("serial", rekey->serial, "serial of the certificate to re-key")->required();
    cmd->add_option("--out", rekey->out, "write the new certificate (PEM) here");
    add_key_options(cmd, rekey->key, rekey->csr);
    cmd->callback([&ctx, rekey] {
      run_command(ctx, [&]() -> Result<int> {
        std::optional<Bytes> csr;
        if (!rekey->csr.empty()) csr = HPKI_TRY(read_input_file(rekey->csr, 1024 * 1024));
        auto kg = HPKI_TRY(keygen_options(ctx, rekey->key, csr.has_value()));
        if (!csr && !kg)
          return fail(ErrorCode::kInvalidArgument,
                      "rekey needs --csr FILE or --keygen --alg ALG --key-out FILE");
        auto rt = HPKI_TRY(open_runtime(ctx));
        auto res = HPKI_TRY(rt->ca().rekey(HPKI_TRY(Serial::parse(rekey->serial)), csr,
                                           std::move(kg), kCliRequester));
        return print_issued(ctx, res, rekey->out, &rekey->key);
      });
    });

    auto modify = std::make_shared<Args>();
    cmd = cert->add_subcommand(
        "modify", "new certificate with changed subject data; the old one is revoked (superseded)");
    cmd->add_option("serial", modify->serial, "serial of the certificate to modify")->required();
    cmd->add_option("--out", modify->out, "write the new certificate (PEM) here");
    modify->subject.add_to(cmd);
    cmd->callback([&ctx, modify] {
      run_command(ctx, [&]() -> Result<int> {
        auto rt = HPKI_TRY(open_runtime(ctx));
        auto crls = publish_crls_on_change(*rt);
        auto res = HPKI_TRY(rt->ca().modify(HPKI_TRY(Serial::parse(modify->serial)),
                                            modify->subject.to_input(), kCliRequester));
        return print_issued(ctx, res, modify->out, nullptr);
      });
    });
  }

  // revoke / hold / release / status
  {
    struct Args {
      std::string serial, reason = "unspecified", invalidity;
    };
    auto rv = std::make_shared<Args>();
    auto* cmd = cert->add_subcommand("revoke", "revoke a certificate (RFC 5280 reason codes)");
    cmd->add_option("serial", rv->serial, "serial")->required();
    cmd->add_option("--reason", rv->reason,
                    "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
                    "cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise");
    cmd->add_option("--invalidity-date", rv->invalidity,
                    "when the key is known or suspected compromised (RFC 3339)");
    cmd->callback([&ctx, rv] {
      run_command(ctx, [&]() -> Result<int> {
        auto reason = HPKI_TRY(x509::parse_reason(rv->reason));
        auto inv = HPKI_TRY(parse_optional_time(rv->invalidity));
        auto rt = HPKI_TRY(open_runtime(ctx));
        auto crls = publish_crls_on_change(*rt);
        auto s = HPKI_TRY(
            rt->ca().revoke(HPKI_TRY(Serial::parse(rv->serial)), reason, inv, kCliRequester));
        if (ctx.json)
          ctx.out << status_json(s).dump() << "\n";
        else
          ctx.out << status_line(s) << "\n";
        return kExitOk;
      });
    });
    for (const char* name : {"hold", "release", "status"}) {
      auto a = std::make_shared<Args>();
      std::string help = std::string(name) == "hold" ? "suspend a certificate (certificateHold)"
                         : std::string(name) == "release"
                             ? "release a certificate from hold"
                             : "print good, revoked or hold (with reason and time)";
      auto* c = cert->add_subcommand(name, help);
      c->add_option("serial", a->serial, "serial")->required();
      std::string which = name;
      c->callback([&ctx, a, which] {
        run_command(ctx, [&]() -> Result<int> {
          auto rt = HPKI_TRY(open_runtime(ctx));
          auto crls = publish_crls_on_change(*rt);
          ca::CertStatusInfo s;
          if (which == "hold")
            s = HPKI_TRY(rt->ca().hold(HPKI_TRY(Serial::parse(a->serial)), kCliRequester));
          else if (which == "release")
            s = HPKI_TRY(rt->ca().release(HPKI_TRY(Serial::parse(a->serial)), kCliRequester));
          else
            s = HPKI_TRY(rt->ca().status(HPKI_TRY(Serial::parse(a->serial))));
          if (ctx.json)
            ctx.out << status_json(s).dump() << "\n";
          else
            ctx.out << status_line(s) << "\n";
          return kExitOk;
        });
      });
    }
  }

  // show
  {
    auto serial = std::make_shared<std::string>();
    auto pem_out = std::make_shared<bool>(false);
    auto* cmd = cert->add_subcommand("show", "show a certificate's record and status");
    cmd->add_option("serial", *serial, "serial")->required();
    cmd->add_flag("--pem", *pem_out, "print the certificate as PEM");
    cmd->callback([&ctx, serial, pem_out] {
      run_command(ctx, [&]() -> Result<int> {
        auto rt = HPKI_TRY(open_runtime(ctx));
        auto v = HPKI_TRY(rt->ca().show(HPKI_TRY(Serial::parse(*serial))));
        const auto& r = v.record;
        if (*pem_out) {
          if (!r.der)
            return fail(ErrorCode::kBadState,
                        "certificate " + r.serial.hex() + " was never delivered");
          ctx.out << pem_encode("CERTIFICATE", *r.der);
          return kExitOk;
        }
        nlohmann::json j{{"serial", r.serial.hex()},
                         {"ca", r.ca_id},
                         {"subject", r.subject},
                         {"org", r.org},
                         {"dept", r.dept},
                         {"profile", r.profile},
                         {"status", v.status ? std::string(v.status->word())
                                             : std::string(store::to_string(r.status))},
                         {"record_status", store::to_string(r.status)},
                         {"not_before", format_rfc3339(r.not_before)},
                         {"not_after", format_rfc3339(r.not_after)},
                         {"key", r.key_type},
                         {"requested_by", r.requested_by},
                         {"identifiers", v.identifiers_masked}};
        if (v.status && v.status->reason) j["reason"] = x509::reason_name(*v.status->reason);
        if (v.status && v.status->revoked_at)
          j["revoked_at"] = format_rfc3339(*v.status->revoked_at);
        if (ctx.json) {
          ctx.out << j.dump() << "\n";
        } else {
          for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() == "identifiers") {
              for (auto id = it->begin(); id != it->end(); ++id)
                ctx.out << id.key() << ": " << id->get<std::string>() << "\n";
            } else {
              ctx.out << it.key() << ": " << it->get<std::string>() << "\n";
            }
          }
        }
        return kExitOk;
      });
    });
  }

  // list
  {
    struct Args {
      std::string serial, name, org, dept, profile, status, ca, id_number;
      int expiring_days = -1;
      std::int64_t limit = 100, offset = 0;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = cert->add_subcommand("list", "search certificates");
    cmd->add_option("--serial", a->serial, "serial prefix (hex)");
    cmd->add_option("--name", a->name, "subject contains");
    cmd->add_option("--org", a->org, "organization (exact)");
    cmd->add_option("--dept", a->dept, "department (exact)");
    cmd->add_option("--profile", a->profile, "profile");
    cmd->add_option("--status", a->status, "issued, revoked, hold, never_delivered, issuing");
    cmd->add_option("--ca", a->ca, "CA id, e.g. sm2-issuing");
    cmd->add_option("--id-number", a->id_number,
                    "identity-card number (exact, via the keyed hash)");
    cmd->add_option("--expiring-within", a->expiring_days,
                    "days: certificates whose notAfter falls within")
        ->check(CLI::Range(0, 36500));
    cmd->add_option("--limit", a->limit, "page size (default 100)");
    cmd->add_option("--offset", a->offset, "page offset");
    cmd->callback([&ctx, a] {
      run_command(ctx, [&]() -> Result<int> {
        store::CertificateFilter f;
        if (!a->serial.empty()) f.serial_prefix = a->serial;
        f.subject_contains = a->name;
        if (!a->org.empty()) f.org = a->org;
        if (!a->dept.empty()) f.dept = a->dept;
        if (!a->profile.empty()) f.profile = a->profile;
        if (!a->ca.empty()) f.ca_id = a->ca;
        if (!a->status.empty()) f.statuses.push_back(HPKI_TRY(store::parse_cert_status(a->status)));
        f.limit = a->limit;
        f.offset = a->offset;
        auto rt = HPKI_TRY(open_runtime(ctx));
        if (a->expiring_days >= 0) {
          f.not_after_from = rt->clock().now();
          f.not_after_to = rt->clock().now() + std::chrono::days(a->expiring_days);
        }
        std::optional<std::string> id;
        if (!a->id_number.empty()) id = a->id_number;
        auto recs = HPKI_TRY(rt->ca().search(f, id));
        if (ctx.json) {
          nlohmann::json j = nlohmann::json::array();
          for (const auto& r : recs) {
            j.push_back({{"serial", r.serial.hex()},
                         {"ca", r.ca_id},
                         {"status", store::to_string(r.status)},
                         {"profile", r.profile},
                         {"subject", r.subject},
                         {"not_after", format_rfc3339(r.not_after)}});
          }
          ctx.out << j.dump() << "\n";
        } else {
          for (const auto& r : recs) {
            ctx.out << r.serial.hex() << "\t" << store::to_string(r.status) << "\t" << r.profile
                    << "\t" << format_rfc3339(r.not_after) << "\t" << r.subject << "\n";
          }
        }
        return kExitOk;
      });
    });
  }
}

}  // namespace hpki::cli
