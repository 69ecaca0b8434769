// The phone's two-party SM2 (web/mobile/src/sm2_2p.ts) run against hpki's steps written from
// docs/cosign.md (test/counterpart.ts), with sm-crypto-v2 and the openssl CLI as independent
// oracles for the results, plus the refusals of mobile.md §1.7.
import './setup';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sm2 as oracle } from 'sm-crypto-v2';
import { mod, invert } from '@noble/curves/abstract/modular';
import * as c from '../mobile/src/sm2_2p';
import { k2, s2, d2step } from './counterpart';

const ctx = 'enrollment-42';
const msg = c.utf8('处方 Rx#20261207-0001: 阿莫西林 0.5g tid');

function enroll() {
  const k1 = c.keygenStart(ctx);
  const { key, reply } = k2(k1.p1, k1.proof, ctx);
  const P = c.keygenFinish(k1.d1, reply, ctx);
  return { d1: k1.d1, key, P };
}

function cosign(d1: bigint, key: ReturnType<typeof enroll>['key'], P: c.Point, m: Uint8Array, serverM: Uint8Array = m) {
  const st = c.signStart();
  const reply = s2(key, st.q1, c.messageE(key.P, serverM));
  return { reply, s: () => c.signFinish(d1, st.w1, P, m, reply) };
}

const sigHex = (r: bigint, s: bigint) => c.scalarToHex(r) + c.scalarToHex(s);

test('K1-K3: both sides agree on P and (1+d)^-1 = d1·d2', () => {
  const { d1, key, P } = enroll();
  assert.ok(P.equals(key.P));
  const d = mod(invert(mod(d1 * key.d2, c.ORDER), c.ORDER) - 1n, c.ORDER);
  assert.ok(c.G.multiply(d).equals(P), 'P = d·G for d = (d1·d2)^-1 − 1');
});

test('S1-S3: the joint signature verifies with sm-crypto-v2 (ID 1234567812345678)', () => {
  for (let i = 0; i < 5; i++) {
    const { d1, key, P } = enroll();
    const run = cosign(d1, key, P, msg);
    const s = run.s();
    const r = BigInt('0x' + run.reply.r);
    const pub = c.pointToHex(P);
    assert.ok(oracle.doVerifySignature(msg, sigHex(r, s), pub, { hash: true, userId: c.SM2_ID }));
    assert.ok(oracle.doVerifySignature(msg, c.bytesToHex(c.sigToDer(r, s)), pub, { hash: true, der: true, userId: c.SM2_ID }));
    assert.ok(!oracle.doVerifySignature(c.utf8('another document'), sigHex(r, s), pub, { hash: true, userId: c.SM2_ID }));
  }
});

test('Z and e agree with sm-crypto-v2', () => {
  const { P } = enroll();
  const pub = c.pointToHex(P);
  assert.equal(c.bytesToHex(c.zValue(P)), c.bytesToHex(oracle.getZ(pub, c.SM2_ID)));
  assert.equal(c.scalarToHex(c.messageE(P, msg)), oracle.getHash(msg, pub, c.SM2_ID));
});

test('verifyE accepts sm-crypto-v2 signatures and refuses altered ones', () => {
  const kp = oracle.generateKeyPairHex();
  const P = c.pointFromHex(kp.publicKey);
  const sig = oracle.doSignature(msg, kp.privateKey, { hash: true, userId: c.SM2_ID });
  const r = BigInt('0x' + sig.slice(0, 64));
  const s = BigInt('0x' + sig.slice(64));
  const e = c.messageE(P, msg);
  assert.ok(c.verifyE(P, e, r, s));
  assert.ok(!c.verifyE(P, e + 1n, r, s));
  assert.ok(!c.verifyE(P, e, r, mod(s + 1n, c.ORDER)));
  assert.ok(!c.verifyE(P, e, 0n, s));
});

test('the joint signature verifies with openssl pkeyutl (SM3, distid 1234567812345678)', () => {
  const { d1, key, P } = enroll();
  const run = cosign(d1, key, P, msg);
  const s = run.s();
  const r = BigInt('0x' + run.reply.r);
  const dir = mkdtempSync(join(tmpdir(), 'hpki-2p-'));
  try {
    // SubjectPublicKeyInfo { id-ecPublicKey, sm2 (1.2.156.10197.1.301) } + the point.
    const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex'), Buffer.from(c.pointToBytes(P))]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    writeFileSync(join(dir, 'pub.pem'), pem);
    writeFileSync(join(dir, 'msg'), msg);
    writeFileSync(join(dir, 'sig'), c.sigToDer(r, s));
    const verify = (sigFile: string) =>
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-digest', 'sm3', '-in', join(dir, 'msg'), '-sigfile', sigFile, '-pkeyopt', 'distid:1234567812345678'], { encoding: 'utf8' });
    assert.match(verify(join(dir, 'sig')), /Signature Verified Successfully/);
    writeFileSync(join(dir, 'bad'), c.sigToDer(r, mod(s + 1n, c.ORDER)));
    assert.throws(() => verify(join(dir, 'bad')), 'openssl refuses a changed s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('D1-D3: two-party decryption of sm-crypto-v2 ciphertexts (raw C1C3C2 and DER)', () => {
  const { d1, key, P } = enroll();
  const pub = c.pointToHex(P);
  const plain = c.utf8('病历摘要: 血压 120/80，复诊 2026-12-14');
  for (const asn1 of [false, true]) {
    const ctHex = oracle.doEncrypt(plain, pub, 1, { asn1 });
    const ct = c.parseCiphertext(c.hexToBytes(asn1 ? ctHex : '04' + ctHex));
    const st = c.decryptStart(ct.c1);
    const out = c.decryptFinish(d1, st.w, ct, d2step(key, st.t1));
    assert.deepEqual(out, plain);
    // a wrong share (wrong PIN) fails the C3 check
    assert.throws(() => c.decryptFinish(mod(d1 + 1n, c.ORDER), st.w, ct, d2step(key, st.t1)), /C3 does not match/);
  }
});

test('the PIN-hardened share: the right PIN gives d1 back, a wrong one a d1 whose signature fails the final check', () => {
  const { d1, key, P } = enroll();
  const h = c.pinFactorFromBytes(new Uint8Array(48).fill(7));
  const stored = c.hardenShare(d1, h);
  assert.notEqual(stored, d1);
  assert.equal(c.unhardenShare(stored, h), d1);
  const wrong = c.unhardenShare(stored, c.pinFactorFromBytes(new Uint8Array(48).fill(8)));
  assert.throws(() => cosign(wrong, key, P, msg).s(), (e: unknown) => e instanceof c.CosignError && e.code === 'signature-invalid');
  assert.doesNotThrow(() => cosign(c.unhardenShare(stored, h), key, P, msg).s());
});

test('neither share alone signs: a replaced d2 or d1 gives signatures that do not verify', () => {
  const { d1, key, P } = enroll();
  const otherServer = { d2: c.randomScalar(), P: key.P };
  assert.throws(() => cosign(d1, otherServer, P, msg).s(), /does not verify/);
  assert.throws(() => cosign(c.randomScalar(), key, P, msg).s(), /does not verify/);
});

test('the final check catches a tampered s1 or r and a server that computed e for other bytes', () => {
  const { d1, key, P } = enroll();
  const st = c.signStart();
  const good = s2(key, st.q1, c.messageE(P, msg));
  const tamper = (h: string) => c.scalarToHex(mod(BigInt('0x' + h) + 1n, c.ORDER));
  assert.throws(() => c.signFinish(d1, st.w1, P, msg, { ...good, s1: tamper(good.s1) }), (e: unknown) => e instanceof c.CosignError && e.code === 'signature-invalid');
  assert.throws(() => c.signFinish(d1, st.w1, P, msg, { ...good, r: tamper(good.r) }), /does not verify/);
  // what-you-see: the server ran S2 for other bytes than those it sent to the phone
  assert.throws(() => cosign(d1, key, P, msg, c.utf8('a different prescription')).s(), /does not verify/);
  // the untampered reply signs
  assert.doesNotThrow(() => c.signFinish(d1, st.w1, P, msg, good));
});

test('received scalars outside [1, n-1] are refused', () => {
  const { d1, key, P } = enroll();
  const st = c.signStart();
  const good = s2(key, st.q1, c.messageE(P, msg));
  for (const bad of ['0'.repeat(64), c.scalarToHex(c.ORDER), 'f'.repeat(64), '12', 'zz'.repeat(32), 42]) {
    assert.throws(() => c.signFinish(d1, st.w1, P, msg, { ...good, s1: bad }), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-scalar');
  }
});

test('received points off the curve, at infinity or malformed are refused (P2, P, T2, C1)', () => {
  const k1 = c.keygenStart(ctx);
  const { reply } = k2(k1.p1, k1.proof, ctx);
  const Pt = c.pointFromHex(reply.p2);
  const a = Pt.toAffine();
  const offCurve = '04' + c.scalarToHex(a.x) + c.scalarToHex(mod(a.y + 1n, c.SM2.p));
  const xTooBig = '04' + (a.x + c.SM2.p).toString(16).padStart(64, '0').slice(-64) + c.scalarToHex(a.y);
  const bads = [offCurve, '04' + '0'.repeat(128), '02' + c.scalarToHex(a.x), '04' + 'f'.repeat(128), '', 'not hex', xTooBig];
  for (const bad of bads) {
    assert.throws(() => c.keygenFinish(k1.d1, { ...reply, p2: bad }, ctx), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-point', `P2 ${bad}`);
    assert.throws(() => c.keygenFinish(k1.d1, { ...reply, p: bad }, ctx), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-point', `P ${bad}`);
  }
  // the counterpart refuses an off-curve P1 and Q1 the same way
  assert.throws(() => k2(offCurve, k1.proof, ctx), /not on the SM2 curve/);
  // decryption: an off-curve T2 or C1
  const { d1, key, P } = enroll();
  const ct = c.parseCiphertext(c.hexToBytes('04' + oracle.doEncrypt(c.utf8('x'), c.pointToHex(P), 1)));
  const st = c.decryptStart(ct.c1);
  assert.throws(() => c.decryptFinish(d1, st.w, ct, offCurve), /not on the SM2 curve/);
  const raw = c.hexToBytes('04' + oracle.doEncrypt(c.utf8('x'), c.pointToHex(P), 1));
  raw[64] = raw[64]! ^ 1;
  assert.throws(() => c.parseCiphertext(raw), /not on the SM2 curve/);
  void key;
});

test('K3 refuses a bad proof for P2, a proof bound to another enrollment, and a P that is not d1^-1·P2 − G', () => {
  const k1 = c.keygenStart(ctx);
  const { reply } = k2(k1.p1, k1.proof, ctx);
  assert.doesNotThrow(() => c.keygenFinish(k1.d1, reply, ctx));
  const z = c.scalarToHex(mod(BigInt('0x' + reply.proof.z) + 1n, c.ORDER));
  assert.throws(() => c.keygenFinish(k1.d1, { ...reply, proof: { ...reply.proof, z } }, ctx), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-proof');
  assert.throws(() => c.keygenFinish(k1.d1, reply, 'enrollment-43'), (e: unknown) => e instanceof c.CosignError && e.code === 'invalid-proof');
  assert.throws(() => c.keygenFinish(k1.d1, { ...reply, proof: undefined }, ctx), /proof missing/);
  const otherP = c.pointToHex(c.pointFromHex(reply.p).add(c.G));
  assert.throws(() => c.keygenFinish(k1.d1, { ...reply, p: otherP }, ctx), (e: unknown) => e instanceof c.CosignError && e.code === 'key-mismatch');
  // the server side refuses the phone's proof under another context
  assert.throws(() => k2(k1.p1, k1.proof, 'enrollment-43'), /does not verify/);
});

test('fresh nonces: two signing runs never share Q1, and scalars are in range', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const st = c.signStart();
    assert.ok(st.w1 > 0n && st.w1 < c.ORDER);
    assert.ok(!seen.has(st.q1));
    seen.add(st.q1);
  }
});
