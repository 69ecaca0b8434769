// Two-party SM2 (协同签名 / 协同解密, docs/cosign.md §1.1): the private key d of an SM2 key pair
// is split multiplicatively as D = (1+d)^-1 = d1·d2 mod n between a phone (d1) and hpki (d2)
// (Tongsuo SM2_THRESHOLD; Liu & Lin, Journal of Software 36(5), 2025). Neither share alone can
// sign or decrypt; together they give standard SM2 signatures (GM/T 0003.2, verifiable by any SM2
// verifier) and open standard SM2 ciphertexts (GM/T 0003.4, C1C3C2).
//
// Both sides are here: the server (K2, S2, D2) that `cosign` runs, and the phone (K1, K3, S1, S3,
// D1, D3) for the C++ tests, the benchmark and load clients (the real phone runs the same
// arithmetic in TypeScript, checked against tests/vectors/cosign/sm2_2p.json).
//
// Byte-level API, no OpenSSL types: points are 65-byte uncompressed SEC1 (04 || x || y) on the
// SM2 curve (GM/T 0003.5, cofactor 1), scalars 32-byte big-endian in [1, n-1], secrets
// SecretBytes. Every point received from the other party is validated (mobile.md §1.7(2));
// a bad point or scalar is kInvalidArgument with a message that names it ("Q1: not on the SM2
// curve"). Nonces (w1, w2, w, PoK nonces, keys) are drawn from OpenSSL's private DRBG on every
// call and never leave the function that uses them, except w1 and w, which the caller holds
// between the two steps of a session and must use exactly once (the finish steps take them by
// value and wipe them). Secret scalars use constant-time BIGNUM arithmetic (BN_FLG_CONSTTIME,
// Montgomery products, Fermat inversion, single-scalar ladder multiplications) and are wiped.
//
// Not checked here: WHICH digest e the server signs (the caller derives e = SM3(Z || M) itself
// from the stored document, mobile.md §1.7(3)), approvals, rate limits (§1.7(6)), failure counts.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace hpki::ossl::sm2_2p {

inline constexpr std::size_t kPointLen = 65;   // 04 || x || y
inline constexpr std::size_t kScalarLen = 32;  // big-endian, in [1, n-1]
inline constexpr std::size_t kDigestLen = 32;  // e = SM3(Z || M)
inline constexpr std::size_t kC3Len = 32;      // SM3(x2 || M || y2)
// Context strings of proofs (the enrollment id) are length-prefixed with 16 bits.
inline constexpr std::size_t kMaxContextLen = 0xffff;
// Two-party decryption opens keys and short secrets, not bulk data (as crypto/sm2_ciphertext.h).
inline constexpr std::size_t kMaxPlaintextLen = 1024 * 1024;
// GM/T 0009 default distinguishing ID; hpki always signs with it.
inline constexpr std::string_view kDefaultId = "1234567812345678";
// docs/cosign.md §1.1: domain separation of the proof-of-knowledge challenge.
inline constexpr std::string_view kPokDomain = "hpki-cosign-pok-v1";

// Non-interactive Schnorr proof of knowledge of x for X = x·G (docs/cosign.md §1.1):
// R = k·G, c = SM3(kPokDomain || u16be(len(ctx)) || ctx || X || R) mod n, z = k + c·x mod n.
struct Proof {
  Bytes r;  // the point R (65 bytes)
  Bytes z;  // the scalar z (32 bytes, in [0, n-1])
};

// --- Shared ---

// mobile.md §1.7(2): a received point is exactly 65 bytes, starts with 0x04, both coordinates
// are below the field prime and it lies on the SM2 curve; the point at infinity (SEC1: the single
// byte 00) and compressed or hybrid forms are refused. kInvalidArgument, the message starting
// with `name` ("P1: 64 bytes, expected 65", "Q1: the point at infinity", "T1: not on the SM2
// curve", "C1: prefix 0x02, expected 0x04 (uncompressed)", ...).
[[nodiscard]] Result<void> validate_point(BytesView point, std::string_view name = "point");

// GM/T 0003.2 5.5 and 6.1 A1-A2: e = SM3(Z || M) with Z = SM3(ENTL || ID || a || b || xG || yG ||
// xP || yP) for the joint public key P. IDs over 8191 bytes are kInvalidArgument.
[[nodiscard]] Result<Bytes> message_digest(BytesView p, BytesView message,
                                           std::string_view id = kDefaultId);

// GM/T 0003.2 7.1 B1-B7 over e for the public point P: r, s in [1, n-1] (32 bytes each),
// t = r + s != 0, R = e + x([s]G + [t]P) == r. kBadSignature when it does not hold; a bad P or a
// wrong length of e, r or s is kInvalidArgument. This is hpki's check of the phone's s before any
// output is assembled (docs/cosign.md §1.1, the row after S3).
// Speed (public values only, so variable-time arithmetic): the process keeps, per P (its exact
// 65 bytes, once validated), the multiples 2^(32j)·P, j = 1..7, in a cache of at most
// kKeyCacheSize keys (least recently used out), and G has a precomputed table, so that [s]G + [t]P
// takes 33 doublings instead of 257. The first verification under a P pays 224 doublings more.
// S3 (sign_client_finish) checks through the same cache, and message_digest skips validating a P
// that is in it.
[[nodiscard]] Result<void> verify_signature(BytesView p, BytesView e, BytesView r, BytesView s);
inline constexpr std::size_t kKeyCacheSize = 1024;

// A uniformly random scalar in [1, n-1] (e.g. the factor t of a share refresh).
[[nodiscard]] Result<SecretBytes> random_scalar();

// The proof of knowledge of `x` for X = x·G bound to `ctx`, with a fresh nonce k.
// kInvalidArgument when x is not a scalar in [1, n-1], X is not x·G, or ctx is too long.
[[nodiscard]] Result<Proof> prove(const SecretBytes& x, BytesView x_point, std::string_view ctx);
// Validates X and R (kInvalidArgument), z < n (kInvalidArgument), then checks z·G == R + c·X
// for ctx: kBadSignature when it fails (a forged proof, or a proof made for another ctx or X).
[[nodiscard]] Result<void> verify_proof(BytesView x_point, const Proof& proof,
                                        std::string_view ctx);

// --- Server (hpki, holds d2) ---

struct ServerKey {
  SecretBytes d2;      // the server's share, 32 bytes
  SecretBytes d2_inv;  // d2^-1 mod n, 32 bytes: stored with d2, it spares S2 and D2 an inversion
  Bytes p;             // the joint public key P = d2^-1·P1 − G
  Bytes p2;            // P2 = d2^-1·G
  Proof proof;         // knowledge of d2^-1 for P2, bound to ctx
};
// K2: validates P1 and its proof (for ctx), draws d2 and computes P (never O: another d2 is drawn
// if d2^-1·P1 == G), P2 and the proof for P2. kInvalidArgument for a bad P1 or proof encoding,
// kBadSignature when the proof does not verify.
[[nodiscard]] Result<ServerKey> keygen_server(BytesView p1, const Proof& p1_proof,
                                              std::string_view ctx);

struct ServerSignature {
  Bytes r;   // r = (e + x(Q)) mod n, 32 bytes, never 0
  Bytes s1;  // s1 = d2·(r + w2) mod n, 32 bytes, never 0
};
// S2: validates d2, Q1 and e (32 bytes); draws a fresh w2 on every call (two calls with the same
// Q1 and e give different r); Q = w2·G + d2^-1·Q1 (a new w2 while Q = O, r = 0 or s1 = 0).
// The caller must have derived e itself from the stored document (mobile.md §1.7(3)).
[[nodiscard]] Result<ServerSignature> sign_server(const SecretBytes& d2, BytesView q1, BytesView e);
// S2 as above with the stored inverse d2_inv = d2^-1 (ServerKey::d2_inv, share_inverse), which
// saves the constant-time inversion of d2 on every signature. kInvalidArgument when d2_inv is not
// a scalar in [1, n-1] or d2·d2_inv != 1 mod n (a share stored wrongly).
[[nodiscard]] Result<ServerSignature> sign_server(const SecretBytes& d2, const SecretBytes& d2_inv,
                                                  BytesView q1, BytesView e);

// The inverse d2^-1 mod n of a share (constant-time Fermat inversion), for shares stored without
// it. kInvalidArgument when d2 is not a scalar in [1, n-1].
[[nodiscard]] Result<SecretBytes> share_inverse(const SecretBytes& d2);

// D2: validates T1, returns T2 = d2^-1·T1. A static-DH oracle (mobile.md §1.7(6)): the caller
// rate-limits, requires an approval and audits every call.
[[nodiscard]] Result<Bytes> decrypt_server(const SecretBytes& d2, BytesView t1);
// D2 with the stored inverse (checked as in sign_server).
[[nodiscard]] Result<Bytes> decrypt_server(const SecretBytes& d2, const SecretBytes& d2_inv,
                                           BytesView t1);

// hpki's public share point P2 = d2^-1·G (K2 answers it; docs/cosign.md §2 "Share refresh": a share
// refresh is bound to it, and the phone checks its refreshed share against the new one: d1·(P+G) ==
// P2). d2_inv as stored, checked against d2 as in decrypt_server.
[[nodiscard]] Result<Bytes> share_point(const SecretBytes& d2, const SecretBytes& d2_inv);

// mobile.md §1.7(9): the refreshed server share d2·t^-1 (the phone's is refresh_client(d1, t)),
// P unchanged. t is a scalar in [1, n-1], e.g. from random_scalar().
[[nodiscard]] Result<SecretBytes> refresh_server(const SecretBytes& d2, const SecretBytes& t);

// --- Client (phone, holds d1) ---

struct ClientKey {
  SecretBytes d1;  // the phone's share, 32 bytes
  Bytes p1;        // P1 = d1^-1·G
  Proof proof;     // knowledge of d1^-1 for P1, bound to ctx
};
// K1: a random d1, P1 and the proof.
[[nodiscard]] Result<ClientKey> keygen_client(std::string_view ctx);

// K3: validates P and P2 (kInvalidArgument), the proof for P2 (kBadSignature), and that
// P == d1^-1·P2 − G (kKeyMismatch otherwise: the server did not use the phone's P1).
[[nodiscard]] Result<void> check_joint_key(const SecretBytes& d1, BytesView p, BytesView p2,
                                           const Proof& p2_proof, std::string_view ctx);

struct ClientSignStart {
  SecretBytes w1;  // the phone's nonce: keep until sign_client_finish, use once
  Bytes q1;        // Q1 = w1·G, sent to the server
};
// S1: a fresh w1 and Q1.
[[nodiscard]] Result<ClientSignStart> sign_client_start();

// S3: s = d1·(s1 + w1) − r mod n, then the phone's final check (mobile.md §1.7(5)): (r, s) must
// verify under P for the e the phone computed itself; kBadSignature otherwise (a tampered r or
// s1, a server share that does not belong to d1, a wrong d1). r and s1 must be scalars in
// [1, n-1] (kInvalidArgument). Returns s (32 bytes). w1 is consumed (wiped) whatever happens.
[[nodiscard]] Result<Bytes> sign_client_finish(const SecretBytes& d1, SecretBytes w1, BytesView r,
                                               BytesView s1, BytesView e, BytesView p);

struct ClientDecryptStart {
  SecretBytes w;  // the blinding factor: keep until decrypt_client_finish, use once
  Bytes t1;       // T1 = w·C1, sent to the server
};
// D1: validates C1 (65 bytes: the head of a C1 || C3 || C2 ciphertext), draws w, T1 = w·C1.
[[nodiscard]] Result<ClientDecryptStart> decrypt_client_start(BytesView c1);

// D3 on a raw GM/T 0003.4 ciphertext C1 || C3 || C2 (GM/T 0009 order; DER SM2Cipher converts
// with crypto::sm2_ciphertext_der_to_raw): validates T2 and C1, (x2, y2) = (w·d1)^-1·T2 − C1,
// t = KDF(x2 || y2, len(C2)), M = C2 xor t, and checks C3 == SM3(x2 || M || y2) in constant time.
// A ciphertext shorter than 65 + 32 + 1 bytes is kInvalidArgument, over kMaxPlaintextLen bytes
// of C2 kTooLarge; (x2, y2) = O, t = 0 or a C3 mismatch (wrong share, T2 not from d2, altered
// ciphertext) is kDecryptFailed. w is consumed (wiped) whatever happens.
[[nodiscard]] Result<SecretBytes> decrypt_client_finish(const SecretBytes& d1, SecretBytes w,
                                                        BytesView t2, BytesView ciphertext);

// mobile.md §1.7(9): the refreshed phone share d1·t.
[[nodiscard]] Result<SecretBytes> refresh_client(const SecretBytes& d1, const SecretBytes& t);

// --- Encodings ---

// RFC 5480 2.1.1 / GM/T 0015: DER SubjectPublicKeyInfo of the SM2 public key P (id-ecPublicKey
// with the curve OID sm2p256v1, uncompressed point). kInvalidArgument for a bad P.
[[nodiscard]] Result<Bytes> spki_from_point(BytesView p);

// GM/T 0009 7.2: DER SEQUENCE{INTEGER r, INTEGER s} from two 32-byte scalars in [1, n-1]
// (kInvalidArgument otherwise).
[[nodiscard]] Result<Bytes> signature_der(BytesView r, BytesView s);

// --- Deterministic variants, for test vectors only ---
// Each takes the nonce (or key) that the function above draws at random. A fixed nonce used
// twice leaks a share: never call these outside tests and vector generation.
namespace testing {

[[nodiscard]] Result<Proof> prove(const SecretBytes& x, BytesView x_point, std::string_view ctx,
                                  const SecretBytes& k);
// K1 with a given d1 and PoK nonce k.
[[nodiscard]] Result<ClientKey> keygen_client(const SecretBytes& d1, std::string_view ctx,
                                              const SecretBytes& k);
// K2 with a given d2 and PoK nonce k; kInvalidArgument when P would be O.
[[nodiscard]] Result<ServerKey> keygen_server(BytesView p1, const Proof& p1_proof,
                                              std::string_view ctx, const SecretBytes& d2,
                                              const SecretBytes& k);
// S1 with a given w1.
[[nodiscard]] Result<ClientSignStart> sign_client_start(const SecretBytes& w1);
// S2 with a given w2; kInvalidArgument when Q = O, r = 0 or s1 = 0.
[[nodiscard]] Result<ServerSignature> sign_server(const SecretBytes& d2, BytesView q1, BytesView e,
                                                  const SecretBytes& w2);
[[nodiscard]] Result<ServerSignature> sign_server(const SecretBytes& d2, const SecretBytes& d2_inv,
                                                  BytesView q1, BytesView e, const SecretBytes& w2);
// D1 with a given w.
[[nodiscard]] Result<ClientDecryptStart> decrypt_client_start(BytesView c1, const SecretBytes& w);
// GM/T 0003.4 6.1 A1-A8 encryption to P with a given k: C1 || C3 || C2 (raw). kInvalidArgument
// when t = KDF(...) is all zero (cannot happen for real inputs) or the plaintext is empty.
[[nodiscard]] Result<Bytes> encrypt(BytesView p, BytesView plaintext, const SecretBytes& k);
// The single-key private key d = (d1·d2)^-1 − 1 mod n that the shares stand for, so that tests
// can check the joint key with OpenSSL's own SM2 code. Nothing in hpki ever computes it.
[[nodiscard]] Result<SecretBytes> joint_private_key(const SecretBytes& d1, const SecretBytes& d2);
// The inverse: the server share d2 = (d1·(1 + d))^-1 that pairs with d1 for the single-key d, so
// that published single-key vectors (GM/T 0003.5 annex) can run through the two-party steps.
// kInvalidArgument when d = n − 1 (1 + d = 0).
[[nodiscard]] Result<SecretBytes> split_private_key(const SecretBytes& d, const SecretBytes& d1);
// Empties the per-key cache of verify_signature (tests and benchmarks of the first verification).
void clear_key_cache();
// How many keys the cache of verify_signature holds, and whether it holds P (exact bytes).
[[nodiscard]] std::size_t key_cache_size();
[[nodiscard]] bool key_cached(BytesView p);

}  // namespace testing

}  // namespace hpki::ossl::sm2_2p
