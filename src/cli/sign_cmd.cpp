// `hpki sign`, `hpki verify cms` and `hpki key import` (issue 8): signing with a key the home
// holds and verifying CMS signatures with a report (sign/sign_service.h).
//
//   hpki key import --name NAME --in KEY.pem       an organization key into the file key store
//   hpki key register --id ID --ref KEYREF --cert CERT.pem [--chain FILE] --org ORG
//   hpki sign --key ID|KEYREF [--cert CERT.pem] [--chain FILE] --in FILE --out FILE.p7s
//             [--detached | --raw] [--tsa URL [--tsa-cacert PEM]] [--gmt0010]
//   hpki verify cms FILE.p7s [--content FILE] --trust FILE... [--intermediate FILE]...
//             [--crl FILE]... [--require-revocation] [--json]
//
// KEYREF is file:NAME (the home's file key store) or pkcs11:LABEL (the configured token). With
// --tsa the signature gets an RFC 3161 signatureTimeStampToken from that TSA (CAdES-T).
// verify cms exits 0 valid, 1 invalid, 2 usage or input error. With an hpki home (--home,
// $HPKI_HOME or ./hpki-data holding an hpki.toml) a signatureTimeStampToken from a TSA
// certificate of one of its CAs counts only when hpki designated it (its TSA records, issue 16):
// another is reported as tsp.tsa_not_designated and does not set the signing time. Without a
// home the RFC 3161 rules alone apply.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "http/client.h"
#include "revocation/store_designation.h"
#include "sign/key_registry.h"
#include "sign/sign_service.h"
#include "x509/bundle.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::cli {
namespace {

struct SignArgs {
  std::string key, cert, chain, in, out, tsa, tsa_cacert;
  bool detached = false, raw = false, gmt0010 = false;
};

struct VerifyCmsArgs {
  std::string in, content;
  std::vector<std::string> trust, intermediates, crls;
  bool require_revocation = false;
};

struct ImportArgs {
  std::string name, in;
};

struct RegisterArgs {
  std::string id, ref, cert, chain, org;
  bool replace = false;
};

sign::KeyRegistry registry_of(Context& ctx) {
  return sign::KeyRegistry(std::filesystem::path(ctx.home) / "signing-keys");
}

Result<int> run_sign(Context& ctx, const SignArgs& a) {
  if (a.raw && (a.detached || !a.tsa.empty() || a.gmt0010))
    return fail(ErrorCode::kInvalidArgument, "--raw excludes --detached, --tsa and --gmt0010");
  const Bytes data = HPKI_TRY(read_input_file(a.in, sign::kMaxDataSize));
  auto rt = HPKI_TRY(open_runtime(ctx));
  auto key = HPKI_TRY(open_signing_key(ctx, *rt, a.key, a.cert, a.chain));
  const sign::SigningIdentity id = key.identity();
  sign::SignRequest req;
  req.mode =
      a.raw ? sign::Mode::kRaw : (a.detached ? sign::Mode::kCmsDetached : sign::Mode::kCmsAttached);
  req.gmt0010 = a.gmt0010;
  req.signing_time = rt->clock().now();
  if (!a.tsa.empty())
    req.timestamp = sign::timestamp_over_digest(http_digest_timestamp(a.tsa, a.tsa_cacert));
  auto out = HPKI_TRY(sign::sign(data, id, req));
  HPKI_TRY(write_output_file(a.out, out.output));
  ctx.out << "signed (" << sign::mode_name(req.mode) << ", "
          << crypto::signature_alg_name(out.signature_alg) << ")";
  if (out.timestamp_time) ctx.out << ", timestamp " << format_rfc3339(*out.timestamp_time);
  ctx.out << ", written to " << a.out << "\n";
  return kExitOk;
}

Result<int> run_verify_cms(Context& ctx, const VerifyCmsArgs& a) {
  const Bytes input = HPKI_TRY(read_input_file(a.in, x509::cms::kMaxCmsSize));
  // PEM ("-----BEGIN CMS-----" / PKCS7) or DER.
  Bytes der = input;
  if (std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
      text.find("-----BEGIN") != std::string_view::npos) {
    auto blocks = pem_decode_all(text);
    if (!blocks) return fail(blocks.error().with_context(a.in));
    der = blocks->front().data;
  }
  Bytes content;
  sign::VerifyRequest req;
  req.mode = sign::Mode::kCmsAttached;
  req.signature = der;
  if (!a.content.empty()) {
    content = HPKI_TRY(read_input_file(a.content, 1ULL << 32));
    req.content = content;
  }
  sign::TrustSettings t;
  t.anchors = HPKI_TRY(read_certificates(a.trust));
  t.intermediates = HPKI_TRY(read_certificates(a.intermediates));
  t.crls = HPKI_TRY(read_crls(a.crls));
  t.require_revocation = a.require_revocation;
  const SystemClock clock;
  t.now = clock.now();
  // hpki's own TSA designations, when there is a home to read them from.
  auto home_store = HPKI_TRY(open_home_store(ctx, clock));
  std::optional<revocation::StoreDesignationSource> designation;
  if (home_store) t.designation = &designation.emplace(*home_store);
  const auto report = sign::verify(req, t);
  if (report.status == sign::diag::kMalformed)
    return fail(ErrorCode::kMalformed, a.in + ": " + report.detail);
  ctx.out << (ctx.json ? sign::verify_report_json(report) : sign::verify_report_text(report));
  return report.valid ? kExitOk : kExitNegative;
}

Result<int> run_key_import(Context& ctx, const ImportArgs& a) {
  const Bytes pem = HPKI_TRY(read_input_file(a.in, 1024 * 1024));
  auto key = HPKI_TRY(crypto::PrivateKey::from_pem(
      std::string_view(reinterpret_cast<const char*>(pem.data()), pem.size())));
  auto rt = HPKI_TRY(open_runtime(ctx));
  auto ref = HPKI_TRY(rt->file_keys().import_key(key, a.name));
  ctx.out << ref.id << "\n";
  return kExitOk;
}

Result<int> run_key_register(Context& ctx, const RegisterArgs& a) {
  const KeyId ref = HPKI_TRY(KeyId::parse(a.ref));
  auto certs = HPKI_TRY(read_certificates({a.cert}));
  if (!a.chain.empty()) {
    auto more = HPKI_TRY(read_certificates({a.chain}));
    certs.insert(certs.end(), more.begin(), more.end());
  }
  auto rt = HPKI_TRY(open_runtime(ctx));
  auto* store = HPKI_TRY(rt->keys_for(ref));
  const Bytes spki = HPKI_TRY(store->public_key(crypto::to_key_ref(ref)));
  if (spki != certs.front()->spki_der())
    return fail(ErrorCode::kKeyMismatch, a.ref + " is not the key of " + a.cert);
  HPKI_TRY(registry_of(ctx).add({a.id, ref, a.org, certs}, a.replace));
  ctx.out << "registered " << a.id << " (" << a.ref << ", org " << a.org << ")\n";
  return kExitOk;
}

}  // namespace

// An RFC 3161 client (RFC 3161 3.4): the token for `message`, checked to answer the request.
sign::DigestTimestampFn http_digest_timestamp(std::string url, std::string cacert) {
  return [url = std::move(url), cacert = std::move(cacert)](crypto::HashAlg hash,
                                                            BytesView digest) -> Result<Bytes> {
    if (digest.size() != crypto::hash_size(hash))
      return fail(ErrorCode::kInvalidArgument, "the digest has the wrong length");
    x509::tsp::TimeStampReq req;
    req.message_imprint.hash_algorithm = x509::cms::hash_oid(hash);
    req.message_imprint.hashed_message.assign(digest.begin(), digest.end());
    req.cert_req = true;
    Bytes nonce = HPKI_TRY(crypto::random_bytes(8));
    nonce[0] = static_cast<std::uint8_t>((nonce[0] & 0x7F) | 0x40);
    req.nonce = nonce;
    http::ClientOptions opts;
    opts.ca_file = cacert;
    auto resp = HPKI_TRY(http::post(url, "application/timestamp-query",
                                    HPKI_TRY(x509::tsp::encode_request(req)), opts));
    if (resp.status != 200)
      return fail(ErrorCode::kUnavailable, url + " answered HTTP " + std::to_string(resp.status));
    auto parsed = HPKI_TRY(x509::tsp::parse_response(to_bytes(resp.body)));
    if ((parsed.status != x509::tsp::PkiStatus::kGranted &&
         parsed.status != x509::tsp::PkiStatus::kGrantedWithMods) ||
        !parsed.token)
      return fail(ErrorCode::kUnavailable,
                  "the TSA refused: " + std::string(x509::tsp::to_string(parsed.status)));
    auto sd = HPKI_TRY(x509::cms::parse_signed_data(*parsed.token));
    auto info = HPKI_TRY(x509::tsp::parse_tst_info(sd.content.value_or(Bytes{})));
    if (info.nonce != req.nonce)
      return fail(ErrorCode::kBadSignature,
                  "tsp.nonce_mismatch: the reply does not echo the nonce");
    return *parsed.token;
  };
}

Result<SigningKey> open_signing_key(Context& ctx, ca::Runtime& rt, const std::string& key,
                                    const std::string& cert, const std::string& chain) {
  // A registered key id, or a key reference with --cert.
  KeyId key_ref;
  SigningKey out;
  if (key.find(':') == std::string::npos) {
    auto reg = HPKI_TRY(registry_of(ctx).get(key));
    key_ref = reg.key_ref;
    out.certificates = reg.certificates;
    out.org = reg.org;
  } else {
    key_ref = HPKI_TRY(KeyId::parse(key));
  }
  if (!cert.empty()) {
    out.certificates = HPKI_TRY(read_certificates({cert}));
  } else if (out.certificates.empty()) {
    return fail(ErrorCode::kInvalidArgument, "--key " + key + " needs --cert CERT.pem");
  }
  if (!chain.empty()) {
    auto more = HPKI_TRY(read_certificates({chain}));
    out.certificates.insert(out.certificates.end(), more.begin(), more.end());
  }
  auto* store = HPKI_TRY(rt.keys_for(key_ref));
  out.signer =
      HPKI_TRY(store->signer(crypto::to_key_ref(key_ref), std::nullopt, crypto::kSm2DefaultId));
  return out;
}

sign::SigningIdentity SigningKey::identity() const {
  return {signer.get(), certificates.front(),
          std::vector<x509::CertificatePtr>(certificates.begin() + 1, certificates.end())};
}

void add_sign_commands(CLI::App& app, Context& ctx) {
  auto s = std::make_shared<SignArgs>();
  auto* cmd = app.add_subcommand(
      "sign", "sign a file with a key the home holds (CMS SignedData or raw signature)");
  cmd->add_option("--key", s->key,
                  "a registered key id (hpki key register), or a key reference file:NAME / "
                  "pkcs11:LABEL with --cert");
  cmd->add_option("--cert", s->cert,
                  "the key's certificate (PEM or DER; more certificates in "
                  "the file are the chain); optional for a registered key id");
  cmd->add_option("--chain", s->chain, "issuing CA certificates to include");
  cmd->add_option("--in", s->in, "the file to sign");
  cmd->add_option("--out", s->out, "the signature (.p7s, DER)");
  cmd->add_flag("--detached", s->detached, "CMS without the content");
  cmd->add_flag("--raw", s->raw, "a bare signature instead of CMS");
  cmd->add_option("--tsa", s->tsa, "add a signatureTimeStampToken from this TSA URL (CAdES-T)");
  cmd->add_option("--tsa-cacert", s->tsa_cacert,
                  "https:// TSA: trust its server certificate from this PEM file (default: the "
                  "system's trust store)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--gmt0010", s->gmt0010, "GM/T 0010 content-type OIDs");
  add_sign_pdf_command(*cmd, ctx);
  cmd->callback([s, cmd, &ctx] {
    if (!cmd->get_subcommands().empty()) return;  // hpki sign pdf
    run_command(ctx, [&]() -> Result<int> {
      // Required unless a subcommand runs (CLI11 would demand them of `hpki sign pdf` too).
      for (const auto& [name, value] :
           {std::pair{"--key", &s->key}, {"--in", &s->in}, {"--out", &s->out}}) {
        if (value->empty())
          return fail(ErrorCode::kInvalidArgument, std::string(name) + " is required");
      }
      return run_sign(ctx, *s);
    });
  });

  auto k = std::make_shared<ImportArgs>();
  auto* key = app.add_subcommand("key", "keys of the home's file key store");
  key->require_subcommand(1);
  auto* imp = key->add_subcommand("import", "store a private key (PKCS#8 PEM) as file:NAME");
  imp->add_option("--name", k->name, "label (letters, digits, '-', '_', '.')")->required();
  imp->add_option("--in", k->in, "the private key, unencrypted PKCS#8 PEM")->required();
  imp->callback([k, &ctx] { run_command(ctx, [&]() { return run_key_import(ctx, *k); }); });

  auto g = std::make_shared<RegisterArgs>();
  auto* reg = key->add_subcommand(
      "register", "register a key as an organization's signing key (hpki sign, POST /api/v1/sign)");
  reg->add_option("--id", g->id, "the key id used by hpki sign --key and the API")->required();
  reg->add_option("--ref", g->ref, "key reference: file:NAME or pkcs11:LABEL")->required();
  reg->add_option("--cert", g->cert, "the key's certificate (more certificates = chain)")
      ->required();
  reg->add_option("--chain", g->chain, "issuing CA certificates");
  reg->add_option("--org", g->org, "the organization the key signs for")->required();
  reg->add_flag("--replace", g->replace, "replace an existing registration");
  reg->callback([g, &ctx] { run_command(ctx, [&]() { return run_key_register(ctx, *g); }); });
}

void add_verify_cms_command(CLI::App& verify, Context& ctx) {
  auto v = std::make_shared<VerifyCmsArgs>();
  auto* cmd = verify.add_subcommand(
      "cms", "verify a CMS SignedData (exit 0 valid, 1 invalid, 2 usage or input error)");
  cmd->add_option("FILE", v->in, "the signature (DER or PEM)")->required();
  cmd->add_option("--content", v->content, "the content of a detached signature");
  cmd->add_option("--trust", v->trust, "trust anchor certificates")->required();
  cmd->add_option("--intermediate", v->intermediates, "untrusted intermediate certificates");
  cmd->add_option("--crl", v->crls, "CRLs (newest); revocation is judged at the signing time");
  cmd->add_flag("--require-revocation", v->require_revocation,
                "every certificate of the path needs a revocation status");
  cmd->callback([v, &ctx] { run_command(ctx, [&]() { return run_verify_cms(ctx, *v); }); });
}

}  // namespace hpki::cli
