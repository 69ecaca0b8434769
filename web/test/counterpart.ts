// hpki's side of the two-party protocol (K2, S2, D2 of docs/cosign.md §1.1), written here
// from the contract, independently of the phone code under test, so that the unit tests can
// run the whole protocol in one process. The real server is src/ossl/sm2_2p.cpp (C++); the
// end-to-end test (tests/e2e/) runs the phone against it.
import { mod, invert } from '@noble/curves/abstract/modular';
import { G, ORDER as n, pointFromHex, pointToHex, provePoK, randomScalar, verifyPoK, type Point } from '../mobile/src/sm2_2p';

export interface ServerKey {
  d2: bigint;
  P: Point;
}

/** K2: validates P1 and its proof; random d2; P = d2^-1·P1 − G; P2 = d2^-1·G with a proof. */
export function k2(p1: string, proof: unknown, ctx: string): { key: ServerKey; reply: { p: string; p2: string; proof: { r: string; z: string } } } {
  const P1 = pointFromHex(p1, 'P1');
  verifyPoK(P1, proof, ctx);
  const d2 = randomScalar();
  const d2inv = invert(d2, n);
  const P = P1.multiply(d2inv).subtract(G);
  if (P.is0()) throw new Error('P is the point at infinity');
  const P2 = G.multiply(d2inv);
  return { key: { d2, P }, reply: { p: pointToHex(P), p2: pointToHex(P2), proof: provePoK(d2inv, P2, ctx) } };
}

/** S2: validates Q1; fresh w2; Q = w2·G + d2^-1·Q1; r = (e + x(Q)) mod n; s1 = d2·(r + w2). */
export function s2(key: ServerKey, q1: string, e: bigint): { r: string; s1: string } {
  const Q1 = pointFromHex(q1, 'Q1');
  for (;;) {
    const w2 = randomScalar();
    const Q = G.multiply(w2).add(Q1.multiply(invert(key.d2, n)));
    const r = mod(e + Q.toAffine().x, n);
    if (r === 0n) continue;
    const s1 = mod(key.d2 * (r + w2), n);
    return { r: r.toString(16).padStart(64, '0'), s1: s1.toString(16).padStart(64, '0') };
  }
}

/** D2: validates T1; T2 = d2^-1·T1. */
export function d2step(key: ServerKey, t1: string): string {
  return pointToHex(pointFromHex(t1, 'T1').multiply(invert(key.d2, n)));
}
