// SM3 (GB/T 32905-2016, GM/T 0004-2012): a small, dependency-free implementation.
// Tested against the standard's examples ("abc" and the 512-bit message) in web/test/sm3.test.ts.

const IV = new Uint32Array([
  0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
]);

function rotl(x: number, n: number): number {
  n &= 31;
  return n === 0 ? x >>> 0 : ((x << n) | (x >>> (32 - n))) >>> 0;
}
// GB/T 32905 4.4: the permutations P0 and P1.
const p0 = (x: number): number => (x ^ rotl(x, 9) ^ rotl(x, 17)) >>> 0;
const p1 = (x: number): number => (x ^ rotl(x, 15) ^ rotl(x, 23)) >>> 0;

function compress(v: Uint32Array, block: Uint8Array, off: number, w: Uint32Array): void {
  // GB/T 32905 5.3.2: message expansion into W0..W67 (W'j = Wj ^ Wj+4 computed inline).
  for (let j = 0; j < 16; j++) {
    const i = off + 4 * j;
    w[j] = ((block[i]! << 24) | (block[i + 1]! << 16) | (block[i + 2]! << 8) | block[i + 3]!) >>> 0;
  }
  for (let j = 16; j < 68; j++) {
    w[j] = (p1(w[j - 16]! ^ w[j - 9]! ^ rotl(w[j - 3]!, 15)) ^ rotl(w[j - 13]!, 7) ^ w[j - 6]!) >>> 0;
  }
  let a = v[0]!, b = v[1]!, c = v[2]!, d = v[3]!, e = v[4]!, f = v[5]!, g = v[6]!, h = v[7]!;
  // GB/T 32905 5.3.3: the compression function CF.
  for (let j = 0; j < 64; j++) {
    const t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
    const a12 = rotl(a, 12);
    const ss1 = rotl((a12 + e + rotl(t, j)) >>> 0, 7);
    const ss2 = (ss1 ^ a12) >>> 0;
    const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
    const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
    const wj1 = (w[j]! ^ w[j + 4]!) >>> 0;
    const tt1 = ((ff >>> 0) + d + ss2 + wj1) >>> 0;
    const tt2 = ((gg >>> 0) + h + ss1 + w[j]!) >>> 0;
    d = c;
    c = rotl(b, 9);
    b = a;
    a = tt1;
    h = g;
    g = rotl(f, 19);
    f = e;
    e = p0(tt2);
  }
  const out = [a, b, c, d, e, f, g, h];
  for (let i = 0; i < 8; i++) v[i] = (v[i]! ^ out[i]!) >>> 0;
}

/** SM3 digest (32 bytes) of the concatenation of the parts. */
export function sm3(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  // GB/T 32905 5.2: padding: 1 bit, zeros, the 64-bit big-endian bit length.
  const padded = new Uint8Array(Math.ceil((len + 9) / 64) * 64);
  let o = 0;
  for (const p of parts) {
    padded.set(p, o);
    o += p.length;
  }
  padded[len] = 0x80;
  const bits = BigInt(len) * 8n;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Number(bits >> 32n));
  view.setUint32(padded.length - 4, Number(bits & 0xffffffffn));
  const v = new Uint32Array(IV);
  const w = new Uint32Array(68);
  for (let off = 0; off < padded.length; off += 64) compress(v, padded, off, w);
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(4 * i, v[i]!);
  return out;
}
