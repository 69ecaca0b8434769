// Helpers of the phone app: P1363 → DER for WebCrypto's ECDSA signatures (checked by Node's
// OpenSSL), the messageDigest attribute reader of the what-you-see check, base64, the WebAuthn
// challenge encodings of docs/cosign.md.
import './setup';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { b64decode, b64encode, digestBytes, messageDigestOf, p1363ToDer } from '../mobile/src/util';
import { batchChallenge, qrChallenge, requestChallenge } from '../mobile/src/webauthn';

test('p1363ToDer: WebCrypto-style r‖s signatures verify as DER with OpenSSL (100 keys, high bits and leading zeros)', () => {
  let highBit = 0;
  for (let i = 0; i < 100; i++) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const msg = Buffer.from(`document ${i}`);
    const raw = sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    if ((raw[0]! & 0x80) !== 0 || (raw[32]! & 0x80) !== 0) highBit++;
    const der = p1363ToDer(new Uint8Array(raw));
    assert.ok(verify('sha256', msg, publicKey, Buffer.from(der)), `key ${i}`);
    const bad = Buffer.from(raw);
    bad[63] = bad[63]! ^ 1;
    assert.ok(!verify('sha256', msg, publicKey, Buffer.from(p1363ToDer(new Uint8Array(bad)))));
  }
  assert.ok(highBit > 0, 'the sample covered integers that need a leading zero byte');
  assert.deepEqual(Array.from(p1363ToDer(new Uint8Array([0, 0, 0, 1, 0x80, 0, 0, 0]))), [0x30, 0x0a, 0x02, 0x01, 0x01, 0x02, 0x05, 0x00, 0x80, 0, 0, 0]);
  assert.throws(() => p1363ToDer(new Uint8Array(3)));
});

test('messageDigestOf finds the RFC 5652 messageDigest attribute value and nothing else', () => {
  const digest = createHash('sha256').update('doc').digest();
  const contentType = Buffer.from('301806092a864886f70d010903310b06092a864886f70d010701', 'hex');
  const md = Buffer.concat([Buffer.from('302f06092a864886f70d01090431220420', 'hex'), digest]);
  const attrs = Buffer.concat([Buffer.from([0x31, contentType.length + md.length]), contentType, md]);
  assert.deepEqual(Buffer.from(messageDigestOf(new Uint8Array(attrs))!), digest);
  assert.equal(messageDigestOf(new Uint8Array(Buffer.concat([Buffer.from([0x31, contentType.length]), contentType]))), null);
});

test('base64: standard and URL-safe input, padding optional; garbage refused', () => {
  const b = new Uint8Array([0xfb, 0xff, 0xfe, 0x00, 0x01]);
  assert.equal(b64encode(b), '+//+AAE=');
  assert.deepEqual(b64decode('+//+AAE='), b);
  assert.deepEqual(b64decode('-__-AAE'), b);
  assert.throws(() => b64decode('not base64!'));
  assert.throws(() => b64decode('A'));
  assert.deepEqual(digestBytes('00'.repeat(32)), new Uint8Array(32));
  assert.deepEqual(digestBytes(b64encode(new Uint8Array(32).fill(9))), new Uint8Array(32).fill(9));
  assert.equal(digestBytes('abcd'), null);
});

test('WebAuthn challenges: SHA-256 over the documented concatenations', async () => {
  const sha = (...p: (string | Buffer)[]) => createHash('sha256').update(Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x)))).digest();
  const one = await requestChallenge(12, 'ab'.repeat(32), '2026-12-07T10:00:00Z', 'n0nce');
  assert.deepEqual(Buffer.from(one), sha('hpki-cosign-approve-v1', '12', 'ab'.repeat(32), '2026-12-07T10:00:00Z', 'n0nce'));
  const two = await requestChallenge('13', 'cd'.repeat(32), '2026-12-07T10:00:00Z', 'n0nce');
  assert.deepEqual(Buffer.from(await batchChallenge([one, two])), sha('hpki-cosign-batch-v1', Buffer.from(one), Buffer.from(two)));
  assert.notDeepEqual(Buffer.from(await batchChallenge([two, one])), Buffer.from(await batchChallenge([one, two])), 'the order counts');
  assert.deepEqual(Buffer.from(await qrChallenge('q1', 42)), sha('hpki-cosign-qr-v1', 'q1', '42'));
});
