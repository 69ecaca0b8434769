// Captures real WebAuthn registration and assertion responses from Chromium's CDP virtual
// authenticator (CTAP2, internal transport, user verification) for tests/unit/cosign/.
// The C++ tests read only the JSON this writes (tests/vectors/cosign/webauthn_chromium.json);
// tests/vectors/README.md says how it was made.
//
// Run from a scratch directory outside the repository that has playwright-core installed, with
// Debian's Chromium (never `npx playwright install`):
//   mkdir -p /tmp/wa-capture && cd /tmp/wa-capture && npm install playwright-core@1.61.0
//   node <repo>/tests/vectors/cosign/capture_webauthn.mjs <repo>/tests/vectors/cosign/webauthn_chromium.json
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

// playwright-core is resolved from the current directory, not from the repository.
const require = createRequire(path.join(process.cwd(), 'capture.cjs'));
const { chromium } = require('playwright-core');

const out = process.argv[2];
if (!out) {
  console.error('usage: node capture_webauthn.mjs <output.json>');
  process.exit(2);
}

// Known challenges: SHA-256 of fixed labels, so anyone can recompute them.
const challenge = (label) => createHash('sha256').update(label).digest();
const challenges = {
  registration: challenge('hpki webauthn vector: registration'),
  registration_direct: challenge('hpki webauthn vector: registration (direct attestation)'),
  assertion1: challenge('hpki webauthn vector: assertion 1'),
  assertion2: challenge('hpki webauthn vector: assertion 2'),
};
// Two users: a resident credential replaces an earlier one of the same user on this rp.
const userId = challenge('hpki webauthn vector: user').subarray(0, 16);
const userIdDirect = challenge('hpki webauthn vector: user (direct)').subarray(0, 16);

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>hpki webauthn capture</title><p>capture</p>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const rpId = 'localhost';
const origin = `http://localhost:${port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  const b64 = (buf) => Buffer.from(buf).toString('base64');
  const create = (chal, user, attestation) =>
    page.evaluate(async ({ chal, rpId, userId, attestation }) => {
      const u8 = (a) => new Uint8Array(a);
      const bin = (buf) => Array.from(new Uint8Array(buf));
      const cred = await navigator.credentials.create({
        publicKey: {
          challenge: u8(chal),
          rp: { id: rpId, name: 'hpki test' },
          user: { id: u8(userId), name: 'doctor@hospital.example', displayName: 'Doctor' },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
          attestation,
          timeout: 30000,
        },
      });
      return {
        raw_id: bin(cred.rawId),
        attestation_object: bin(cred.response.attestationObject),
        client_data_json: bin(cred.response.clientDataJSON),
      };
    }, { chal: [...chal], rpId, userId: [...user], attestation });
  const get = (chal, credId) =>
    page.evaluate(async ({ chal, rpId, credId }) => {
      const u8 = (a) => new Uint8Array(a);
      const bin = (buf) => Array.from(new Uint8Array(buf));
      const a = await navigator.credentials.get({
        publicKey: {
          challenge: u8(chal),
          rpId,
          allowCredentials: [{ type: 'public-key', id: u8(credId) }],
          userVerification: 'required',
          timeout: 30000,
        },
      });
      return {
        raw_id: bin(a.rawId),
        authenticator_data: bin(a.response.authenticatorData),
        client_data_json: bin(a.response.clientDataJSON),
        signature: bin(a.response.signature),
        user_handle: a.response.userHandle ? bin(a.response.userHandle) : [],
      };
    }, { chal: [...chal], rpId, credId });

  const reg = await create(challenges.registration, userId, 'none');
  const regDirect = await create(challenges.registration_direct, userIdDirect, 'direct');
  const as1 = await get(challenges.assertion1, reg.raw_id);
  const as2 = await get(challenges.assertion2, reg.raw_id);

  const registration = (chal, r, attestation) => ({
    attestation_conveyance: attestation,
    challenge: b64(chal),
    credential_id: b64(r.raw_id),
    attestation_object: b64(r.attestation_object),
    client_data_json: b64(r.client_data_json),
  });
  const assertion = (chal, a) => ({
    challenge: b64(chal),
    credential_id: b64(a.raw_id),
    authenticator_data: b64(a.authenticator_data),
    client_data_json: b64(a.client_data_json),
    signature: b64(a.signature),
    user_handle: b64(a.user_handle),
  });
  const doc = {
    comment: 'Captured by tests/vectors/cosign/capture_webauthn.mjs (see tests/vectors/README.md). ' +
      'Byte strings are base64 (RFC 4648 section 4). The assertions were made in this order ' +
      'with the credential of "registration".',
    generator: `${browser.version()} (Debian chromium), CDP WebAuthn virtual authenticator ` +
      '(ctap2, internal, resident key, user verification), playwright-core 1.61.0',
    rp_id: rpId,
    origin,
    user_id: b64(userId),
    registration: registration(challenges.registration, reg, 'none'),
    registration_direct: registration(challenges.registration_direct, regDirect, 'direct'),
    assertions: [assertion(challenges.assertion1, as1), assertion(challenges.assertion2, as2)],
  };
  writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  console.log(`wrote ${out} (origin ${origin})`);
} finally {
  await browser.close();
  server.close();
}
