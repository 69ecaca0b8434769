// Node 18 has WebCrypto only as require('node:crypto').webcrypto (globalThis.crypto came in
// Node 19); the phone code uses globalThis.crypto as in a browser. Imported first by every test.
import { webcrypto } from 'node:crypto';

if (!(globalThis as { crypto?: unknown }).crypto) {
  Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
}
