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
// wrong number; QR signing; decryption of an openssl ciphertext; PIN change (share refresh);
// wrong PIN ×5 → device locked.
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
let PLAIN = ''; // http://127.0.0.1:PORT (the same listener, for Node's own requests)
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
  let finish = null;
  page.on('request', (rq) => {
    if (rq.url().endsWith('/api/v1/m/enroll/finish')) finish = JSON.parse(rq.postData() ?? '{}');
  });
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
  check(`${phone.name}: the drawn signature went to hpki as PNG with its strokes`, finish?.handwriting?.png?.length > 100 && Array.isArray(finish.handwriting.strokes) && finish.handwriting.strokes.length > 0);
  return { pem, png: Buffer.from(finish?.handwriting?.png ?? '', 'base64') };
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
  // Node asks 127.0.0.1 itself (Node 18 may try ::1 first for localhost); the browser uses BASE.
  PLAIN = `http://127.0.0.1:${port}`;
  await waitFor('/healthz', async () => (await fetch(`${PLAIN}/healthz`).catch(() => null))?.ok);
  log('hpki serve', BASE, API);
  const hookUrl = await startHooks();

  cameraBlank();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${CAM}`],
  });

  const secret = (await apiCall(HIS, 'GET', 'cosign/webhook-secret')).json?.secret;
  check('the organization has a webhook secret', typeof secret === 'string' && secret.length >= 32);
  const cas = (await apiCall(RA, 'GET', 'cas')).json;
  
  // ---- SM2: enrollment --------------------------------------------------------------------------
  const subject = async (name, dept) => {
    const r = await apiCall(RA, 'POST', 'subjects', { kind: 'staff', subject: { name, org: '示例医院', dept } });
    if (r.status !== 201) throw new Error(`subject: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.id;
  };
  const li = await subject('李医生', '心内科');
  const sm2 = await newPhone('sm2');
  const en = await apiCall(HIS, 'POST', 'enrollments', { subject_id: li, algorithm: 'sm2', ttl_seconds: 3600 });
  check('HIS creates an SM2 enrollment: 201', en.status === 201, JSON.stringify(en.json));
  check('enrollment code: 8 Crockford base32 characters', /^[0-9A-HJKMNP-TV-Z]{4}-?[0-9A-HJKMNP-TV-Z]{4}$/.test(en.json.code ?? ''), en.json.code);
  check('enrollment URL on base_url', en.json.url === `${BASE}/m/#/enroll/${en.json.code}`, en.json.url);
  const { pem: sm2Pem, png: liPng } = await enrollPhone(sm2, en.json.url, 'sm2');
  writeFileSync(join(WORK, 'li.pem'), sm2Pem);
  const liText = openssl('x509', '-in', join(WORK, 'li.pem'), '-noout', '-text', '-nameopt', 'utf8');
  check('the SM2 certificate is issued for 李医生 on the SM2 curve', /SM2/.test(liText) && liText.includes('李医生'), liText.slice(0, 600));
  writeFileSync(join(WORK, 'li.pub'), openssl('x509', '-in', join(WORK, 'li.pem'), '-pubkey', '-noout'));
  const enState = await apiCall(HIS, 'GET', `enrollments/${en.json.id}`);
  check('enrollment completed', enState.json?.state === 'completed', JSON.stringify(enState.json));
  const liDevice = enState.json?.device_id;
  const reuse = await fetch(`${PLAIN}/api/v1/m/enroll/start`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: en.json.code }) });
  check('the enrollment code is single use', reuse.status >= 400 && reuse.status < 500, String(reuse.status));
  log('SM2 phone enrolled');

  // ---- SM2: a pushed request, approved with the passkey --------------------------------------------
  const request = async (signer, format, text, extra = {}) => {
    const r = await apiCall(HIS, 'POST', 'signing-requests', {
      signer,
      document: Buffer.from(text).toString('base64'),
      format,
      summary: { document_type: '处方', patient: '张*', department: '心内科' },
      callback_url: hookUrl,
      expires_in: 600,
      ...extra,
    });
    if (r.status !== 201) throw new Error(`signing request: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const signedResult = async (id) => {
    const r = await waitFor(`request ${id} signed`, async () => {
      const g = await apiCall(HIS, 'GET', `signing-requests/${id}`);
      return g.json?.state === 'signed' || g.json?.state === 'failed' ? g.json : null;
    });
    check(`request ${id} signed`, r.state === 'signed', JSON.stringify(r));
    return r;
  };
  const hookFor = async (id) => {
    const d = await waitFor(`webhook for ${id}`, () => deliveries.find((x) => JSON.parse(x.body.toString()).id === id));
    const mac = sm3(new Uint8Array(d.body), { key: Uint8Array.from(Buffer.from(secret, 'hex')), mode: 'hmac' });
    check(`webhook for ${id}: valid HMAC-SM3`, d.headers['x-hpki-signature'] === `hmac-sm3=${mac}`, String(d.headers['x-hpki-signature']));
    const bad = sm3(new Uint8Array(Buffer.concat([d.body, Buffer.from(' ')])), { key: Uint8Array.from(Buffer.from(secret, 'hex')), mode: 'hmac' });
    check('the HMAC covers the body', d.headers['x-hpki-signature'] !== `hmac-sm3=${bad}`);
    return JSON.parse(d.body.toString());
  };
  const verifyCms = async (b64, content) => (await apiCall(HIS, 'POST', 'verify', { signature: b64, mode: 'cms', ...(content ? { content } : {}) })).json;

  const doc1 = '处方 Rx-20261207-0001\n阿莫西林胶囊 0.5g tid ×3 天\n医师：李医生';
  const r1 = await request(li, 'cms', doc1, { timestamp: true });
  await seesRequest(sm2, r1.id); // no reload: the event stream brought it
  check('the badge counts the pending request', (await sm2.page.getByTestId('badge').textContent()) === '1');
  await sm2.shot('pending-list');
  await tid(sm2.page, `req-${r1.id}`).click();
  await tid(sm2.page, 'request').waitFor();
  check('the preview shows the document', (await tid(sm2.page, 'doc-preview').textContent()).includes('阿莫西林'));
  await sm2.shot('request-preview');
  await tid(sm2.page, 'btn-sign').click();
  await tid(sm2.page, 'pin-input').fill(PIN);
  await sm2.shot('pin');
  await tid(sm2.page, 'pin-ok').click();
  await tid(sm2.page, 'pending').waitFor({ timeout: 20000 });
  const s1 = await signedResult(r1.id);
  const v1 = await verifyCms(s1.signature);
  check('SM2 CMS verifies with hpki (POST /api/v1/verify)', v1?.valid === true && v1?.signature_algorithm === 'sm2-sm3', JSON.stringify(v1));
  check('with a valid hpki timestamp (CAdES-T)', v1?.timestamp?.valid === true, JSON.stringify(v1?.timestamp));
  const w1 = await hookFor(r1.id);
  check('the webhook carries the signed request', w1.state === 'signed' && w1.signature === s1.signature);
  writeFileSync(join(WORK, 'r1.p7s'), Buffer.from(s1.signature, 'base64'));
  // Issue 21: the evidence package of the co-signed request carries its approval record and the
  // audit entries of the request and the device, and verifies offline with only the SM2 root.
  const ev = await apiCall(RA, 'POST', 'evidence', { request_id: r1.id });
  check('evidence of a co-signed request: 201, valid', ev.status === 201 && ev.json?.verdict === 'valid', JSON.stringify(ev.json?.report?.reasons));
  writeFileSync(join(WORK, 'r1-evidence.zip'), Buffer.from(ev.json?.package ?? '', 'base64'));
  writeFileSync(join(WORK, 'sm2-root.pem'), cas.filter((c) => c.family === 'sm2' && c.role === 'root').map((c) => c.certificate).join('\n'));
  const offline = JSON.parse(execFileSync(HPKI, ['evidence', 'verify', join(WORK, 'r1-evidence.zip'), '--trust', join(WORK, 'sm2-root.pem'), '--json'], { encoding: 'utf8', env: { PATH: process.env.PATH } }));
  check('the package verifies offline without a home', offline.verdict === 'valid', JSON.stringify(offline.reasons));
  const approvalEntries = offline.elements.filter((e) => / cosign\.request\.(approve|sign)$/.test(e.element) && e.status === 'valid');
  check('with the audit entries of the approval and the signature', approvalEntries.length >= 2, JSON.stringify(offline.elements.map((e) => e.element)));
  const approval = JSON.parse(execFileSync('unzip', ['-p', join(WORK, 'r1-evidence.zip'), 'records/approval.json'], { encoding: 'utf8' }));
  check('and the approval record: device, method, requester', approval.request_id === r1.id && approval.device_id !== '' && ['pin', 'webauthn'].includes(approval.approval) && approval.requested_by !== '', JSON.stringify(approval));
  const otherOrg = hpki('apikey', 'create', '--role', 'auditor', '--org', '其他医院').trim().split('\n').pop();
  check('another organization cannot export it: 404', (await apiCall(otherOrg, 'POST', 'evidence', { request_id: r1.id })).status === 404);
  const cmsText = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(WORK, 'r1.p7s'));
  check('the SM2 CMS has a signing time and a message digest', /signingTime/.test(cmsText) && cmsText.includes('messageDigest'));
  const pngDigest = Buffer.from(sm3(new Uint8Array(liPng)), 'hex');
  check('the SM2 CMS binds the handwritten signature (SM3 of its PNG as a signed attribute)', cmsText.includes('2.25.240905777343342455888160970493046707135') && readFileSync(join(WORK, 'r1.p7s')).includes(pngDigest));
  await sm2.shot('signed');
  log('SM2 CMS signed and verified');

  // raw SM2 signature, checked by openssl with the distinguishing ID
  const doc2 = '检验报告 LAB-0042: 血常规 正常';
  const r2 = await request(li, 'raw', doc2);
  await seesRequest(sm2, r2.id);
  await approveOne(sm2, r2.id, { algorithm: 'sm2' });
  const s2 = await signedResult(r2.id);
  writeFileSync(join(WORK, 'r2.sig'), Buffer.from(s2.signature, 'base64'));
  writeFileSync(join(WORK, 'r2.txt'), doc2);
  const pk = (sig) => openssl('pkeyutl', '-verify', '-pubin', '-inkey', join(WORK, 'li.pub'), '-rawin', '-digest', 'sm3', '-in', join(WORK, 'r2.txt'), '-sigfile', sig, '-pkeyopt', 'distid:1234567812345678');
  check('raw SM2 verifies with openssl pkeyutl (distid 1234567812345678)', /Signature Verified Successfully/.test(pk(join(WORK, 'r2.sig'))));
  writeFileSync(join(WORK, 'r2.txt'), doc2 + '!');
  let refused = false;
  try {
    pk(join(WORK, 'r2.sig'));
  } catch {
    refused = true;
  }
  check('and openssl refuses it for other bytes', refused);
  await hookFor(r2.id);

  // ---- batch approval ------------------------------------------------------------------------------
  const batch = [];
  for (let i = 0; i < 3; i++) batch.push(await request(li, 'cms', `医嘱 ORD-${i}: 复查血压`));
  for (const b of batch) await seesRequest(sm2, b.id);
  await tid(sm2.page, 'sign-all').click();
  await tid(sm2.page, 'batch-sheet').waitFor();
  check('batch sheet counts 3', (await tid(sm2.page, 'batch-ok').textContent()).includes('3'));
  await sm2.shot('batch');
  await tid(sm2.page, 'batch-ok').click();
  await tid(sm2.page, 'pin-input').fill(PIN);
  await tid(sm2.page, 'pin-ok').click();
  await tid(sm2.page, 'pending-empty').waitFor({ timeout: 20000 });
  for (const b of batch) {
    const r = await signedResult(b.id);
    check(`batch member ${b.id} verifies`, (await verifyCms(r.signature))?.valid === true);
  }
  log('batch signed');

  // ---- decryption of an openssl ciphertext for the doctor's certificate ---------------------------
  const secretText = '会诊意见（机密）：建议 PCI 治疗';
  writeFileSync(join(WORK, 'plain.txt'), secretText);
  openssl('pkeyutl', '-encrypt', '-pubin', '-inkey', join(WORK, 'li.pub'), '-in', join(WORK, 'plain.txt'), '-out', join(WORK, 'ct.der'));
  await sm2.page.goto(`${BASE}/m/#/decrypt`);
  await tid(sm2.page, 'ct-input').fill(readFileSync(join(WORK, 'ct.der')).toString('base64'));
  await tid(sm2.page, 'decrypt-go').click();
  await tid(sm2.page, 'pin-input').fill(PIN);
  await tid(sm2.page, 'pin-ok').click();
  await sm2.page.waitForFunction(() => document.querySelector('[data-testid=pt-output]')?.textContent, null, { timeout: 15000 });
  check('two-party decryption of an openssl SM2 ciphertext', (await tid(sm2.page, 'pt-output').textContent()) === secretText);
  await sm2.shot('decrypt');

  // ---- QR login: the PC shows the code, the phone scans it through the camera ------------------------
  const pc = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  const pcPage = await pc.newPage();
  let ticket = null;
  pcPage.on('request', (rq) => {
    if (/\/redeem$/.test(rq.url())) ticket = JSON.parse(rq.postData() ?? '{}').ticket;
  });
  await pcPage.goto(`${BASE}/qr/`);
  await pcPage.waitForFunction(() => document.querySelector('[data-testid=qr-number]')?.textContent);
  const number = (await tid(pcPage, 'qr-number').textContent()).trim();
  const qrUrl = cameraFromScreenshot(await tid(pcPage, 'qr-canvas').screenshot());
  await pcPage.screenshot({ path: join(OUT, 'pc-01-qr-login.png') });
  check('the PC QR holds the phone URL and no secret', /^http:\/\/localhost:\d+\/m\/#\/qr\/[A-Za-z0-9_-]+$/.test(qrUrl ?? ''), qrUrl);
  const qrId = qrUrl.split('/').pop();
  await sm2.page.goto(`${BASE}/m/#/`);
  await tid(sm2.page, 'tab-scan').click();
  await tid(sm2.page, 'qr-confirm').waitFor({ timeout: 20000 });
  check('the phone shows where the login happens', (await tid(sm2.page, 'qr-ip').textContent()).includes('127.0.0.1'));
  await sm2.shot('qr-confirm');
  await waitFor('PC sees the scan', async () => (await tid(pcPage, 'qr-state').textContent()).includes('李医生'));
  await pcPage.screenshot({ path: join(OUT, 'pc-02-scanned.png') });
  await tid(sm2.page, `qr-choice-${number}`).click();
  await tid(sm2.page, 'qr-done').waitFor({ timeout: 15000 });
  await sm2.shot('qr-done');
  await tid(pcPage, 'login-subject').waitFor({ timeout: 15000 });
  check('the PC is logged in as the doctor', (await tid(pcPage, 'login-subject').textContent()) === '李医生');
  await pcPage.screenshot({ path: join(OUT, 'pc-03-logged-in.png') });
  check('the ticket was redeemed', typeof ticket === 'string' && ticket.length > 10);
  const again = await pcPage.request.post(`${BASE}/qr/api/sessions/${qrId}/redeem`, { data: { ticket } });
  check('a second redeem of the ticket fails', again.status() >= 400, String(again.status()));
  const session = await pcPage.request.get(`${BASE}/qr/api/session`);
  check('the PC session cookie works', session.status() === 200 && (await session.json()).subject === '李医生');

  // a wrong number cancels the session
  await pcPage.goto(`${BASE}/qr/?again`);
  await pcPage.waitForFunction((old) => {
    const t = document.querySelector('[data-testid=qr-number]')?.textContent;
    return t && t !== old;
  }, number).catch(() => undefined);
  const number2 = (await tid(pcPage, 'qr-number').textContent()).trim();
  cameraFromScreenshot(await tid(pcPage, 'qr-canvas').screenshot());
  await sm2.page.goto(`${BASE}/m/#/`);
  await tid(sm2.page, 'tab-scan').click();
  await tid(sm2.page, 'qr-confirm').waitFor({ timeout: 20000 });
  const choices = await sm2.page.locator('button.choice').allTextContents();
  check('three choices, one of them the PC number', choices.length === 3 && choices.includes(number2), JSON.stringify(choices));
  await sm2.page.locator('button.choice').filter({ hasNotText: number2 }).first().click();
  await tid(sm2.page, 'qr-error').waitFor({ timeout: 15000 });
  await waitFor('PC shows cancelled', async () => /取消/.test(await tid(pcPage, 'qr-state').textContent()));
  check('a wrong number cancels the QR login', true);
  log('QR login done');

  // ---- QR signing ------------------------------------------------------------------------------------
  const rq = await request(li, 'cms', '出院小结 DS-7: 病情稳定', { qr: true });
  check('a QR signing request answers its QR', typeof rq.qr?.id === 'string' && rq.qr.url === `${BASE}/m/#/qr/${rq.qr.id}`, JSON.stringify(rq.qr));
  await pcPage.goto(`${BASE}/qr/#sign/${rq.qr.id}`);
  await pcPage.waitForTimeout(300);
  const signUrl = cameraFromScreenshot(await tid(pcPage, 'qr-canvas').screenshot());
  check('the PC shows the signing QR', signUrl === rq.qr.url, signUrl);
  await pcPage.screenshot({ path: join(OUT, 'pc-04-qr-sign.png') });
  await sm2.page.goto(`${BASE}/m/#/`);
  await tid(sm2.page, 'tab-scan').click();
  await tid(sm2.page, 'request').waitFor({ timeout: 20000 });
  await sm2.shot('qr-sign-request');
  await tid(sm2.page, 'btn-sign').click();
  await tid(sm2.page, 'pin-input').fill(PIN);
  await tid(sm2.page, 'pin-ok').click();
  const sq = await signedResult(rq.id);
  check('the QR-signed CMS verifies', (await verifyCms(sq.signature))?.valid === true);
  log('QR signing done');

  // ---- PIN change = share refresh (docs/cosign.md §2 "Share refresh"; mobile.md §1.7(9)) --------------------------
  const PIN2 = '314159';
  await sm2.page.goto(`${BASE}/m/#/settings`);
  await tid(sm2.page, 'to-pin').click();
  await tid(sm2.page, 'pin-change').waitFor();
  await tid(sm2.page, 'pin-new').fill(PIN2);
  await tid(sm2.page, 'pin-repeat').fill(PIN2);
  await tid(sm2.page, 'pin-change-go').click();
  await tid(sm2.page, 'pin-input').fill('000001'); // a wrong current PIN
  await tid(sm2.page, 'pin-ok').click();
  await sm2.page.waitForFunction(() => document.querySelector('[data-testid=pin-error]')?.textContent, null, { timeout: 15000 });
  const wrongPinText = await tid(sm2.page, 'pin-error').textContent();
  check('a wrong current PIN: hpki refuses the refresh (its approval names another share point)', /PIN/.test(wrongPinText), wrongPinText);
  await tid(sm2.page, 'pin-change-go').click();
  await tid(sm2.page, 'pin-input').fill(PIN);
  await tid(sm2.page, 'pin-ok').click();
  await sm2.page.waitForFunction(() => document.querySelector('[data-testid=settings]') || document.querySelector('[data-testid=pin-error]')?.textContent, null, { timeout: 20000 });
  const pinChangeError = await tid(sm2.page, 'pin-error').textContent().catch(() => '');
  check('the right current PIN changes the PIN (shares refreshed)', await tid(sm2.page, 'settings').isVisible(), pinChangeError);
  await sm2.shot('pin-changed');
  const r6 = await request(li, 'cms', '处方 Rx-6: 新 PIN');
  await sm2.page.goto(`${BASE}/m/#/`);
  await seesRequest(sm2, r6.id);
  await approveOne(sm2, r6.id, { algorithm: 'sm2', pin: PIN2 });
  const s6 = await signedResult(r6.id);
  check('after the PIN change the refreshed shares sign: the CMS verifies, same certificate', (await verifyCms(s6.signature))?.valid === true);
  log('PIN change done');

  // ---- ECDSA P-256 -----------------------------------------------------------------------------------
  const wang = await subject('王医生', '急诊科');
  const p256 = await newPhone('p256');
  const en2 = await apiCall(RA, 'POST', 'enrollments', { subject_id: wang, algorithm: 'ecdsa-p256' });
  check('RA creates a P-256 enrollment: 201', en2.status === 201, JSON.stringify(en2.json));
  const { pem: wangPem } = await enrollPhone(p256, en2.json.url, 'ecdsa-p256');
  writeFileSync(join(WORK, 'wang.pem'), wangPem);
  const wangText = openssl('x509', '-in', join(WORK, 'wang.pem'), '-noout', '-text');
  check('the P-256 certificate is issued for the phone key', /prime256v1|P-256/.test(wangText), wangText.slice(0, 300));
  writeFileSync(join(WORK, 'wang.pub'), openssl('x509', '-in', join(WORK, 'wang.pem'), '-pubkey', '-noout'));
  const doc3 = 'Prescription RX-3: aspirin 100 mg qd';
  const r3 = await request(wang, 'cms', doc3);
  await seesRequest(p256, r3.id);
  await tid(p256.page, 'lang').click(); // English, once
  await p256.shot('pending-en');
  await tid(p256.page, 'lang').click();
  await approveOne(p256, r3.id, { algorithm: 'ecdsa-p256' });
  const s3 = await signedResult(r3.id);
  await hookFor(r3.id);
  writeFileSync(join(WORK, 'r3.p7s'), Buffer.from(s3.signature, 'base64'));
  writeFileSync(join(WORK, 'chain.pem'), caBundle(cas, 'ecdsa'));
  const content = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', join(WORK, 'r3.p7s'), '-CAfile', join(WORK, 'chain.pem'), '-purpose', 'any'], { stdio: ['ignore', 'pipe', 'pipe'] });
  check('P-256 CMS verifies with openssl cms -verify and carries the document', content.toString() === doc3);
  const doc4 = 'Lab report L-9';
  const r4 = await request(wang, 'raw', doc4);
  await seesRequest(p256, r4.id);
  await approveOne(p256, r4.id, { algorithm: 'ecdsa-p256' });
  const s4 = await signedResult(r4.id);
  writeFileSync(join(WORK, 'r4.sig'), Buffer.from(s4.signature, 'base64'));
  writeFileSync(join(WORK, 'r4.txt'), doc4);
  check('raw P-256 verifies with openssl dgst -sha256', /Verified OK/.test(openssl('dgst', '-sha256', '-verify', join(WORK, 'wang.pub'), '-signature', join(WORK, 'r4.sig'), join(WORK, 'r4.txt'))));
  await p256.page.goto(`${BASE}/m/#/settings`);
  await tid(p256.page, 'settings').waitFor();
  await p256.shot('settings');
  log('P-256 done');

  // ---- wrong PIN ×5 → the device locks (last: it ends the SM2 phone) -------------------------------
  await sm2.page.goto(`${BASE}/m/#/settings`);
  await tid(sm2.page, 'approval-method').selectOption('pin');
  await sm2.shot('settings');
  const r5 = await request(li, 'cms', '处方 Rx-5');
  await sm2.page.goto(`${BASE}/m/#/`);
  await seesRequest(sm2, r5.id);
  for (let i = 1; i <= 5; i++) {
    await approveOne(sm2, r5.id, { algorithm: 'sm2', pin: '000000'.slice(0, 5) + String(i) });
    await sm2.page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent, null, { timeout: 10000 });
    if (i === 1) await sm2.shot('wrong-pin');
    const st = await apiCall(HIS, 'GET', `signing-requests/${r5.id}`);
    check(`wrong PIN ${i}: the request stays unsigned`, st.json?.state === 'pending', st.json?.state);
  }
  const dev = await apiCall(RA, 'GET', `cosign/devices/${liDevice}`);
  check('5 wrong PINs lock the device', dev.json?.status === 'locked', JSON.stringify(dev.json));
  await sm2.page.goto(`${BASE}/m/#/`);
  await tid(sm2.page, `req-${r5.id}`).click().catch(() => undefined);
  await tid(sm2.page, 'btn-sign').click().catch(() => undefined);
  await tid(sm2.page, 'pin-input').fill(PIN2).catch(() => undefined);
  await tid(sm2.page, 'pin-ok').click().catch(() => undefined);
  await tid(sm2.page, 'locked').waitFor({ timeout: 15000 });
  await sm2.shot('locked');
  const r5s = await apiCall(HIS, 'GET', `signing-requests/${r5.id}`);
  check('even the right PIN no longer signs on a locked device', r5s.json?.state === 'pending', r5s.json?.state);
  log('lockout done');
}

/** The PEM bundle of the CA certificates of one family (from GET /api/v1/cas). */
function caBundle(cas, family) {
  return cas.filter((c) => c.family === family && /root|issuing/.test(c.role)).map((c) => c.certificate).join('\n');
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
