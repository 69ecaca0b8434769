// What the phone keeps (IndexedDB, database "hpki-m"): the device record, the SM2 share d1
// PIN-hardened and wrapped, or the non-extractable P-256 key (docs/cosign.md §1.1, §1.2;
// mobile.md §1.7(8), §2.1).
//
// SM2: the stored value is c = d1·h^-1 mod n with h = PBKDF2-SHA256(PIN, salt) mod n, encrypted
// with AES-GCM under a non-extractable key that never leaves IndexedDB. A wrong PIN yields
// another d1 and an invalid signature, which hpki counts (5 in a row lock the device); the
// phone holds nothing that would let a thief test a PIN offline (no P1, no transcripts).

import { bigToBytes, bytesToBig, hardenShare, pinFactorFromBytes, unhardenShare } from './sm2_2p';
import { buf } from './util';

const DB = 'hpki-m';
const STORE = 'kv';
export const PBKDF2_ITERATIONS = 310000;

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const r = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(r.result as T);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

export const kvGet = <T>(key: string): Promise<T | undefined> => tx<T | undefined>('readonly', (s) => s.get(key));
export const kvPut = (key: string, value: unknown): Promise<void> => tx<void>('readwrite', (s) => s.put(value, key));
export const kvDelete = (key: string): Promise<void> => tx<void>('readwrite', (s) => s.delete(key));
export const kvClear = (): Promise<void> => tx<void>('readwrite', (s) => s.clear());

/** The enrolled device, as stored. */
export interface Device {
  device_id: string;
  device_token: string;
  algorithm: 'sm2' | 'ecdsa-p256';
  certificate: string; // PEM
  subject: { name?: string; organization?: string; department?: string };
  credential_id: string | null; // base64 rawId of the passkey, null without one
  enrolled_at: string;
  // SM2
  p?: string; // the joint public key P (hex), to check every final signature
  share?: { iv: Uint8Array; ct: Uint8Array; salt: Uint8Array; iterations: number };
  wrapKey?: CryptoKey; // AES-GCM, non-extractable
  // a PIN change sent to hpki whose answer did not arrive: the refreshed share, wrapped
  pending?: Pick<Device, 'share' | 'wrapKey'>;
  // P-256
  signKey?: CryptoKey; // ECDSA P-256 private key, non-extractable
}

export const loadDevice = (): Promise<Device | undefined> => kvGet<Device>('device');
export const saveDevice = (d: Device): Promise<void> => kvPut('device', d);

/** Asks the browser not to evict our storage (best effort; false where refused). */
export async function persist(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

async function pinFactor(pin: string, salt: Uint8Array, iterations: number): Promise<bigint> {
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations }, base, 384);
  return pinFactorFromBytes(new Uint8Array(bits));
}

/** Wraps d1 for storage: c = d1·h(PIN)^-1, AES-GCM under a fresh non-extractable key. */
export async function wrapShare(d1: bigint, pin: string): Promise<Pick<Device, 'share' | 'wrapKey'>> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const c = hardenShare(d1, await pinFactor(pin, salt, PBKDF2_ITERATIONS));
  const wrapKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: new TextEncoder().encode('hpki-share-v1') }, wrapKey, buf(bigToBytes(c))));
  return { share: { iv, ct, salt, iterations: PBKDF2_ITERATIONS }, wrapKey };
}

/** d1 from storage and a PIN. A wrong PIN gives a wrong d1 (found out only by hpki). */
export async function unwrapShare(d: Device, pin: string): Promise<bigint> {
  if (!d.share || !d.wrapKey) throw new Error('no SM2 share on this device');
  const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(d.share.iv), additionalData: new TextEncoder().encode('hpki-share-v1') }, d.wrapKey, buf(d.share.ct)));
  return unhardenShare(bytesToBig(plain), await pinFactor(pin, d.share.salt, d.share.iterations));
}

/** A non-extractable ECDSA P-256 key pair; the SPKI (DER) of its public key. */
export async function newP256Key(): Promise<{ key: CryptoKeyPair; spki: Uint8Array }> {
  const key = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', key.publicKey));
  return { key, spki };
}

/** ECDSA with SHA-256 over m, as WebCrypto returns it (P1363 r‖s). */
export async function p256Sign(key: CryptoKey, m: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, buf(m)));
}
