#!/usr/bin/env node
// End to end in a real browser (issue 19): the phone app (/m/) and the PC QR page (/qr/) against
// a real `hpki serve`, driven by Playwright (playwright-core from web/node_modules) in Debian's
// Chromium. A Pixel-7 context per doctor's phone (zh-CN), a desktop context for the PC, a CDP
// virtual authenticator with user verification, a fake camera fed with the PC's QR as shown
// (screenshot → .y4m written here), a webhook receiver for the HIS.
//
// Flows, for SM2 (two-party) and ECDSA P-256 (device key): enrollment → certificate; a request
// posted by the HIS reaches the phone's list through the event stream → approval (passkey) →
// webhook with a valid HMAC-SM3 → the signature verifies (openssl cms / pkeyutl, hpki's
// /api/v1/verify); batch approval; QR login with number matching (ticket redeemed once) and a
// wrong number; QR signing; decryption of an openssl ciphertext; wrong PIN ×5 → device locked.
//
//   HPKI_BIN=build/bin/hpki node tests/e2e/mobile.mjs [artifacts-dir]
// Screenshots of the key phone screens go to <artifacts-dir> (default ./e2e-artifacts/mobile).
// Prints "N passed, M failed"; exit status 0 only when nothing failed.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const require = createRequire(join(repo, 'web/package.json'));
const { chromium, devices } = require('playwright-core');
const QRCode = require('qrcode');
const jsQR = require('jsqr');
const { PNG } = require('pngjs');
const { sm3 } = require('sm-crypto-v2');

const HPKI = process.env.HPKI_BIN ?? join(repo, 'build/bin/hpki');
const OUT = resolve(process.argv[2] ?? 'e2e-artifacts/mobile');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PIN = '271828';
const WORK = mkdtempSync(join(tmpdir(), 'hpki-e2e-'));
const HOME = join(WORK, 'home');
mkdirSync(OUT, { recursive: true });
process.env.HPKI_PASSPHRASE = 'e2e-test-passphrase';

// ---- checks -----------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
function check(what, ok, detail = '') {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAIL: ${what}${detail ? ': ' + detail : ''}`);
  }
  return ok;
}
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const t0 = Date.now();

// ---- processes we start (stopped by pid in cleanup) --------------------------------------------
let server = null;
let browser = null;
let hooks = null;
async function cleanup() {
  try {
    await browser?.close();
  } catch {
    /* already gone */
  }
  hooks?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  rmSync(WORK, { recursive: true, force: true });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

const hpki = (...args) => execFileSync(HPKI, ['--home', HOME, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const openssl = (...args) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// ---- the HIS / RA side: the HTTPS API with API keys ----------------------------------------------
let API = ''; // https://127.0.0.1:PORT/api/v1/
let BASE = ''; // http://localhost:PORT (base_url: the phone app's origin)
let CA_PEM = '';
function apiCall(key, method, path, body) {
  const url = new URL(path.replace(/^\//, ''), API);
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res, rej) => {
    const req = https.request(url, { method, ca: CA_PEM, headers: { Authorization: `Bearer ${key}`, Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) } }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = { raw: text };
        }
        res({ status: r.statusCode, json });
      });
    });
    req.on('error', rej);
    if (data) req.write(data);
    req.end();
  });
}

// ---- the webhook receiver of the HIS --------------------------------------------------------------
const deliveries = [];
function startHooks() {
  return new Promise((res) => {
    hooks = http.createServer((req, rsp) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
        rsp.writeHead(204).end();
      });
    });
    hooks.listen(0, '127.0.0.1', () => res(`http://127.0.0.1:${hooks.address().port}/cb`));
  });
}
async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

// ---- the fake camera ------------------------------------------------------------------------------
const CAM = join(WORK, 'camera.y4m');
const CAM_W = 640;
const CAM_H = 480;
/** A .y4m (YUV 4:2:0) whose frames show the grey image `luma(x, y)` (0..255) centred. */
function writeCamera(gray, w, h) {
  const Y = Buffer.alloc(CAM_W * CAM_H, 255);
  const scale = Math.max(1, Math.floor(Math.min(CAM_W / w, CAM_H / h)));
  const ox = Math.floor((CAM_W - w * scale) / 2);
  const oy = Math.floor((CAM_H - h * scale) / 2);
  for (let y = 0; y < h * scale && oy + y < CAM_H; y++)
    for (let x = 0; x < w * scale && ox + x < CAM_W; x++) Y[(oy + y) * CAM_W + ox + x] = gray[Math.floor(y / scale) * w + Math.floor(x / scale)];
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Y, Buffer.alloc((CAM_W / 2) * (CAM_H / 2) * 2, 128)]);
  writeFileSync(CAM, Buffer.concat([Buffer.from(`YUV4MPEG2 W${CAM_W} H${CAM_H} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}
/** Shows a screenshot (PNG) to the camera; returns what jsQR reads in it (the test's own look). */
function cameraFromScreenshot(png) {
  const img = PNG.sync.read(png);
  const gray = Buffer.alloc(img.width * img.height);
  for (let i = 0; i < gray.length; i++) gray[i] = Math.round(0.299 * img.data[4 * i] + 0.587 * img.data[4 * i + 1] + 0.114 * img.data[4 * i + 2]);
  // downscale to fit the camera frame
  const f = Math.max(1, Math.ceil(Math.max(img.width / CAM_W, img.height / CAM_H)));
  const w = Math.floor(img.width / f);
  const h = Math.floor(img.height / f);
  const small = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) small[y * w + x] = gray[y * f * img.width + x * f];
  writeCamera(small, w, h);
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data ?? null;
}
function cameraBlank() {
  writeCamera(Buffer.alloc(4, 255), 2, 2);
}

// ---- phones ---------------------------------------------------------------------------------------
async function newPhone(name) {
  const context = await browser.newContext({ ...devices['Pixel 7'], locale: 'zh-CN', timezoneId: 'Asia/Shanghai', permissions: ['camera'] });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${name} pageerror]`, e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[${name} console]`, m.text());
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  let n = 0;
  const shot = async (label) => page.screenshot({ path: join(OUT, `${name}-${String(++n).padStart(2, '0')}-${label}.png`) });
  return { name, context, page, cdp, authenticatorId, shot };
}

const tid = (page, id) => page.getByTestId(id);

async function drawSignature(page) {
  const box = await tid(page, 'hand-canvas').boundingBox();
  await page.mouse.move(box.x + 20, box.y + box.height * 0.6);
  await page.mouse.down();
  for (let i = 0; i <= 24; i++) await page.mouse.move(box.x + 20 + (i * (box.width - 40)) / 24, box.y + box.height * (0.5 + 0.25 * Math.sin(i / 2.5)), { steps: 2 });
  await page.mouse.up();
}

async function enrollPhone(phone, url, algorithm) {
  const { page, shot } = phone;
  await page.goto(url);
  await tid(page, 'enroll-code').waitFor();
  await shot('enroll-code');
  await tid(page, 'enroll-start').click();
  await tid(page, 'enroll-identity').waitFor();
  await shot('enroll-identity');
  await tid(page, 'enroll-confirm').click();
  if (algorithm === 'sm2') {
    await tid(page, 'pin-new').fill(PIN);
    await tid(page, 'pin-repeat').fill(PIN);
    await tid(page, 'pin-next').click();
  }
  await tid(page, 'enroll-passkey').waitFor({ timeout: 20000 });
  await shot('enroll-passkey');
  await tid(page, 'passkey-create').click();
  await tid(page, 'enroll-hand').waitFor();
  await drawSignature(page);
  await shot('enroll-handwriting');
  await tid(page, 'hand-next').click();
  await tid(page, 'enroll-done').waitFor({ timeout: 20000 });
  await shot('enroll-done');
  const pem = await tid(page, 'enroll-cert').textContent();
  await tid(page, 'to-pending').click();
  await tid(page, 'pending').waitFor();
  return pem;
}

/** Waits until the phone's list shows request id without a reload (the event stream). */
async function seesRequest(phone, id) {
  await tid(phone.page, `req-${id}`).waitFor({ timeout: 15000 });
}

/** Opens request id and approves it (PIN for SM2, then the passkey by default). */
async function approveOne(phone, id, { pin = PIN, algorithm }) {
  const { page } = phone;
  await tid(page, `req-${id}`).click();
  await tid(page, 'request').waitFor();
  await tid(page, 'btn-sign').click();
  if (algorithm === 'sm2') {
    await tid(page, 'pin-input').fill(pin);
    await tid(page, 'pin-ok').click();
  }
  await tid(page, 'pending').waitFor({ timeout: 20000 });
}

export { apiCall, check, cleanup, log, newPhone, enrollPhone, seesRequest, approveOne, cameraFromScreenshot, cameraBlank, startHooks, waitFor, freePort, hpki, openssl, deliveries };

// ---- the run ----------------------------------------------------------------------------------------
async function main() {
  // A home with SM2 and ECDSA hierarchies; base_url = http://localhost:PORT (WebAuthn needs a
  // secure context: localhost counts as one over plain HTTP).
  const port = await freePort();
  BASE = `http://localhost:${port}`;
  hpki('ca', 'init', '--families', 'rsa,sm2,ecdsa', '--org', '示例医院', '--org-dns', 'example.cn', '--base-url', BASE);
  const RA = hpki('apikey', 'create', '--role', 'ra_officer', '--org', '示例医院').trim().split('\n').pop();
  const HIS = hpki('apikey', 'create', '--role', 'integration', '--org', '示例医院').trim().split('\n').pop();

  server = spawn(HPKI, ['--home', HOME, 'serve', '--http-listen', `127.0.0.1:${port}`, '--api-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout.on('data', (d) => (out += d));
  server.stderr.on('data', (d) => (out += d));
  API = await waitFor('hpki serve', () => /https:\/\/\S+/.exec(out)?.[0] ?? (server.exitCode !== null ? Promise.reject(new Error(`hpki serve exited: ${out}`)) : null), 60000);
  if (!API.endsWith('/')) API += '/';
  CA_PEM = readFileSync(join(HOME, 'tls/ca.pem'));
  await waitFor('/healthz', async () => (await fetch(`${BASE}/healthz`).catch(() => null))?.ok);
  log('hpki serve', BASE, API);
  const hookUrl = await startHooks();

  cameraBlank();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${CAM}`],
  });

  void RA;
  void HIS;
  void hookUrl;
  void sm3;
  void createHmac;
  void QRCode;
  void openssl;
  throw new Error('the flows against the real server are written once its routes are on main');
}

main()
  .catch((e) => {
    failed++;
    console.error('FAIL:', e?.stack ?? e);
  })
  .finally(async () => {
    await cleanup();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
