// The phone's what-you-see checks (web/mobile/src/checks.ts): the bytes to sign against the
// document shown, and the approval challenge against the request shown.
import './setup';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { challengeOf, documentMatches, type Req } from '../mobile/src/checks';
import { sm3 } from '../mobile/src/sm3';

const doc = Buffer.from('处方 Rx-1: 阿莫西林 0.5g');
const sha = createHash('sha256').update(doc).digest();
/** DER signed attributes: contentType and messageDigest = digest. */
const attrs = (digest: Uint8Array): Uint8Array => {
  const ct = Buffer.from('301806092a864886f70d010903310b06092a864886f70d010701', 'hex');
  const md = Buffer.concat([Buffer.from('302f06092a864886f70d01090431220420', 'hex'), Buffer.from(digest)]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x31, ct.length + md.length]), ct, md]));
};
const base: Req = { id: '7', format: 'raw', document: doc.toString('base64'), document_sha256: sha.toString('hex'), expires_at: '2026-12-07T10:00:00Z' };

test('raw: m must be the document shown', async () => {
  assert.ok(await documentMatches(base, new Uint8Array(doc), 'sm2'));
  assert.ok(!(await documentMatches(base, new Uint8Array(Buffer.from('处方 Rx-1: 阿莫西林 5g')), 'sm2')));
  // without the document (over 1 MiB): through its SHA-256
  assert.ok(await documentMatches({ ...base, document: undefined }, new Uint8Array(doc), 'ecdsa-p256'));
  assert.ok(!(await documentMatches({ ...base, document: undefined }, new Uint8Array(Buffer.from('x')), 'ecdsa-p256')));
  // a document that does not match its own listed digest
  assert.ok(!(await documentMatches({ ...base, document_sha256: '00'.repeat(32) }, new Uint8Array(doc), 'sm2')));
});

test('cms: the messageDigest attribute must be the SM3 or SHA-256 of the document shown', async () => {
  const cms = { ...base, format: 'cms' };
  assert.ok(await documentMatches(cms, attrs(sm3(new Uint8Array(doc))), 'sm2'));
  assert.ok(await documentMatches(cms, attrs(sha), 'ecdsa-p256'));
  assert.ok(!(await documentMatches(cms, attrs(sm3(new Uint8Array(Buffer.from('another document')))), 'sm2')));
  assert.ok(!(await documentMatches(cms, new Uint8Array(doc), 'sm2')), 'no messageDigest attribute');
  assert.ok(await documentMatches({ ...cms, document: undefined }, attrs(sha), 'ecdsa-p256'));
  assert.ok(!(await documentMatches({ ...cms, document: undefined }, attrs(new Uint8Array(32)), 'ecdsa-p256')));
  assert.ok(!(await documentMatches({ ...base, format: 'pdf' }, new Uint8Array(doc), 'sm2')), 'unknown formats are refused');
});

test('challengeOf re-derives the challenge and refuses a listed one that differs', async () => {
  const nonce = 'ab'.repeat(16);
  const mine = createHash('sha256').update(Buffer.concat([Buffer.from('hpki-cosign-approve-v1'), Buffer.from('7'), Buffer.from(sha.toString('hex')), Buffer.from(base.expires_at!), Buffer.from(nonce)])).digest();
  const r = { ...base, nonce, challenge: mine.toString('base64') };
  assert.deepEqual(Buffer.from(await challengeOf(r)), mine);
  await assert.rejects(challengeOf({ ...r, challenge: Buffer.alloc(32, 1).toString('base64') }), /does not match/);
  await assert.rejects(challengeOf({ ...r, expires_at: '2026-12-07T10:00:01Z' }), /does not match/);
  assert.deepEqual(Buffer.from(await challengeOf({ ...base, challenge: mine.toString('base64') })), mine, 'without a nonce: the listed one');
  await assert.rejects(challengeOf({ ...base }), /without an approval challenge/);
});

test('pdf: m must commit to the ByteRange of a prepared PDF that begins with the document shown', async () => {
  const original = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
  const head = Buffer.from('\n2 0 obj << /Type /Sig /Contents ');
  const hole = Buffer.from('<' + '0'.repeat(64) + '>');
  const tail = Buffer.from(' >> endobj\n%%EOF\n');
  const pdf = new Uint8Array(Buffer.concat([original, head, hole, tail]));
  const a = original.length + head.length;
  const b = a + hole.length;
  const byteRange = [0, a, b, tail.length];
  const covered = Buffer.concat([original, head, tail]);
  const r: Req = { id: '9', format: 'pdf', size: original.length, document_sha256: createHash('sha256').update(original).digest('hex') };
  const prepared = { pdf, byteRange };
  const sha = createHash('sha256').update(covered).digest();
  assert.ok(await documentMatches(r, attrs(sha), 'ecdsa-p256', prepared));
  assert.ok(await documentMatches(r, attrs(sm3(new Uint8Array(covered))), 'sm2', prepared));
  // without the prepared PDF the phone cannot check: refused
  assert.ok(!(await documentMatches(r, attrs(sha), 'sm2')));
  // M over other bytes (the digest of the original alone)
  assert.ok(!(await documentMatches(r, attrs(createHash('sha256').update(original).digest()), 'sm2', prepared)));
  // a prepared PDF that does not begin with the document shown
  const changed = new Uint8Array(pdf);
  changed[3] = 0x41;
  assert.ok(!(await documentMatches(r, attrs(sha), 'sm2', { pdf: changed, byteRange })));
  // a ByteRange that leaves out more than the hole, or does not reach the end
  assert.ok(!(await documentMatches(r, attrs(sha), 'sm2', { pdf, byteRange: [0, a, b + 2, tail.length - 2] })));
  assert.ok(!(await documentMatches(r, attrs(sha), 'sm2', { pdf, byteRange: [0, a, b, tail.length - 1] })));
  // a "hole" that hides bytes of the update
  const hidden = new Uint8Array(pdf);
  hidden[a + 5] = 0x41;
  assert.ok(!(await documentMatches(r, attrs(sha), 'sm2', { pdf: hidden, byteRange })));
  // a hole that starts inside the document shown
  assert.ok(!(await documentMatches(r, attrs(sha), 'sm2', { pdf, byteRange: [0, original.length - 1, b, tail.length] })));
});
