// The shared two-party SM2 vector file tests/vectors/cosign/sm2_2p.json (written by hpki's C++
// tests, tests/unit/crypto/sm2_2p/vectors_test.cpp): the phone's K1/K3, S1/S3, D1/D3, share
// refresh and point refusals must give exactly the recorded values for the recorded inputs.
import './setup';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mod } from '@noble/curves/abstract/modular';
import * as c from '../mobile/src/sm2_2p';

// CTest sets HPKI_SOURCE_DIR; run by hand from build/web-test/, the repository is two levels up.
const root = process.env['HPKI_SOURCE_DIR'] ?? resolve(__dirname, '../..');
const v = JSON.parse(readFileSync(join(root, 'tests/vectors/cosign/sm2_2p.json'), 'utf8'));
const big = (h: string): bigint => BigInt('0x' + h);
const K = v.keygen;

test('vector file: the proof-of-knowledge domain and the curve are ours', () => {
  assert.equal(v.pok_domain, 'hpki-cosign-pok-v1');
  assert.equal(v.curve, 'sm2p256v1');
  assert.equal(v.sign.id, c.SM2_ID);
});

test('K1: P1 and its proof from d1 and k1; K2 counterpart values check out; K3 gives P', () => {
  const k1 = c.keygenStart(K.ctx, big(K.d1), big(K.k1));
  assert.equal(k1.p1, K.p1);
  assert.deepEqual(k1.proof, K.p1_proof);
  c.verifyPoK(c.pointFromHex(K.p1), K.p1_proof, K.ctx);
  const P = c.keygenFinish(big(K.d1), { p: K.p, p2: K.p2, proof: K.p2_proof }, K.ctx);
  assert.equal(c.pointToHex(P), K.p);
  assert.ok(c.G.multiply(big(K.d)).equals(P), 'P = d·G for the recorded d');
  assert.ok(K.spki.endsWith(K.p), 'the SPKI holds P');
  assert.throws(() => c.verifyPoK(c.pointFromHex(K.p2), K.p2_proof, K.ctx + 'x'), /does not verify/);
});

test('S1/S3: Z, e, Q1 and s for the recorded nonces; the DER signature', () => {
  const S = v.sign;
  const P = c.pointFromHex(K.p);
  const m = c.hexToBytes(S.message);
  assert.equal(c.bytesToHex(c.zValue(P)), S.z);
  assert.equal(c.scalarToHex(c.messageE(P, m)), S.e);
  const st = c.signStart(big(S.w1));
  assert.equal(st.q1, S.q1);
  const s = c.signFinish(big(K.d1), st.w1, P, m, { r: S.r, s1: S.s1 });
  assert.equal(c.scalarToHex(s), S.s);
  assert.equal(c.bytesToHex(c.sigToDer(big(S.r), s)), S.signature_der);
  assert.throws(() => c.signFinish(big(K.d1), st.w1, P, m, { r: S.r, s1: c.scalarToHex(mod(big(S.s1) + 1n, c.ORDER)) }), /does not verify/);
});

test('D1/D3: T1 for the recorded w; the plaintext back from T2', () => {
  const D = v.decrypt;
  const ct = c.parseCiphertext(c.hexToBytes(D.ciphertext));
  const st = c.decryptStart(ct.c1, big(D.w));
  assert.equal(st.t1, D.t1);
  assert.equal(c.bytesToHex(c.decryptFinish(big(K.d1), st.w, ct, D.t2)), D.plaintext);
});

test('share refresh: d1·t signs the same e under the unchanged P', () => {
  const R = v.refresh;
  assert.equal(c.scalarToHex(mod(big(K.d1) * big(R.t), c.ORDER)), R.d1);
  assert.equal(c.scalarToHex(c.refreshShare(big(K.d1), big(R.t))), R.d1);
  const P = c.pointFromHex(K.p);
  // hpki's share point as the phone derives it, d1·(P+G), is the P2 hpki answered at K2 (the
  // refresh challenge binds it, docs/cosign.md §2.4); t = 0 is refused.
  assert.equal(c.bytesToHex(c.sharePoint(big(K.d1), P)), K.p2);
  assert.throws(() => c.refreshShare(big(K.d1), 0n), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-scalar');
  const st = c.signStart(big(R.w1));
  assert.equal(st.q1, R.q1);
  const s = c.signFinish(big(R.d1), st.w1, P, c.hexToBytes(v.sign.message), { r: R.r, s1: R.s1 });
  assert.equal(c.scalarToHex(s), R.s);
});

test('invalid points of the file are refused by the phone too', () => {
  assert.ok(v.invalid_points.length >= 7);
  for (const p of v.invalid_points) {
    assert.throws(() => c.pointFromHex(p.point), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-point', p.case);
  }
});
