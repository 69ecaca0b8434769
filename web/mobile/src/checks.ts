// What the phone checks before it approves or signs (docs/cosign.md §3, §7; mobile.md §1.7(4)):
// the approval challenge re-derived from what it shows, and the bytes hpki asks it to sign
// against the document it shows. Pure functions (no DOM): unit-tested in web/test/checks.test.ts.

import { CosignError } from './sm2_2p';
import { sm3 } from './sm3';
import { b64decode, digestBytes, equalBytes, messageDigestOf, sha256 } from './util';
import { requestChallenge } from './webauthn';

/** A signing request as the phone routes list it (docs/cosign.md §3 "Phone routes"). */
export interface Req {
  id: string | number;
  summary?: { document_type?: string; patient?: string; department?: string; [k: string]: unknown };
  format?: string;
  created_at?: string;
  expires_at?: string;
  document_sha256?: string;
  challenge?: string;
  nonce?: string;
  document?: string;
  size?: number;
  pdf?: { page?: number; rect?: { x: number; y: number; w: number; h: number }; anchor?: string; reason?: string };
}

/** Format pdf: the prepared PDF hpki signs (GET /api/v1/m/requests/{id}/prepared). */
export interface PreparedPdf {
  pdf: Uint8Array;
  byteRange: number[];
}

/**
 * The WebAuthn challenge of a request: re-derived from id, document_sha256, expires_at and
 * nonce, and refused when the listed challenge differs; the listed one alone when the server
 * sent no nonce.
 */
export async function challengeOf(r: Req): Promise<Uint8Array> {
  const given = r.challenge ? (digestBytes(r.challenge) ?? b64decode(r.challenge)) : null;
  if (r.nonce !== undefined && r.document_sha256 && r.expires_at) {
    const mine = await requestChallenge(r.id, r.document_sha256, r.expires_at, r.nonce);
    if (given && !equalBytes(mine, given)) throw new CosignError('invalid-proof', 'the approval challenge does not match the request shown');
    return mine;
  }
  if (!given) throw new Error('request without an approval challenge');
  return given;
}

/**
 * What-you-see-is-what-you-sign: `m` (the bytes hpki asks the phone to sign) must be the
 * document shown (`raw`), or DER signed attributes whose messageDigest is the document's SM3 or
 * SHA-256 digest (`cms`, `cms-detached`); a document not downloaded (over 1 MiB) is compared
 * through document_sha256 (SHA-256 only: an SM2 CMS with an SM3 digest is then not checkable
 * and passes). False on a mismatch.
 */
export async function documentMatches(r: Req, m: Uint8Array, algorithm: 'sm2' | 'ecdsa-p256', prepared?: PreparedPdf): Promise<boolean> {
  const doc = r.document ? b64decode(r.document) : null;
  const docSha = r.document_sha256 ? digestBytes(r.document_sha256) : null;
  if (doc && docSha && !equalBytes(await sha256(doc), docSha)) return false;
  if (r.format === 'pdf') return prepared ? pdfMatches(r, m, prepared, docSha) : false;
  if (r.format === 'raw') {
    if (doc) return equalBytes(doc, m);
    return docSha ? equalBytes(await sha256(m), docSha) : false;
  }
  if (r.format === 'cms' || r.format === 'cms-detached') {
    const md = messageDigestOf(m);
    if (!md) return false;
    if (doc) return equalBytes(md, sm3(doc)) || equalBytes(md, await sha256(doc));
    if (!docSha) return false;
    return equalBytes(md, docSha) || (algorithm === 'sm2' && md.length === 32);
  }
  return false;
}

/**
 * Format pdf (docs/cosign.md §3 "Format pdf"): the prepared PDF begins with the document shown
 * (its SHA-256 is document_sha256, which the approval challenge binds), its ByteRange is
 * [0, a, b, c] with a beyond the document, b + c its size and only a hex hole <00…> in [a, b),
 * and M's messageDigest is the SM3 or SHA-256 of the two ranges. The incremental update itself
 * (hpki's signature field and appearance) is not parsed.
 */
export async function pdfMatches(r: Req, m: Uint8Array, p: PreparedPdf, docSha: Uint8Array | null): Promise<boolean> {
  const size = r.size;
  if (!docSha || size === undefined || size <= 0 || p.pdf.length <= size) return false;
  if (!equalBytes(await sha256(p.pdf.subarray(0, size)), docSha)) return false;
  const br = p.byteRange;
  if (br.length !== 4 || !br.every((v) => Number.isSafeInteger(v) && v >= 0)) return false;
  const [zero, a, b, c] = br as [number, number, number, number];
  if (zero !== 0 || a <= size || b <= a + 1 || b + c !== p.pdf.length) return false;
  if (p.pdf[a] !== 0x3c || p.pdf[b - 1] !== 0x3e) return false; // < … >
  for (let i = a + 1; i < b - 1; i++) if (p.pdf[i] !== 0x30) return false; // the zero-filled hole
  const covered = new Uint8Array(a + c);
  covered.set(p.pdf.subarray(0, a), 0);
  covered.set(p.pdf.subarray(b, b + c), a);
  const md = messageDigestOf(m);
  if (!md) return false;
  return equalBytes(md, sm3(covered)) || equalBytes(md, await sha256(covered));
}
