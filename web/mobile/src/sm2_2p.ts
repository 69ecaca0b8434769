// The phone's side of two-party SM2 (docs/cosign.md §1.1; mobile.md §1.2): key generation
// K1/K3, signing S1/S3, decryption D1/D3, the Schnorr proofs of knowledge, and the plain SM2
// pieces they need (Z, e, verification, KDF, ciphertext parsing). No browser API besides
// crypto.getRandomValues: the same module runs in the unit tests under Node.
//
// Rules kept here (mobile.md §1.7): every received point is validated (on the curve, not the
// point at infinity) and every received scalar is in [1, n-1] (2); nonces are fresh from the
// CSPRNG, never reused (1); the phone verifies the final signature under P for the e it
// computed itself from the bytes it received, before it releases s (4, 5).

import { weierstrassN, type WeierstrassPoint } from '@noble/curves/abstract/weierstrass';
import { mod, invert } from '@noble/curves/abstract/modular';
import { sm3 } from './sm3';

// GM/T 0003.5-2012 (GB/T 32918.5): the recommended curve parameters.
export const SM2 = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
} as const;

export const Point = weierstrassN<bigint>(SM2);
export type Point = WeierstrassPoint<bigint>;
export const G: Point = Point.BASE;
const n = SM2.n;

/** The distinguishing ID of every SM2 signature hpki makes or checks. */
export const SM2_ID = '1234567812345678';

/** A refusal of bad input (a point off the curve, a scalar out of range, a failed proof ...). */
export class CosignError extends Error {
  constructor(
    readonly code: 'invalid-point' | 'invalid-scalar' | 'invalid-proof' | 'key-mismatch' | 'signature-invalid' | 'decrypt-failed',
    message: string,
  ) {
    super(message);
    this.name = 'CosignError';
  }
}

// ---- encodings (docs/cosign.md §1.3) ------------------------------------------------------

const te = new TextEncoder();
export const utf8 = (s: string): Uint8Array => te.encode(s);

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
export function hexToBytes(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new CosignError('invalid-scalar', 'not hex');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
export function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + bytesToHex(b));
}
export function bigToBytes(x: bigint, len = 32): Uint8Array {
  return hexToBytes(x.toString(16).padStart(2 * len, '0'));
}
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A scalar as 64 lower-case hex characters (32 bytes, big-endian). */
export const scalarToHex = (x: bigint): string => x.toString(16).padStart(64, '0');

/** Parses a received scalar: exactly 64 hex characters, value in [1, n-1]. */
export function scalarFromHex(h: unknown, what = 'scalar'): bigint {
  if (typeof h !== 'string' || !/^[0-9a-fA-F]{64}$/.test(h)) {
    throw new CosignError('invalid-scalar', `${what}: not 64 hex characters`);
  }
  const x = BigInt('0x' + h);
  if (x <= 0n || x >= n) throw new CosignError('invalid-scalar', `${what}: not in [1, n-1]`);
  return x;
}

/** A point as SEC1 uncompressed lower-case hex ("04" + x + y, 130 characters). */
export const pointToHex = (P: Point): string => bytesToHex(P.toBytes(false));
export const pointToBytes = (P: Point): Uint8Array => P.toBytes(false);

/**
 * Parses and validates a received point (mobile.md §1.7(2)): SEC1 uncompressed only,
 * coordinates below p, on the curve, not the point at infinity (the cofactor is 1, so that is
 * enough).
 */
export function pointFromHex(h: unknown, what = 'point'): Point {
  if (typeof h !== 'string' || !/^04[0-9a-fA-F]{128}$/.test(h)) {
    throw new CosignError('invalid-point', `${what}: not an uncompressed point (04 + 128 hex characters)`);
  }
  return pointFromBytes(hexToBytes(h), what);
}
export function pointFromBytes(b: Uint8Array, what = 'point'): Point {
  if (b.length !== 65 || b[0] !== 0x04) throw new CosignError('invalid-point', `${what}: not an uncompressed point`);
  const x = bytesToBig(b.subarray(1, 33));
  const y = bytesToBig(b.subarray(33, 65));
  if (x >= SM2.p || y >= SM2.p) throw new CosignError('invalid-point', `${what}: coordinate not below p`);
  // GM/T 0003.1 6.2: y^2 = x^3 + ax + b (mod p).
  const rhs = mod(x * x * x + SM2.a * x + SM2.b, SM2.p);
  if (mod(y * y, SM2.p) !== rhs) throw new CosignError('invalid-point', `${what}: not on the SM2 curve`);
  const P = Point.fromAffine({ x, y });
  if (P.is0()) throw new CosignError('invalid-point', `${what}: the point at infinity`);
  P.assertValidity();
  return P;
}

// ---- randomness --------------------------------------------------------------------------

/** A uniformly random scalar in [1, n-1] from the platform CSPRNG (rejection sampling). */
export function randomScalar(): bigint {
  for (;;) {
    const b = new Uint8Array(32);
    globalThis.crypto.getRandomValues(b);
    const x = bytesToBig(b);
    if (x > 0n && x < n) return x;
  }
}

// ---- plain SM2 ---------------------------------------------------------------------------

/** GM/T 0003.2 5.5: Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xP ‖ yP). */
export function zValue(P: Point, id = SM2_ID): Uint8Array {
  const idb = utf8(id);
  const entl = new Uint8Array([((idb.length * 8) >> 8) & 0xff, (idb.length * 8) & 0xff]);
  const a = P.toAffine();
  return sm3(entl, idb, bigToBytes(SM2.a), bigToBytes(SM2.b), bigToBytes(SM2.Gx), bigToBytes(SM2.Gy), bigToBytes(a.x), bigToBytes(a.y));
}

/** GM/T 0003.2 6.1 A1-A2: e = SM3(Z ‖ M) as an integer (the ID is always 1234567812345678). */
export function messageE(P: Point, m: Uint8Array): bigint {
  return bytesToBig(sm3(zValue(P), m));
}

/** GM/T 0003.2 7.1: verification of (r, s) for e under P. */
export function verifyE(P: Point, e: bigint, r: bigint, s: bigint): boolean {
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const t = mod(r + s, n);
  if (t === 0n) return false;
  const X = G.multiply(s).add(P.multiplyUnsafe(t));
  if (X.is0()) return false;
  return mod(e + X.toAffine().x, n) === r;
}

/** A plain SM2 signature with a whole key d (only the tests use it, e.g. as a cross-check). */
export function signE(d: bigint, e: bigint): { r: bigint; s: bigint } {
  for (;;) {
    const k = randomScalar();
    const r = mod(e + G.multiply(k).toAffine().x, n);
    if (r === 0n || r + k === n) continue;
    const s = mod(invert(1n + d, n) * (k - r * d), n);
    if (s !== 0n) return { r, s };
  }
}

/** DER SEQUENCE { r INTEGER, s INTEGER } (the form openssl and CMS use). */
export function sigToDer(r: bigint, s: bigint): Uint8Array {
  const int = (x: bigint): Uint8Array => {
    let b = bigToBytes(x);
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    b = b.subarray(i);
    if (b[0]! & 0x80) b = concat(new Uint8Array([0]), b);
    return concat(new Uint8Array([0x02, b.length]), b);
  };
  const body = concat(int(r), int(s));
  return concat(new Uint8Array([0x30, body.length]), body);
}

/** GM/T 0003.4 5.4.3: KDF with SM3, klen bytes. */
export function kdf(z: Uint8Array, klen: number): Uint8Array {
  const out = new Uint8Array(klen);
  let ct = 1;
  for (let o = 0; o < klen; o += 32, ct++) {
    const block = sm3(z, new Uint8Array([(ct >>> 24) & 0xff, (ct >>> 16) & 0xff, (ct >>> 8) & 0xff, ct & 0xff]));
    out.set(block.subarray(0, Math.min(32, klen - o)), o);
  }
  return out;
}

/** An SM2 ciphertext split into its parts. */
export interface Ciphertext {
  c1: Point;
  c3: Uint8Array;
  c2: Uint8Array;
}

/**
 * Parses an SM2 ciphertext: either the GM/T 0009 DER form that OpenSSL writes
 * (SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }) or the raw
 * C1‖C3‖C2 concatenation (04 ‖ x ‖ y ‖ 32-byte C3 ‖ C2). C1 is validated.
 */
export function parseCiphertext(ct: Uint8Array): Ciphertext {
  if (ct[0] === 0x04) {
    if (ct.length < 65 + 32 + 1) throw new CosignError('decrypt-failed', 'ciphertext too short');
    return { c1: pointFromBytes(ct.subarray(0, 65), 'C1'), c3: ct.subarray(65, 97), c2: ct.subarray(97) };
  }
  const outer = derReader(ct);
  const seq = derReader(outer(0x30));
  outer.end();
  const x = bytesToBig(seq(0x02));
  const y = bytesToBig(seq(0x02));
  const c3 = seq(0x04);
  const c2 = seq(0x04);
  seq.end();
  if (c3.length !== 32 || c2.length === 0) throw new CosignError('decrypt-failed', 'ciphertext: bad C3 or C2');
  if (x >= SM2.p || y >= SM2.p) throw new CosignError('invalid-point', 'C1: coordinate not below p');
  const c1 = pointFromBytes(concat(new Uint8Array([4]), bigToBytes(x), bigToBytes(y)), 'C1');
  return { c1, c3, c2 };
}

/** A minimal DER reader: each call takes the next TLV with the given tag; end() refuses leftovers. */
function derReader(buf: Uint8Array): ((tag: number) => Uint8Array) & { end: () => void } {
  let pos = 0;
  const next = (tag: number): Uint8Array => {
    if (buf[pos] !== tag) throw new CosignError('decrypt-failed', `ciphertext: expected DER tag ${tag}`);
    pos++;
    let len = buf[pos++] ?? 0;
    if (len & 0x80) {
      const nb = len & 0x7f;
      if (nb < 1 || nb > 3) throw new CosignError('decrypt-failed', 'ciphertext: bad DER length');
      len = 0;
      for (let i = 0; i < nb; i++) len = (len << 8) | (buf[pos++] ?? 0);
    }
    if (pos + len > buf.length) throw new CosignError('decrypt-failed', 'ciphertext: truncated');
    const v = buf.subarray(pos, pos + len);
    pos += len;
    return v;
  };
  return Object.assign(next, {
    end: (): void => {
      if (pos !== buf.length) throw new CosignError('decrypt-failed', 'ciphertext: trailing bytes');
    },
  });
}

// ---- Schnorr proof of knowledge (docs/cosign.md §1.1) ------------------------------------

export interface Proof {
  r: string; // R, a point (hex)
  z: string; // z, a scalar (hex)
}

const POK_TAG = utf8('hpki-cosign-pok-v1');

function pokChallenge(ctx: string, X: Point, R: Point): bigint {
  const c = utf8(ctx);
  if (c.length > 0xffff) throw new CosignError('invalid-proof', 'context too long');
  // c = SM3("hpki-cosign-pok-v1" ‖ u16be(len(ctx)) ‖ ctx ‖ X ‖ R) mod n
  return mod(bytesToBig(sm3(POK_TAG, new Uint8Array([c.length >> 8, c.length & 0xff]), c, pointToBytes(X), pointToBytes(R))), n);
}

/** Proof of knowledge of x for X = x·G, bound to ctx (the enrollment id). `k` only for vectors. */
export function provePoK(x: bigint, X: Point, ctx: string, k: bigint = randomScalar()): Proof {
  const R = G.multiply(k);
  const c = pokChallenge(ctx, X, R);
  return { r: pointToHex(R), z: scalarToHex(mod(k + c * x, n)) };
}

/** Checks a received proof for X: R validated, z·G == R + c·X. Throws CosignError. */
export function verifyPoK(X: Point, proof: unknown, ctx: string): void {
  if (typeof proof !== 'object' || proof === null) throw new CosignError('invalid-proof', 'proof missing');
  const p = proof as Record<string, unknown>;
  const R = pointFromHex(p['r'], 'proof R');
  if (typeof p['z'] !== 'string' || !/^[0-9a-fA-F]{64}$/.test(p['z'])) throw new CosignError('invalid-proof', 'proof z: not a scalar');
  const z = BigInt('0x' + p['z']);
  if (z >= n) throw new CosignError('invalid-proof', 'proof z: not below n');
  const c = pokChallenge(ctx, X, R);
  const lhs = z === 0n ? Point.ZERO : G.multiply(z);
  const rhs = R.add(c === 0n ? Point.ZERO : X.multiplyUnsafe(c));
  if (!lhs.equals(rhs)) throw new CosignError('invalid-proof', 'proof of knowledge does not verify');
}

// ---- key generation (K1, K3) -------------------------------------------------------------

export interface KeygenStart {
  d1: bigint;
  /** The JSON fields of K1: P1 = d1^-1·G and the proof of knowledge of d1^-1. */
  p1: string;
  proof: Proof;
}

/**
 * K1: random d1; P1 = d1^-1·G with a proof of knowledge of d1^-1 bound to ctx. (The fixed d1
 * and proof nonce k are for the test vectors only; the app never passes them.)
 */
export function keygenStart(ctx: string, d1: bigint = randomScalar(), k?: bigint): KeygenStart {
  const d1inv = invert(d1, n);
  const P1 = G.multiply(d1inv);
  return { d1, p1: pointToHex(P1), proof: provePoK(d1inv, P1, ctx, k) };
}

/**
 * K3: validates P2 and its proof, P, and checks P == d1^-1·P2 − G. Returns P.
 * Throws CosignError (invalid-point, invalid-proof, key-mismatch).
 */
export function keygenFinish(d1: bigint, reply: { p: unknown; p2: unknown; proof: unknown }, ctx: string): Point {
  const P2 = pointFromHex(reply.p2, 'P2');
  verifyPoK(P2, reply.proof, ctx);
  const P = pointFromHex(reply.p, 'P');
  const expected = P2.multiply(invert(d1, n)).subtract(G);
  if (expected.is0() || !expected.equals(P)) throw new CosignError('key-mismatch', 'P is not d1^-1·P2 − G');
  return P;
}

// ---- signing (S1, S3) --------------------------------------------------------------------

export interface SignStart {
  w1: bigint;
  q1: string;
}

/** S1: a fresh w1 (never reused: the caller drops it after S3) and Q1 = w1·G. (w1 given: vectors.) */
export function signStart(w1: bigint = randomScalar()): SignStart {
  return { w1, q1: pointToHex(G.multiply(w1)) };
}

/**
 * S3: s = d1·(s1 + w1) − r mod n, then the final check: (r, s) must verify under P for e =
 * SM3(Z ‖ m), computed here from the bytes m the phone received. Throws
 * CosignError('signature-invalid') when it does not (a wrong PIN, a tampered s1 or r, or a
 * server that computed e for other bytes): s must then not be released.
 */
export function signFinish(d1: bigint, w1: bigint, P: Point, m: Uint8Array, reply: { r: unknown; s1: unknown }): bigint {
  const r = scalarFromHex(reply.r, 'r');
  const s1 = scalarFromHex(reply.s1, 's1');
  const s = mod(d1 * (s1 + w1) - r, n);
  // mobile.md §1.7(4)(5): the phone checks the final signature for its own e before release.
  if (s === 0n || !verifyE(P, messageE(P, m), r, s)) {
    throw new CosignError('signature-invalid', 'the final signature does not verify under P for the received bytes');
  }
  return s;
}

// ---- decryption (D1, D3) -----------------------------------------------------------------

export interface DecryptStart {
  w: bigint;
  t1: string;
}

/** D1: C1 was validated by parseCiphertext; fresh blinding w; T1 = w·C1. (w given: vectors.) */
export function decryptStart(c1: Point, w: bigint = randomScalar()): DecryptStart {
  return { w, t1: pointToHex(c1.multiply(w)) };
}

/**
 * D3: (x2, y2) = (w·d1)^-1·T2 − C1 (= d·C1); t = KDF(x2 ‖ y2, len); M = C2 ⊕ t; checks
 * C3 = SM3(x2 ‖ M ‖ y2) (GM/T 0003.4 7.1 B4-B6). Throws CosignError on a bad T2 or C3.
 */
export function decryptFinish(d1: bigint, w: bigint, ct: Ciphertext, t2hex: unknown): Uint8Array {
  const T2 = pointFromHex(t2hex, 'T2');
  const S = T2.multiply(invert(mod(w * d1, n), n)).subtract(ct.c1);
  if (S.is0()) throw new CosignError('decrypt-failed', 'd·C1 is the point at infinity');
  const a = S.toAffine();
  const x2 = bigToBytes(a.x);
  const y2 = bigToBytes(a.y);
  const t = kdf(concat(x2, y2), ct.c2.length);
  if (t.every((b) => b === 0)) throw new CosignError('decrypt-failed', 'KDF output is all zero');
  const msg = ct.c2.map((b, i) => b ^ t[i]!);
  const c3 = sm3(x2, msg, y2);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= c3[i]! ^ ct.c3[i]!;
  if (diff !== 0) throw new CosignError('decrypt-failed', 'C3 does not match: wrong key share or PIN');
  return msg;
}

// ---- the PIN-hardened share (docs/cosign.md §1.1; mobile.md §1.7(8)) -------------------

/** h = KDF(PIN, salt) mod n, from 48 bytes of PBKDF2 output (bias below 2^-128). */
export function pinFactorFromBytes(kdfOut: Uint8Array): bigint {
  const h = mod(bytesToBig(kdfOut), n);
  if (h === 0n) throw new CosignError('invalid-scalar', 'PIN factor is zero');
  return h;
}
/** c = d1·h^-1 mod n: what the phone stores. */
export const hardenShare = (d1: bigint, h: bigint): bigint => mod(d1 * invert(h, n), n);
/** d1 = c·h mod n: a wrong PIN gives another, equally plausible d1. */
export const unhardenShare = (c: bigint, h: bigint): bigint => mod(c * h, n);

export const ORDER = n;

// ---- share refresh (mobile.md §1.7(9); docs/cosign.md §2 "Share refresh") ---------------------------------------

/** The refreshed phone share d1·t (hpki keeps d2·t^-1; P stays). */
export function refreshShare(d1: bigint, t: bigint): bigint {
  if (t <= 0n || t >= n) throw new CosignError('invalid-scalar', 't: not in [1, n-1]');
  return mod(d1 * t, n);
}

/** hpki's share point as the phone derives it: P2 = d2^-1·G = d1·(P+G), 65 bytes. */
export function sharePoint(d1: bigint, P: Point): Uint8Array {
  return P.add(G).multiply(d1).toBytes(false);
}

