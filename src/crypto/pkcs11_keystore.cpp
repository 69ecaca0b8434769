// Pkcs11KeyStore (crypto/pkcs11_keystore.h): generating and finding keys on the token. Modules,
// logins and sessions are in pkcs11_module.cpp, the Signer and the Decrypter in
// pkcs11_signer.cpp.
#include "crypto/pkcs11_keystore.h"

#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <array>
#include <bit>
#include <optional>
#include <utility>

#include "crypto/detail/pkcs11.h"
#include "ossl/pkcs11_support.h"
#include "ossl/random.h"

namespace hpki::crypto {
namespace detail {

std::string sm2_unsupported(const Token& t) {
  return "SM2 keys are not supported by this PKCS#11 token (" + t.description +
         "): SoftHSM2 has no SM2 mechanisms and standard PKCS#11 defines none; use the file key "
         "store or an HSM with SM2 support";
}

namespace {

bool label_char_ok(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Labels for new keys (KeyStore contract): letters, digits, '-', '_', '.'.
Result<void> check_new_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxNewLabel ||
      !std::all_of(label.begin(), label.end(), label_char_ok)) {
    return fail(ErrorCode::kInvalidArgument, "key label must be 1-" + std::to_string(kMaxNewLabel) +
                                                 " letters, digits, '-', '_' or '.', got '" +
                                                 std::string(label) + "'");
  }
  return {};
}

// Existing keys may carry any printable label another tool gave them: a key id's name
// (core/key_id.h: 1-255 bytes, no control characters).
Result<std::string> label_from_ref(const KeyRef& ref) {
  const KeyId id = HPKI_TRY(to_key_id(ref));
  if (id.scheme() != KeyId::Scheme::kPkcs11) {
    return fail(ErrorCode::kInvalidArgument,
                "key reference '" + ref.id + "' is not a PKCS#11 reference (pkcs11:<label>)");
  }
  return std::string(id.name());
}

Result<std::vector<CK_OBJECT_HANDLE>> find_objects(const Session& s,
                                                   std::vector<CK_ATTRIBUTE> tmpl) {
  CK_RV rv = s.f()->C_FindObjectsInit(s.get(), tmpl.data(), static_cast<CK_ULONG>(tmpl.size()));
  if (rv != CKR_OK) return fail(rv_error(rv, "C_FindObjectsInit"));
  std::vector<CK_OBJECT_HANDLE> found;
  std::array<CK_OBJECT_HANDLE, 32> batch{};
  while (true) {
    CK_ULONG n = 0;
    rv = s.f()->C_FindObjects(s.get(), batch.data(), batch.size(), &n);
    if (rv != CKR_OK || n == 0 || n > batch.size()) break;
    found.insert(found.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
    if (found.size() > kMaxObjects) {
      rv = CKR_GENERAL_ERROR;
      break;
    }
  }
  CK_RV final_rv = s.f()->C_FindObjectsFinal(s.get());
  if (rv != CKR_OK) return fail(rv_error(rv, "C_FindObjects"));
  if (final_rv != CKR_OK) return fail(rv_error(final_rv, "C_FindObjectsFinal"));
  return found;
}

// The attribute's value, or nullopt when the object has none / it is sensitive.
Result<std::optional<Bytes>> get_attribute(const Session& s, CK_OBJECT_HANDLE o,
                                           CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a = attr(type, nullptr, 0);
  CK_RV rv = s.f()->C_GetAttributeValue(s.get(), o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
      (rv == CKR_OK && a.ulValueLen == kUnavailable)) {
    return std::optional<Bytes>{};
  }
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetAttributeValue", "attribute " + hex(type)));
  if (a.ulValueLen > kMaxAttribute) {
    return fail(ErrorCode::kTokenError, "token attribute " + hex(type) + " is too large");
  }
  Bytes value(a.ulValueLen);
  a.pValue = value.data();
  rv = s.f()->C_GetAttributeValue(s.get(), o, &a, 1);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetAttributeValue", "attribute " + hex(type)));
  value.resize(std::min<std::size_t>(value.size(), a.ulValueLen));
  return std::optional<Bytes>(std::move(value));
}

Result<CK_ULONG> get_ulong(const Session& s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
  CK_ULONG v = 0;
  CK_ATTRIBUTE a = attr(type, v);
  CK_RV rv = s.f()->C_GetAttributeValue(s.get(), o, &a, 1);
  if (rv != CKR_OK) return fail(rv_error(rv, "C_GetAttributeValue", "attribute " + hex(type)));
  if (a.ulValueLen != sizeof(v)) {
    return fail(ErrorCode::kTokenError, "token attribute " + hex(type) + " has a bad size");
  }
  return v;
}

Result<std::vector<CK_OBJECT_HANDLE>> find_keys(const Session& s, CK_OBJECT_CLASS cls,
                                                std::string& label) {
  return find_objects(s, {attr(CKA_CLASS, cls), attr(CKA_LABEL, label.data(), label.size())});
}

// PKCS#11 2.40 2.3.3: CKA_EC_POINT is DER OCTET STRING(04||X||Y); some tokens return the bare
// point. The two cannot be confused: their lengths differ.
Result<Bytes> ec_point_from_attribute(BytesView a, std::size_t field) {
  const std::size_t raw = 1 + 2 * field;
  if (a.size() == raw && a[0] == 0x04) return Bytes(a.begin(), a.end());
  if (a.size() == raw + 2 && a[0] == 0x04 && a[1] == raw) {
    return Bytes(a.begin() + 2, a.end());
  }
  return fail(ErrorCode::kMalformed,
              "CKA_EC_POINT is neither an OCTET STRING with an uncompressed point nor the point");
}

std::size_t bit_length(BytesView be) {
  auto first = std::find_if(be.begin(), be.end(), [](std::uint8_t b) { return b != 0; });
  if (first == be.end()) return 0;
  return static_cast<std::size_t>(be.end() - first - 1) * 8 +
         static_cast<std::size_t>(std::bit_width(*first));
}

Result<KeyInfo> load_key(const Token& t, const Session& s, std::string label) {
  auto privs = HPKI_TRY(find_keys(s, CKO_PRIVATE_KEY, label));
  if (privs.empty()) {
    return fail(ErrorCode::kKeyNotFound,
                "no private key labelled '" + label + "' on token " + t.description);
  }
  if (privs.size() > 1) {
    return fail(ErrorCode::kConflict, std::to_string(privs.size()) +
                                          " private keys are labelled '" + label + "' on token " +
                                          t.description);
  }
  KeyInfo info;
  info.label = label;
  info.priv = privs.front();
  const CK_KEY_TYPE key_type = HPKI_TRY(get_ulong(s, info.priv, CKA_KEY_TYPE));

  // The public key object: same CKA_ID (the usual pairing), else same label.
  std::optional<CK_OBJECT_HANDLE> pub;
  auto id = HPKI_TRY(get_attribute(s, info.priv, CKA_ID));
  std::vector<CK_OBJECT_HANDLE> pubs;
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
  CK_KEY_TYPE kt = key_type;
  if (id && !id->empty()) {
    pubs = HPKI_TRY(find_objects(s, {attr(CKA_CLASS, pub_class), attr(CKA_KEY_TYPE, kt),
                                     attr(CKA_ID, id->data(), id->size())}));
  }
  if (pubs.empty()) pubs = HPKI_TRY(find_keys(s, CKO_PUBLIC_KEY, label));
  if (pubs.size() == 1) pub = pubs.front();

  if (key_type == CKK_RSA) {
    // RSA private key objects carry the modulus and exponent too (PKCS#11 2.40 2.1.3).
    const CK_OBJECT_HANDLE from = pub.value_or(info.priv);
    auto n = HPKI_TRY(get_attribute(s, from, CKA_MODULUS));
    auto e = HPKI_TRY(get_attribute(s, from, CKA_PUBLIC_EXPONENT));
    if (!n || !e) {
      return fail(ErrorCode::kKeyNotFound,
                  "RSA key '" + label + "' has no readable modulus / public exponent");
    }
    info.spki = HPKI_TRY(ossl::p11_spki_from_rsa(*n, *e));
    const std::size_t bits = bit_length(*n);
    info.modulus_len = (bits + 7) / 8;
    info.spec = KeySpec{.type = KeyType::kRsa, .rsa_bits = static_cast<int>(bits)};
    return info;
  }
  if (key_type == CKK_EC) {
    auto params = HPKI_TRY(get_attribute(s, pub.value_or(info.priv), CKA_EC_PARAMS));
    if (!params) {
      return fail(ErrorCode::kKeyNotFound, "EC key '" + label + "' has no CKA_EC_PARAMS");
    }
    ossl::P11Curve curve;
    if (std::ranges::equal(*params, kOidP256)) {
      curve = ossl::P11Curve::kP256;
      info.spec = KeySpec{.type = KeyType::kEcP256};
    } else if (std::ranges::equal(*params, kOidP384)) {
      curve = ossl::P11Curve::kP384;
      info.spec = KeySpec{.type = KeyType::kEcP384};
    } else if (std::ranges::equal(*params, kOidSm2)) {
      return fail(ErrorCode::kUnsupportedByToken,
                  "key '" + label + "' is an SM2 key made by another tool; " + sm2_unsupported(t));
    } else {
      return fail(ErrorCode::kUnsupportedAlgorithm,
                  "EC key '" + label + "' is on a curve hpki does not use (only P-256, P-384)");
    }
    if (!pub) {
      return fail(ErrorCode::kKeyNotFound,
                  "EC key '" + label + "' has no public key object on token " + t.description);
    }
    auto point = HPKI_TRY(get_attribute(s, *pub, CKA_EC_POINT));
    if (!point) {
      return fail(ErrorCode::kKeyNotFound, "EC key '" + label + "' has no CKA_EC_POINT");
    }
    Bytes raw = HPKI_TRY(ec_point_from_attribute(*point, ossl::p11_curve_field_size(curve)));
    info.spki = HPKI_TRY(ossl::p11_spki_from_ec_point(curve, raw));
    return info;
  }
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "key '" + label + "' has PKCS#11 key type " + hex(key_type) + " (not RSA or EC)");
}

}  // namespace
}  // namespace detail

using namespace detail;  // NOLINT(google-build-using-namespace): this file's own helpers

Pkcs11KeyStore::Pkcs11KeyStore(std::shared_ptr<Token> token) : token_(std::move(token)) {}
Pkcs11KeyStore::~Pkcs11KeyStore() = default;

Result<std::unique_ptr<Pkcs11KeyStore>> Pkcs11KeyStore::open(const Pkcs11Options& options) {
  if (options.token_label.empty() || options.token_label.size() > 32) {
    return fail(ErrorCode::kInvalidArgument, "PKCS#11 token label must be 1-32 bytes");
  }
  auto module = HPKI_TRY(acquire_module(options.module_path));
  auto token = HPKI_TRY(open_token(module, options.token_label, options.pin));
  return std::unique_ptr<Pkcs11KeyStore>(new Pkcs11KeyStore(std::move(token)));
}

const std::string& Pkcs11KeyStore::token_description() const noexcept {
  return token_->description;
}

Result<KeyRef> Pkcs11KeyStore::generate(const KeySpec& spec, std::string_view label_in) {
  HPKI_TRY(check_new_label(label_in));
  std::string label(label_in);
  CK_MECHANISM mech{};
  CK_KEY_TYPE key_type = CKK_RSA;
  CK_ULONG modulus_bits = 0;
  Bytes ec_params;
  switch (spec.type) {
    case KeyType::kRsa:
      if (spec.rsa_bits != 2048 && spec.rsa_bits != 3072 && spec.rsa_bits != 4096) {
        return fail(ErrorCode::kInvalidArgument, "RSA key size must be 2048, 3072 or 4096, got " +
                                                     std::to_string(spec.rsa_bits));
      }
      mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
      modulus_bits = static_cast<CK_ULONG>(spec.rsa_bits);
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      mech.mechanism = CKM_EC_KEY_PAIR_GEN;
      key_type = CKK_EC;
      if (spec.type == KeyType::kEcP256) {
        ec_params.assign(kOidP256.begin(), kOidP256.end());
      } else {
        ec_params.assign(kOidP384.begin(), kOidP384.end());
      }
      break;
    case KeyType::kSm2:
      return fail(ErrorCode::kUnsupportedByToken, sm2_unsupported(*token_));
  }

  std::lock_guard lock(token_->generate_mu);
  Session s = HPKI_TRY(borrow(token_));
  // KeyStore contract: an existing label is kAlreadyExists, never an overwrite or a twin.
  auto same_priv = HPKI_TRY(find_keys(s, CKO_PRIVATE_KEY, label));
  auto same_pub = HPKI_TRY(find_keys(s, CKO_PUBLIC_KEY, label));
  if (!same_priv.empty() || !same_pub.empty()) {
    return fail(ErrorCode::kAlreadyExists,
                "a key labelled '" + label + "' already exists on token " + token_->description);
  }
  Bytes id(kIdSize);
  HPKI_TRY(ossl::random_bytes(id));

  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
  CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
  std::array<CK_BYTE, 3> exponent = {0x01, 0x00, 0x01};  // 65537
  std::vector<CK_ATTRIBUTE> pub = {
      attr(CKA_CLASS, pub_class),
      attr(CKA_KEY_TYPE, key_type),
      attr(CKA_TOKEN, yes),
      attr(CKA_PRIVATE, no),
      attr(CKA_VERIFY, yes),
      attr(CKA_WRAP, no),
      attr(CKA_LABEL, label.data(), label.size()),
      attr(CKA_ID, id.data(), id.size()),
  };
  // Never extractable, never readable: the key does not leave the token.
  std::vector<CK_ATTRIBUTE> priv = {
      attr(CKA_CLASS, priv_class),
      attr(CKA_KEY_TYPE, key_type),
      attr(CKA_TOKEN, yes),
      attr(CKA_PRIVATE, yes),
      attr(CKA_SENSITIVE, yes),
      attr(CKA_EXTRACTABLE, no),
      attr(CKA_SIGN, yes),
      attr(CKA_UNWRAP, no),
      attr(CKA_LABEL, label.data(), label.size()),
      attr(CKA_ID, id.data(), id.size()),
  };
  if (key_type == CKK_RSA) {
    pub.push_back(attr(CKA_MODULUS_BITS, modulus_bits));
    pub.push_back(attr(CKA_PUBLIC_EXPONENT, exponent.data(), exponent.size()));
    pub.push_back(attr(CKA_ENCRYPT, yes));
    priv.push_back(attr(CKA_DECRYPT, yes));
  } else {
    pub.push_back(attr(CKA_EC_PARAMS, ec_params.data(), ec_params.size()));
    priv.push_back(attr(CKA_DECRYPT, no));
    priv.push_back(attr(CKA_DERIVE, no));
  }
  CK_OBJECT_HANDLE pub_handle = 0;
  CK_OBJECT_HANDLE priv_handle = 0;
  CK_RV rv = s.f()->C_GenerateKeyPair(s.get(), &mech, pub.data(), static_cast<CK_ULONG>(pub.size()),
                                      priv.data(), static_cast<CK_ULONG>(priv.size()), &pub_handle,
                                      &priv_handle);
  if (rv != CKR_OK) {
    return fail(
        rv_error(rv, "C_GenerateKeyPair",
                 key_spec_name(spec) + " key '" + label + "' on token " + token_->description));
  }
  return KeyRef{std::string(kRefPrefix) + label};
}

Result<std::unique_ptr<Signer>> Pkcs11KeyStore::signer(const KeyRef& ref,
                                                       std::optional<SignatureAlg> alg,
                                                       std::string_view /*sm2_id*/) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  KeyInfo key;
  {
    Session s = HPKI_TRY(borrow(token_));
    key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  }
  const SignatureAlg a = alg.value_or(default_signature_alg(key.spec.type));
  if (!signature_alg_fits(a, key.spec.type)) {
    return fail(ErrorCode::kKeyMismatch, "signature algorithm " +
                                             std::string(signature_alg_name(a)) + " does not fit " +
                                             key_spec_name(key.spec) + " key '" + key.label + "'");
  }
  return new_signer(token_, std::move(key), a);
}

Result<std::unique_ptr<Decrypter>> Pkcs11KeyStore::decrypter(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  KeyInfo key;
  {
    Session s = HPKI_TRY(borrow(token_));
    key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  }
  if (key.spec.type != KeyType::kRsa) {
    return fail(ErrorCode::kUnsupportedByToken,
                key_spec_name(key.spec) + " key '" + key.label +
                    "' cannot decrypt: PKCS#11 tokens decrypt with RSA keys only (no ECIES, no "
                    "SM2 encryption)");
  }
  return new_decrypter(token_, std::move(key));
}

Result<Bytes> Pkcs11KeyStore::public_key(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  Session s = HPKI_TRY(borrow(token_));
  KeyInfo key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  return std::move(key.spki);
}

Result<KeySpec> Pkcs11KeyStore::key_spec(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_from_ref(ref));
  Session s = HPKI_TRY(borrow(token_));
  KeyInfo key = HPKI_TRY(load_key(*token_, s, std::move(label)));
  return key.spec;
}

Result<std::vector<KeyRef>> Pkcs11KeyStore::list() {
  Session s = HPKI_TRY(borrow(token_));
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  auto handles = HPKI_TRY(find_objects(s, {attr(CKA_CLASS, cls)}));
  std::vector<KeyRef> refs;
  for (CK_OBJECT_HANDLE h : handles) {
    auto label = HPKI_TRY(get_attribute(s, h, CKA_LABEL));
    if (!label || label->empty()) continue;
    refs.push_back(KeyRef{std::string(kRefPrefix) + std::string(as_string(*label))});
  }
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  return refs;
}

}  // namespace hpki::crypto
