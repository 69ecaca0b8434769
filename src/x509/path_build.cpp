// Path building for path validation (detail/path_build.h).
#include "x509/detail/path_build.h"

#include <algorithm>

#include "der/oids.h"
#include "x509/diag.h"

namespace hpki::x509::detail {
namespace {

Result<void> check_signature_with(PathContext& ctx, BytesView spki, BytesView tbs,
                                  const AlgorithmIdentifier& sig_alg,
                                  const AlgorithmIdentifier& tbs_alg, BytesView signature) {
  if (sig_alg.der != tbs_alg.der)
    return fail(ErrorCode::kBadCertificate, "signatureAlgorithm differs from the TBS signature");
  auto alg = HPKI_TRY(signature_alg_from(sig_alg));
  if (ctx.options.key_policy.cache != nullptr) {
    // Keys and successful checks remembered across validations (crypto/signature_cache.h).
    return crypto::verify_signature(spki, alg, tbs, signature, ctx.options.sm2_id,
                                    ctx.options.key_policy);
  }
  Bytes key_der(spki.begin(), spki.end());
  auto it = ctx.keys.find(key_der);
  if (it == ctx.keys.end()) {
    auto key = crypto::PublicKey::from_spki(spki, ctx.options.key_policy);
    it = ctx.keys.emplace(key_der, key ? std::optional(*key) : std::nullopt).first;
    if (!key) return fail(key.error());
  }
  if (!it->second) return fail(ErrorCode::kUnsupportedAlgorithm, "issuer public key is not usable");
  return it->second->verify(alg, tbs, signature, ctx.options.sm2_id);
}

std::optional<Bytes> ski_of(const Certificate& c) {
  if (const Extension* e = c.find_extension(der::oids::kSubjectKeyIdentifier)) {
    if (auto v = parse_subject_key_identifier(e->value)) return *v;
  }
  return std::nullopt;
}

std::optional<Bytes> aki_of(const Certificate& c) {
  if (const Extension* e = c.find_extension(der::oids::kAuthorityKeyIdentifier)) {
    if (auto v = parse_authority_key_identifier(e->value)) return v->key_id;
  }
  return std::nullopt;
}

bool same_certificate(const Certificate& a, const Certificate& b) { return a.der() == b.der(); }

void note_signature_failure(PathContext& ctx, const CertificatePtr& subject, const Error& e) {
  if (!ctx.signature_failure) ctx.signature_failure = {subject, e};
}

// RFC 5280 6.1.3 (a)(4): `cur` has no issuer candidate by name. A certificate whose
// subjectKeyIdentifier is `cur`'s authorityKeyIdentifier and whose key verifies `cur`'s
// signature, under a subject other than `cur`'s issuer, is remembered for the report (one
// signature check per such certificate).
void note_issuer_mismatch(PathContext& ctx, const CertificatePtr& cur,
                          const std::optional<Bytes>& aki) {
  if (!aki || ctx.issuer_mismatch || cur->issuer().empty()) return;
  for (const auto* pool : {&ctx.anchors, &ctx.intermediates}) {
    for (const auto& c : *pool) {
      if (ski_of(*c) != aki || names_match(c->subject(), cur->issuer())) continue;
      if (!edge_signature(ctx, *cur, *c)) continue;
      ctx.issuer_mismatch = {cur, "issuer " + to_string(cur->issuer()) +
                                      " does not match the subject " + to_string(c->subject()) +
                                      " of the certificate whose key signed it"};
      return;
    }
  }
}

// Depth-first path building (RFC 4158 in spirit): anchors before intermediates, candidates with
// a matching key identifier first; stops at the first valid path or when the budget is spent.
bool build(PathContext& ctx, std::vector<CertificatePtr>& chain) {
  if (ctx.paths >= ctx.options.max_paths ||
      ctx.signature_checks >= ctx.options.max_signature_checks) {
    ctx.budget_exceeded = true;
    return false;
  }
  const Certificate& cur = *chain.back();
  if (cur.issuer().empty()) ctx.issuer_empty = true;
  const std::optional<Bytes> aki = aki_of(cur);
  auto rank = [&](const CertificatePtr& c) {
    if (!aki) return 1;
    auto ski = ski_of(*c);
    if (!ski) return 1;
    return *ski == *aki ? 0 : 2;
  };
  auto candidates = [&](const std::vector<CertificatePtr>& pool) {
    std::vector<CertificatePtr> out;
    for (const auto& c : pool) {
      if (names_match(c->subject(), cur.issuer())) out.push_back(c);
    }
    std::stable_sort(out.begin(), out.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    return out;
  };

  const auto anchor_candidates = candidates(ctx.anchors);
  const auto intermediate_candidates = candidates(ctx.intermediates);
  if (anchor_candidates.empty() && intermediate_candidates.empty())
    note_issuer_mismatch(ctx, chain.back(), aki);
  for (const auto& anchor : anchor_candidates) {
    const auto& sig = edge_signature(ctx, cur, *anchor);
    if (!sig) {
      note_signature_failure(ctx, chain.back(), sig.error());
      continue;
    }
    chain.push_back(anchor);
    ++ctx.paths;
    PathReport rep = process_path(ctx, chain);
    chain.pop_back();
    if (rep.valid) {
      ctx.best = std::move(rep);
      return true;
    }
    if (!ctx.best) ctx.best = std::move(rep);
  }
  // The depth limit counts intermediates that are not self-issued (the target, chain[0], is
  // not an intermediate): a key-rollover certificate is no extra logical CA.
  std::size_t depth = 0;
  for (std::size_t k = 1; k < chain.size(); ++k)
    depth += names_match(chain[k]->issuer(), chain[k]->subject()) ? 0 : 1;
  const bool next_self_issued_only = depth >= ctx.options.max_depth;
  for (const auto& next : intermediate_candidates) {
    // Loops: a certificate (or the same name and key) at most once per path; a pool copy of
    // an anchor is the anchor.
    bool skip = false;
    for (const auto& c : chain) {
      skip = skip || same_certificate(*c, *next) ||
             (names_match(c->subject(), next->subject()) && c->spki_der() == next->spki_der());
    }
    for (const auto& a : ctx.anchors) skip = skip || same_certificate(*a, *next);
    if (skip) {
      ctx.cycle_cut = true;
      continue;
    }
    // At the depth limit only a self-issued certificate may follow.
    if (next_self_issued_only && !names_match(next->issuer(), next->subject())) {
      ctx.depth_limited = true;
      continue;
    }
    const auto& sig = edge_signature(ctx, cur, *next);
    if (!sig) {
      note_signature_failure(ctx, chain.back(), sig.error());
      continue;
    }
    chain.push_back(next);
    const bool found = build(ctx, chain);
    chain.pop_back();
    if (found) return true;
    if (ctx.budget_exceeded) return false;
  }
  return false;
}

}  // namespace

SignatureFinding signature_finding(const Certificate& subject, const Error& e) {
  const std::string_view status =
      e.code() == ErrorCode::kBadSignature ? diag::kSignatureInvalid : diag::kUnsupportedAlgorithm;
  // RFC 5280 4.1.1.2: signatureAlgorithm MUST be identical to tbsCertificate.signature.
  if (subject.signature_algorithm().der != subject.tbs_signature_algorithm().der)
    return {status, diag::lint::kSignatureAlgorithmMismatch};
  if (!signature_alg_from(subject.signature_algorithm())) {
    // CA/B BR 7.1.3.2.1 / Mozilla RSP 5.1.3: no SHA-1 (hpki refuses it under every rule set).
    const auto& oid = subject.signature_algorithm().oid;
    if (oid == der::oids::kSha1WithRsaEncryption || oid == der::oids::kEcdsaWithSha1)
      return {status, diag::path_rule::kCabfNoSha1};
    // RFC 5280 4.1.1.2: a supported algorithm with correct parameters.
    return {status, diag::lint::kSignatureAlgorithmUnsupported};
  }
  return {status, status};
}

const Result<void>& edge_signature(PathContext& ctx, const Certificate& subject,
                                   const Certificate& issuer) {
  auto key = std::make_pair(&subject, &issuer);
  auto it = ctx.signatures.find(key);
  if (it != ctx.signatures.end()) return it->second;
  ++ctx.signature_checks;
  auto r =
      check_signature_with(ctx, issuer.spki_der(), subject.tbs_der(), subject.signature_algorithm(),
                           subject.tbs_signature_algorithm(), subject.signature());
  return ctx.signatures.emplace(key, std::move(r)).first->second;
}

PathReport build_and_validate(PathContext& ctx, const CertificatePtr& target) {
  const PathOptions& o = ctx.options;
  std::vector<CertificatePtr> chain{target};
  build(ctx, chain);
  if (ctx.best) {
    ctx.best->paths_tried = ctx.paths;
    return *ctx.best;
  }
  PathReport rep;
  rep.at = o.at;
  rep.rules = o.rules;
  rep.chain.push_back(CertificateReport{target, "target", std::nullopt, {}});
  if (ctx.budget_exceeded) {
    rep.status = diag::kPathBudgetExceeded;
    rep.detail =
        "path building gave up after " + std::to_string(ctx.signature_checks) + " signature checks";
  } else if (ctx.depth_limited) {
    rep.status = diag::kMaxDepthExceeded;
    rep.detail = "no path within " + std::to_string(o.max_depth) + " intermediates";
  } else if (ctx.cycle_cut && !ctx.signature_failure) {
    rep.status = diag::kPathCycle;
    rep.detail = "every candidate issuer leads back into the path (a certificate cycle)";
  } else if (ctx.issuer_mismatch) {
    rep.status = diag::kIssuerNameMismatch;
    rep.detail =
        to_string(ctx.issuer_mismatch->first->subject()) + ": " + ctx.issuer_mismatch->second;
  } else if (ctx.signature_failure) {
    const auto [status, rule] =
        signature_finding(*ctx.signature_failure->first, ctx.signature_failure->second);
    rep.status = status;
    rep.rule = rule;
    rep.detail = to_string(ctx.signature_failure->first->subject()) + ": " +
                 ctx.signature_failure->second.to_string();
  } else {
    rep.status = diag::kNoPath;
    rep.detail = "no issuer of " +
                 to_string(target->issuer().rdns.empty() ? target->subject() : target->issuer()) +
                 " leads to a trust anchor";
    // RFC 5280 4.1.2.4: an empty issuer names no CA (a CA's subject is never empty).
    if (ctx.issuer_empty) {
      rep.rule = diag::lint::kIssuerEmpty;
      rep.detail += " (a certificate with an empty issuer field)";
    }
  }
  if (rep.rule.empty()) rep.rule = rep.status;
  rep.chain.front().diagnostics.push_back(Diagnostic{rep.status, rep.detail, rep.rule});
  return rep;
}

PathReport validate_nested(PathContext& parent, const CertificatePtr& target) {
  PathOptions o = parent.options;
  o.initial_policy_set = {der::oids::kAnyPolicy};
  o.initial_explicit_policy = false;
  o.initial_policy_mapping_inhibit = false;
  o.initial_any_policy_inhibit = false;
  o.identity.reset();
  o.required_ekus.clear();
  o.required_key_usage = 0;
  for (const auto& a : parent.anchors) {
    if (same_certificate(*a, *target)) {
      PathReport rep;
      rep.valid = true;
      rep.status = diag::kValid;
      return rep;
    }
  }
  PathContext ctx{parent.intermediates, parent.anchors, o};
  ctx.recursion = parent.recursion + 1;
  return build_and_validate(ctx, target);
}

}  // namespace hpki::x509::detail
