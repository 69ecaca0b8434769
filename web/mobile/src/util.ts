// Small helpers shared by the phone app and the PC page: base64 (RFC 4648 §4 padded, as
// docs/cosign.md §1.3 says; base64url accepted on input), hashing, DER bits, DOM building.

export function b64encode(b: Uint8Array | ArrayBuffer): string {
  const u = b instanceof Uint8Array ? b : new Uint8Array(b);
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Decodes base64 (standard or URL-safe, padding optional). Throws on anything else. */
export function b64decode(s: string): Uint8Array {
  const std = s.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std)) throw new Error('not base64');
  const bare = std.replace(/=+$/, '');
  if (bare.length % 4 === 1) throw new Error('not base64');
  const bin = atob(bare + '='.repeat((4 - (bare.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64url(b: Uint8Array | ArrayBuffer): string {
  return b64encode(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A copy in a fresh ArrayBuffer (WebCrypto and WebAuthn want a BufferSource). */
export const buf = (u: Uint8Array): ArrayBuffer => u.slice().buffer as ArrayBuffer;

export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  let len = 0;
  for (const p of parts) len += p.length;
  const all = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** A 32-byte digest given as hex or base64 (the server's choice for document_sha256). */
export function digestBytes(s: string): Uint8Array | null {
  if (/^[0-9a-fA-F]{64}$/.test(s)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  try {
    const b = b64decode(s);
    return b.length === 32 ? b : null;
  } catch {
    return null;
  }
}

/** IEEE P1363 r‖s (what WebCrypto's ECDSA returns) to DER SEQUENCE { r INTEGER, s INTEGER }. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  if (sig.length % 2 !== 0 || sig.length === 0) throw new Error('P1363 signature of odd length');
  const half = sig.length / 2;
  const int = (v: Uint8Array): number[] => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const body = Array.from(v.subarray(i));
    if (body[0]! & 0x80) body.unshift(0);
    return [0x02, body.length, ...body];
  };
  const body = [...int(sig.subarray(0, half)), ...int(sig.subarray(half))];
  const head = body.length < 0x80 ? [0x30, body.length] : [0x30, 0x81, body.length];
  return new Uint8Array([...head, ...body]);
}

/**
 * The value of the CMS messageDigest attribute (RFC 5652 §11.2, OID 1.2.840.113549.1.9.4)
 * inside DER signed attributes, or null when there is none.
 */
export function messageDigestOf(signedAttrs: Uint8Array): Uint8Array | null {
  const oid = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
  outer: for (let i = 0; i + oid.length + 4 < signedAttrs.length; i++) {
    for (let j = 0; j < oid.length; j++) if (signedAttrs[i + j] !== oid[j]) continue outer;
    let p = i + oid.length;
    if (signedAttrs[p] !== 0x31) return null; // SET
    p += 2;
    if (signedAttrs[p] !== 0x04) return null; // OCTET STRING
    const len = signedAttrs[p + 1]!;
    if (len >= 0x80) return null;
    return signedAttrs.subarray(p + 2, p + 2 + len);
  }
  return null;
}

// ---- DOM ----------------------------------------------------------------------------------

type Attrs = Record<string, string | number | boolean | ((ev: Event) => void) | undefined | null>;
type Child = Node | string | number | null | undefined | false;

/** h('div#id.card', {onclick}, 'text', child): a tiny element builder. */
export function h(tag: string, attrs: Attrs | Child = {}, ...children: Child[]): HTMLElement {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node) {
    children.unshift(attrs as Child);
    attrs = {};
  }
  const [nameId, ...classes] = tag.split('.');
  const [name, id] = (nameId ?? '').split('#');
  const e = document.createElement(name || 'div');
  if (id) e.id = id;
  if (classes.length) e.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs as Attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') e.className += (e.className ? ' ' : '') + String(v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Formats an RFC 3339 time for display in the local zone. */
export function fmtTime(iso: string | undefined, lang: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}
