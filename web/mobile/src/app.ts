// The doctors' phone app (served by hpki at /m/): enrollment wizard, 待签 pending list with
// preview, single and batch approval, 扫一扫 (QR login and QR signing), collaborative
// decryption, settings. Protocol: docs/cosign.md; UX: mobile.md §5.
//
// Hash routes: #/ (待签), #/enroll/{code}, #/qr/{id}, #/req/{id}, #/scan, #/settings,
// #/decrypt, #/redraw. Elements the end-to-end test drives carry data-testid attributes.

import jsQR from 'jsqr';
import SignaturePad from 'signature_pad';
import { api, ApiError, eventStream, setToken } from './api';
import { getLang, setLang, t, type Key } from './i18n';
import { kvClear, loadDevice, newP256Key, p256Sign, persist, saveDevice, unwrapShare, wrapShare, type Device } from './keystore';
import * as sm2 from './sm2_2p';
import { b64decode, b64encode, fmtTime, h, p1363ToDer } from './util';
import { approve, batchChallenge, decryptChallenge, qrChallenge, refreshChallenge, register, webauthnAvailable, type Registration, type WebauthnApproval } from './webauthn';
import { challengeOf, documentMatches, type PreparedPdf, type Req } from './checks';

declare const __APP_VERSION__: string;

// ---- types of the server's answers (docs/cosign.md) -----------------------------------------

interface Summary {
  document_type?: string;
  patient?: string;
  department?: string;
  [k: string]: unknown;
}
interface StartResp {
  enrollment_id: string | number;
  algorithm: 'sm2' | 'ecdsa-p256';
  subject: { name?: string; organization?: string; department?: string };
  webauthn?: { challenge: string; rp_id: string; rp_name: string; user_id: string; user_name: string };
}

// ---- state ------------------------------------------------------------------------------------

let device: Device | undefined;
let me: Record<string, unknown> | undefined;
let pending: Req[] = [];
const details = new Map<string, Req>();
let stopStream: (() => void) | null = null;
let cleanupView: (() => void) | null = null;

const $view = (): HTMLElement => document.getElementById('view')!;
const idOf = (r: Req): string => String(r.id);

// ---- capabilities (mobile.md §2; in-app browsers) -----------------------------------------------

function capabilities(): { key: Key; ok: boolean; required: boolean }[] {
  return [
    { key: 'capSecure', ok: window.isSecureContext, required: true },
    { key: 'capCrypto', ok: !!globalThis.crypto?.subtle, required: true },
    { key: 'capStorage', ok: typeof indexedDB !== 'undefined', required: true },
    { key: 'capPasskey', ok: webauthnAvailable(), required: false },
    { key: 'capCamera', ok: !!navigator.mediaDevices?.getUserMedia, required: false },
  ];
}
const inAppBrowser = (): boolean => /MicroMessenger|wxwork|DingTalk|AlipayClient|Weibo|\bQQ\/|Lark|Feishu/i.test(navigator.userAgent);

function capabilityList(): HTMLElement {
  return h(
    'ul.caps',
    ...capabilities().map((c) => h('li', { class: c.ok ? 'ok' : 'missing', 'data-testid': `cap-${c.key}` }, t(c.key), ': ', h('b', c.ok ? t('capOk') : t('capMissing')))),
  );
}

function unsupportedScreen(): HTMLElement {
  return h(
    'section.card',
    { 'data-testid': 'unsupported' },
    h('h2', t('unsupportedTitle')),
    inAppBrowser() ? h('p.warn', t('inApp')) : null,
    h('p', t('unsupportedIntro')),
    capabilityList(),
  );
}

// ---- chrome: header, tabs, status, modals ----------------------------------------------------

function status(msg: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  const el = document.getElementById('status')!;
  el.textContent = msg;
  el.className = `status ${kind}`;
  el.hidden = !msg;
  if (msg && kind !== 'error') setTimeout(() => {
    if (el.textContent === msg) el.hidden = true;
  }, 6000);
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('errNetwork');
    const map: [string, Key][] = [
      ['enrollment-code-invalid', 'errCodeInvalid'],
      ['enrollment-locked', 'errLocked'],
      ['enrollment-expired', 'errExpired'],
      ['request-expired', 'errExpired'],
      ['qr-expired', 'errExpired'],
      ['request-not-pending', 'errNotPending'],
      ['approval-invalid', 'errApproval'],
      ['signature-invalid', 'checkFailed'],
      ['device-locked', 'lockedTitle'],
      ['device-revoked', 'revokedTitle'],
    ];
    for (const [suffix, key] of map) if (e.is(suffix)) return t(key) + (e.detail ? ` (${e.detail})` : '');
    return `${e.title || t('errServer')}${e.detail ? ': ' + e.detail : ''}`;
  }
  if (e instanceof sm2.CosignError) return `${t('errKeyCheck')} (${e.message})`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Handles the problems that end the device's use (locked, revoked); true when handled. */
function fatal(e: unknown): boolean {
  if (e instanceof ApiError && (e.is('device-locked') || e.is('device-revoked'))) {
    stopStream?.();
    stopStream = null;
    status('');
    show(lockedScreen(e.is('device-locked') ? 'lockedTitle' : 'revokedTitle'));
    return true;
  }
  return false;
}

function header(): HTMLElement {
  return h(
    'header.top',
    h('h1', t('appName')),
    h('button.lang', { 'data-testid': 'lang', onclick: () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); renderChrome(); void route(); } }, t('langSwitch')),
  );
}

function tabs(): HTMLElement {
  const cur = location.hash.replace(/^#\/?/, '').split('/')[0] || '';
  const tab = (route: string, key: Key, badge?: number) =>
    h('a', { href: `#/${route}`, class: cur === route || (route === '' && cur === 'req') ? 'active' : '', 'data-testid': `tab-${route || 'pending'}` }, t(key), badge ? h('span.badge', { 'data-testid': 'badge' }, String(badge)) : null);
  return h('nav.tabs', tab('', 'tabPending', pending.length), tab('scan', 'tabScan'), tab('settings', 'tabSettings'));
}

function renderChrome(): void {
  const app = document.getElementById('app')!;
  app.replaceChildren(header(), h('div#status.status', { hidden: true, 'data-testid': 'status', role: 'status' }), h('main#view'), device ? tabs() : '');
}

function refreshTabs(): void {
  const old = document.querySelector('nav.tabs');
  if (old && device) old.replaceWith(tabs());
  else if (!old && device) document.getElementById('app')!.append(tabs());
  const n = pending.length;
  document.title = (n ? `(${n}) ` : '') + t('appName');
  const nav = navigator as Navigator & { setAppBadge?: (n: number) => Promise<void>; clearAppBadge?: () => Promise<void> };
  if (n) void nav.setAppBadge?.(n).catch(() => undefined);
  else void nav.clearAppBadge?.().catch(() => undefined);
}

function show(el: HTMLElement): void {
  cleanupView?.();
  cleanupView = null;
  $view().replaceChildren(el);
  refreshTabs();
}

function spinner(msg: string): HTMLElement {
  return h('section.card.center', { 'data-testid': 'busy' }, h('div.spin'), h('p', msg));
}

/** A modal sheet; resolves with what `build` passes to done (null when cancelled). */
function sheet<T>(build: (done: (v: T | null) => void) => HTMLElement): Promise<T | null> {
  return new Promise((resolve) => {
    const back = h('div.sheet-back');
    const done = (v: T | null): void => {
      back.remove();
      resolve(v);
    };
    back.append(h('div.sheet', build(done)));
    document.body.append(back);
  });
}

/** Asks for the 6-digit PIN. */
function askPin(title: string, hint = ''): Promise<string | null> {
  return sheet<string>((done) => {
    const input = h('input', { type: 'password', inputmode: 'numeric', pattern: '[0-9]*', maxlength: 6, autocomplete: 'off', 'data-testid': 'pin-input', 'aria-label': t('pinEnter') }) as HTMLInputElement;
    const err = h('p.error', { 'data-testid': 'pin-error' });
    const ok = (): void => {
      if (!/^\d{6}$/.test(input.value)) {
        err.textContent = t('pinFormat');
        return;
      }
      done(input.value);
    };
    input.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') ok();
    });
    setTimeout(() => input.focus(), 50);
    return h('div', h('h3', title), hint ? h('p.muted', hint) : null, input, err, h('div.row', h('button.secondary', { onclick: () => done(null) }, t('cancel')), h('button.primary', { 'data-testid': 'pin-ok', onclick: ok }, t('confirm'))));
  });
}

function lockedScreen(key: Key): HTMLElement {
  return h('section.card', { 'data-testid': 'locked' }, h('h2', t(key)), h('p', t('lockedIntro')), h('button.secondary', { onclick: () => void reenroll() }, t('reenroll')));
}

// ---- enrollment wizard (mobile.md §5 point 5) ---------------------------------------------------

interface Wizard {
  code: string;
  start?: StartResp;
  pin?: string;
  d1?: bigint;
  p?: string;
  s?: string;
  keys?: CryptoKeyPair;
  signature?: string;
  webauthn?: Registration;
  handwriting?: { png: string; strokes: unknown };
}

const normalizeCode = (c: string): string => c.toUpperCase().replace(/[^0-9A-Z]/g, '');

function enrollScreen(prefill: string): HTMLElement {
  if (capabilities().some((c) => c.required && !c.ok)) return unsupportedScreen();
  const input = h('input', { value: prefill, placeholder: 'ABCD-EFGH', autocomplete: 'off', autocapitalize: 'characters', 'data-testid': 'enroll-code', 'aria-label': t('enrollCode') }) as HTMLInputElement;
  const go = async (): Promise<void> => {
    const code = normalizeCode(input.value);
    if (code.length !== 8) {
      status(t('errCodeInvalid'), 'error');
      return;
    }
    show(spinner(t('loading')));
    try {
      const start = await api<StartResp>('POST', '/api/v1/m/enroll/start', { code });
      identityStep({ code, start });
    } catch (e) {
      status(errorText(e), 'error');
      show(enrollScreen(input.value));
    }
  };
  return h(
    'section.card',
    { 'data-testid': 'enroll' },
    h('h2', t('enrollTitle')),
    inAppBrowser() ? h('p.warn', t('inApp')) : null,
    h('p', t('enrollIntro')),
    h('label', t('enrollCode'), input),
    h('button.primary', { 'data-testid': 'enroll-start', onclick: () => void go() }, t('enrollStart')),
    h('details', h('summary', t('capPasskey') + ' …'), capabilityList()),
  );
}

function identityStep(w: Wizard): void {
  const s = w.start!;
  show(
    h(
      'section.card',
      { 'data-testid': 'enroll-identity' },
      h('h2', t('enrollIdentity')),
      h('dl', h('dt', t('enrollName')), h('dd', { 'data-testid': 'enroll-name' }, s.subject?.name ?? ''), h('dt', t('enrollOrg')), h('dd', s.subject?.organization ?? ''), h('dt', t('enrollDept')), h('dd', s.subject?.department ?? ''), h('dt', t('enrollAlg')), h('dd', s.algorithm === 'sm2' ? t('algSm2') : t('algP256'))),
      h('button.primary', { 'data-testid': 'enroll-confirm', onclick: () => (s.algorithm === 'sm2' ? pinStep(w) : void keygenStep(w)) }, t('enrollIsMe')),
    ),
  );
}

const weakPin = (p: string): boolean => /^(\d)\1{5}$/.test(p) || '0123456789'.includes(p) || '9876543210'.includes(p);

function pinStep(w: Wizard): void {
  const a = h('input', { type: 'password', inputmode: 'numeric', maxlength: 6, autocomplete: 'new-password', 'data-testid': 'pin-new', 'aria-label': t('pinEnter') }) as HTMLInputElement;
  const b = h('input', { type: 'password', inputmode: 'numeric', maxlength: 6, autocomplete: 'new-password', 'data-testid': 'pin-repeat', 'aria-label': t('pinRepeat') }) as HTMLInputElement;
  const err = h('p.error', { 'data-testid': 'pin-error' });
  const next = (): void => {
    if (!/^\d{6}$/.test(a.value)) err.textContent = t('pinFormat');
    else if (weakPin(a.value)) err.textContent = t('pinWeak');
    else if (a.value !== b.value) err.textContent = t('pinMismatch');
    else {
      w.pin = a.value;
      void keygenStep(w);
    }
  };
  show(h('section.card', { 'data-testid': 'enroll-pin' }, h('h2', t('pinTitle')), h('p', t('pinIntro')), h('label', t('pinEnter'), a), h('label', t('pinRepeat'), b), err, h('button.primary', { 'data-testid': 'pin-next', onclick: next }, t('next'))));
}

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
};

async function keygenStep(w: Wizard): Promise<void> {
  const s = w.start!;
  show(spinner(s.algorithm === 'sm2' ? t('keygenRunning') : t('keygenP256')));
  try {
    if (s.algorithm === 'sm2') {
      const ctx = String(s.enrollment_id);
      const k1 = sm2.keygenStart(ctx); // K1
      const st = sm2.signStart(); // S1 for the CSR
      const rep = await api<{ p: string; p2: string; proof: unknown; csr_info: string; r: string; s1: string }>('POST', '/api/v1/m/enroll/keygen', { code: w.code, p1: k1.p1, proof: k1.proof, q1: st.q1 });
      const P = sm2.keygenFinish(k1.d1, rep, ctx); // K3
      const cri = b64decode(rep.csr_info);
      // The CSR the phone co-signs must be for the joint key.
      if (!contains(cri, sm2.pointToBytes(P))) throw new sm2.CosignError('key-mismatch', 'the CSR is not for the joint public key');
      const sig = sm2.signFinish(k1.d1, st.w1, P, cri, rep); // S3 with the final check
      w.d1 = k1.d1;
      w.p = sm2.pointToHex(P);
      w.s = sm2.scalarToHex(sig);
    } else {
      const { key, spki } = await newP256Key();
      const rep = await api<{ csr_info: string }>('POST', '/api/v1/m/enroll/keygen', { code: w.code, public_key: b64encode(spki) });
      const cri = b64decode(rep.csr_info);
      if (!contains(cri, spki)) throw new sm2.CosignError('key-mismatch', 'the CSR is not for this phone\'s key');
      w.keys = key;
      w.signature = b64encode(p1363ToDer(await p256Sign(key.privateKey, cri)));
    }
    passkeyStep(w);
  } catch (e) {
    status(errorText(e), 'error');
    show(enrollScreen(w.code));
  }
}

function passkeyStep(w: Wizard): void {
  const s = w.start!;
  const required = s.algorithm === 'ecdsa-p256';
  const err = h('p.error', { 'data-testid': 'passkey-error' });
  const create = async (): Promise<void> => {
    err.textContent = '';
    try {
      if (!s.webauthn) throw new Error('no WebAuthn options from the server');
      w.webauthn = await register(s.webauthn, s.subject?.name ?? '');
      handwritingStep(w);
    } catch (e) {
      err.textContent = t('passkeyFailed') + errorText(e);
    }
  };
  show(
    h(
      'section.card',
      { 'data-testid': 'enroll-passkey' },
      h('h2', t('passkeyTitle')),
      h('p', t('passkeyIntro')),
      !webauthnAvailable() ? h('p.warn', t('capPasskey'), ': ', t('capMissing')) : null,
      err,
      h('button.primary', { 'data-testid': 'passkey-create', disabled: !webauthnAvailable(), onclick: () => void create() }, t('passkeyCreate')),
      required ? h('p.muted', t('passkeyRequired')) : h('button.link', { 'data-testid': 'passkey-skip', onclick: () => handwritingStep(w) }, t('skip')),
    ),
  );
}

/** The handwriting pad (signature_pad): 400×160 like the market apps' 签章 image. */
function handwritingPad(): { el: HTMLElement; pad: SignaturePad; canvas: HTMLCanvasElement } {
  const canvas = h('canvas.pad', { width: 400, height: 160, 'data-testid': 'hand-canvas' }) as HTMLCanvasElement;
  const pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: '#000', backgroundColor: 'rgba(255,255,255,0)' });
  const el = h('div.padwrap', canvas, h('button.secondary.small', { 'data-testid': 'hand-clear', onclick: () => pad.clear() }, t('handClear')));
  // signature_pad draws in CSS pixels: size the canvas to its box times the pixel ratio.
  requestAnimationFrame(() => {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    if (!canvas.offsetWidth) return;
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext('2d')!.scale(ratio, ratio);
    pad.clear();
  });
  return { el, pad, canvas };
}

function handwritingOf(pad: SignaturePad): { png: string; strokes: unknown } {
  const png = pad.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
  const strokes = pad.toData().map((g) => g.points.map((p) => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10, t: p.time, p: p.pressure })));
  return { png, strokes };
}

function handwritingStep(w: Wizard): void {
  const { el, pad } = handwritingPad();
  const err = h('p.error');
  const next = (): void => {
    if (pad.isEmpty()) {
      err.textContent = t('handEmpty');
      return;
    }
    w.handwriting = handwritingOf(pad);
    void finishStep(w);
  };
  show(h('section.card', { 'data-testid': 'enroll-hand' }, h('h2', t('handTitle')), h('p', t('handIntro')), el, err, h('div.row', h('button.link', { 'data-testid': 'hand-skip', onclick: () => void finishStep(w) }, t('skip')), h('button.primary', { 'data-testid': 'hand-next', onclick: next }, t('next')))));
  cleanupView = () => pad.off();
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'device';
  const br = /EdgA?\//.test(ua) ? 'Edge' : /HuaweiBrowser/.test(ua) ? 'Huawei Browser' : /MiuiBrowser/.test(ua) ? 'MIUI Browser' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /Firefox\//.test(ua) ? 'Firefox' : 'browser';
  return `${os} ${br}`;
}

async function finishStep(w: Wizard): Promise<void> {
  const s = w.start!;
  show(spinner(t('finishing')));
  try {
    const body: Record<string, unknown> = { code: w.code, device_name: deviceName() };
    if (s.algorithm === 'sm2') body['s'] = w.s;
    else body['signature'] = w.signature;
    if (w.webauthn) body['webauthn'] = w.webauthn;
    if (w.handwriting) body['handwriting'] = w.handwriting;
    const rep = await api<{ device_id: string | number; device_token: string; certificate: string }>('POST', '/api/v1/m/enroll/finish', body);
    const d: Device = {
      device_id: String(rep.device_id),
      device_token: rep.device_token,
      algorithm: s.algorithm,
      certificate: rep.certificate,
      subject: s.subject ?? {},
      credential_id: w.webauthn?.credential_id ?? null,
      enrolled_at: new Date().toISOString(),
    };
    if (s.algorithm === 'sm2') {
      Object.assign(d, { p: w.p }, await wrapShare(w.d1!, w.pin!));
      w.d1 = undefined;
      w.pin = undefined;
    } else {
      d.signKey = w.keys!.privateKey;
    }
    await saveDevice(d);
    await persist();
    device = d;
    setToken(d.device_token);
    localStorage.setItem('hpki.approval', d.credential_id ? 'webauthn' : 'pin');
    renderChrome();
    startLive();
    show(h('section.card', { 'data-testid': 'enroll-done' }, h('h2', '✓ ', t('enrollDone')), h('p', t('enrollDoneIntro')), h('pre.cert', { 'data-testid': 'enroll-cert' }, rep.certificate), h('button.primary', { 'data-testid': 'to-pending', onclick: () => (location.hash = '#/') }, t('toPending'))));
  } catch (e) {
    status(errorText(e), 'error');
    show(enrollScreen(w.code));
  }
}

// ---- pending list, preview, approval --------------------------------------------------------------

async function loadPending(): Promise<void> {
  if (!device) return;
  try {
    const res = await api<unknown>('GET', '/api/v1/m/requests');
    const list = Array.isArray(res) ? res : ((res as Record<string, unknown>)['items'] ?? (res as Record<string, unknown>)['requests'] ?? []);
    pending = (list as Req[]).filter((r) => r && r.id !== undefined);
  } catch (e) {
    if (fatal(e)) return;
    status(errorText(e), 'error');
  }
  refreshTabs();
  const cur = location.hash.replace(/^#\/?/, '');
  if (cur === '' && !document.querySelector('.sheet-back')) show(pendingScreen());
}

function reqCard(r: Req): HTMLElement {
  const s = r.summary ?? {};
  return h(
    'a.req',
    { href: `#/req/${encodeURIComponent(idOf(r))}`, 'data-testid': `req-${idOf(r)}` },
    h('div.req-type', s.document_type ?? r.format ?? ''),
    h('div.req-meta', s.patient ? `${t('patient')}: ${s.patient}` : '', s.department ? ` · ${s.department}` : ''),
    h('div.req-time', fmtTime(r.created_at, getLang()), r.expires_at ? ` → ${fmtTime(r.expires_at, getLang())}` : ''),
  );
}

function pendingScreen(): HTMLElement {
  return h(
    'section',
    { 'data-testid': 'pending' },
    h('div.list-head', h('h2', t('pendingTitle'), ' ', h('span.count', { 'data-testid': 'pending-count' }, String(pending.length))), pending.length > 1 ? h('button.primary.small', { 'data-testid': 'sign-all', onclick: () => void signAll() }, `${t('signAll')} (${pending.length})`) : null),
    pending.length ? h('div.reqs', ...pending.map(reqCard)) : h('p.empty', { 'data-testid': 'pending-empty' }, t('pendingEmpty')),
  );
}

async function detailOf(r: Req): Promise<Req> {
  const cached = details.get(idOf(r));
  if (cached) return cached;
  const d = await api<Req>('GET', `/api/v1/m/requests/${encodeURIComponent(idOf(r))}`);
  details.set(idOf(r), d);
  return d;
}

function fmtSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

function previewOf(d: Req): HTMLElement {
  if (d.format === 'pdf') return h('p.muted', { 'data-testid': 'doc-preview' }, t('previewPdf'), ` (${fmtSize(d.size ?? 0)})`);
  if (!d.document) return h('p.muted', t('previewTooLarge'));
  const bytes = b64decode(d.document);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 20000));
  const printable = !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text);
  return printable ? h('pre.doc', { 'data-testid': 'doc-preview' }, text) : h('p.muted', t('previewBinary'), ` (${bytes.length} B)`);
}

async function requestScreen(id: string): Promise<void> {
  show(spinner(t('loading')));
  let d: Req;
  try {
    const r = pending.find((x) => idOf(x) === id) ?? ({ id } as Req);
    d = { ...r, ...(await detailOf(r)) };
  } catch (e) {
    if (fatal(e)) return;
    status(errorText(e), 'error');
    location.hash = '#/';
    return;
  }
  const s = d.summary ?? {};
  const rows: [Key, string | undefined][] = [
    ['docType', s.document_type],
    ['patient', s.patient],
    ['department', s.department],
    ['createdAt', fmtTime(d.created_at, getLang())],
    ['expiresAt', fmtTime(d.expires_at, getLang())],
    ['format', d.format === 'pdf' ? `PDF${d.pdf?.rect || d.pdf?.anchor ? '' : ` (${t('invisible')})`}` : d.format],
    ['docSize', d.size !== undefined ? fmtSize(d.size) : undefined],
  ];
  show(
    h(
      'section.card',
      { 'data-testid': 'request' },
      h('a.back', { href: '#/' }, '‹ ', t('back')),
      h('h2', s.document_type ?? t('preview')),
      h('dl', ...rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', t(k)), h('dd', v!)])),
      h('h3', t('preview')),
      previewOf(d),
      h('p.hash', t('docHash'), ': ', h('code', d.document_sha256 ?? '')),
      h('div.row.actions', h('button.danger', { 'data-testid': 'btn-reject', onclick: () => void rejectReq(d) }, t('reject')), h('button.primary', { 'data-testid': 'btn-sign', onclick: () => void signRequests([d]) }, t('sign'))),
    ),
  );
}

async function rejectReq(r: Req): Promise<void> {
  const reason = await sheet<string>((done) => {
    const input = h('input', { 'data-testid': 'reject-reason', placeholder: t('rejectReason') }) as HTMLInputElement;
    return h('div', h('h3', t('rejectReason')), h('div.chips', ...t('rejectReasons').split('|').map((x) => h('button.chip', { onclick: () => (input.value = x) }, x))), input, h('div.row', h('button.secondary', { onclick: () => done(null) }, t('cancel')), h('button.danger', { 'data-testid': 'reject-ok', onclick: () => done(input.value || t('rejectReasons').split('|')[0]!) }, t('reject'))));
  });
  if (reason === null) return;
  try {
    await api('POST', `/api/v1/m/requests/${encodeURIComponent(idOf(r))}/reject`, { reason });
    status(t('rejected'), 'ok');
  } catch (e) {
    if (fatal(e)) return;
    status(errorText(e), 'error');
  }
  location.hash = '#/';
  await loadPending();
}

async function signAll(): Promise<void> {
  const list = [...pending];
  const ok = await sheet<boolean>((done) =>
    h('div', { 'data-testid': 'batch-sheet' }, h('h3', t('signAllConfirm', { n: list.length })), h('ul.batch', ...list.map((r) => h('li', `${r.summary?.document_type ?? ''} · ${r.summary?.patient ?? ''} · ${r.summary?.department ?? ''}`))), h('div.row', h('button.secondary', { onclick: () => done(null) }, t('cancel')), h('button.primary', { 'data-testid': 'batch-ok', onclick: () => done(true) }, `${t('sign')} (${list.length})`))),
  );
  if (ok) await signRequests(list);
}

const approvalMethod = (): 'webauthn' | 'pin' => (device?.algorithm === 'ecdsa-p256' ? 'webauthn' : localStorage.getItem('hpki.approval') === 'pin' || !device?.credential_id ? 'pin' : 'webauthn');

async function signRequests(reqs: Req[]): Promise<void> {
  const d = device!;
  if (!reqs.length) return;
  let d1: bigint | undefined;
  let P: sm2.Point | undefined;
  try {
    const full = await Promise.all(reqs.map(async (r) => ({ ...r, ...(await detailOf(r)) })));
    if (d.algorithm === 'sm2') {
      const pin = await askPin(t('approvePin'), reqs.length > 1 ? t('signAllConfirm', { n: reqs.length }) : '');
      if (pin === null) return;
      d1 = await unwrapShare(d, pin);
      P = sm2.pointFromHex(d.p);
    }
    show(spinner(t('signing')));
    const nonces = new Map<string, sm2.SignStart>();
    const items = full.map((r) => {
      if (d.algorithm !== 'sm2') return { id: idOf(r) };
      const st = sm2.signStart(); // S1: a fresh w1 per request, dropped after S3
      nonces.set(idOf(r), st);
      return { id: idOf(r), q1: st.q1 };
    });
    let approval: WebauthnApproval | { method: 'pin' };
    if ((approvalMethod() === 'webauthn' || d.algorithm !== 'sm2') && d.credential_id) {
      const chs = await Promise.all(full.map((r) => challengeOf(r)));
      approval = await approve(d.credential_id, chs.length === 1 ? chs[0]! : await batchChallenge(chs));
    } else {
      approval = { method: 'pin' };
    }
    const started = await api<{ requests: { id: string | number; m: string; r?: string; s1?: string }[] }>('POST', '/api/v1/m/sign/start', { requests: items, approval });
    const out: Record<string, unknown>[] = [];
    let failed = 0;
    let mismatch = 0;
    for (const one of started.requests) {
      const r = full.find((x) => idOf(x) === String(one.id));
      if (!r) continue;
      const m = b64decode(one.m);
      let prepared: PreparedPdf | undefined;
      if (r.format === 'pdf') {
        // Format pdf: M commits to the PDF hpki prepared at the approval; fetch it to check.
        const got = await api<{ pdf: string; byte_range: number[] }>('GET', `/api/v1/m/requests/${encodeURIComponent(idOf(r))}/prepared`);
        prepared = { pdf: b64decode(got.pdf), byteRange: got.byte_range };
      }
      const same = await documentMatches(r, m, d.algorithm, prepared);
      if (d.algorithm === 'sm2') {
        const st = nonces.get(idOf(r))!;
        nonces.delete(idOf(r));
        let s: bigint;
        try {
          if (!same) throw new sm2.CosignError('signature-invalid', 'm is not the document shown');
          s = sm2.signFinish(d1!, st.w1, P!, m, { r: one.r, s1: one.s1 }); // S3 + the final check
        } catch (e) {
          if (!(e instanceof sm2.CosignError)) throw e;
          // Never release the real s when the check fails (it could be a valid signature on
          // bytes the phone did not show): a random scalar takes its place, and hpki counts
          // the invalid signature like a wrong PIN (docs/cosign.md §3).
          if (same) failed++;
          else mismatch++;
          s = sm2.randomScalar();
        }
        out.push({ id: String(one.id), s: sm2.scalarToHex(s) });
      } else {
        if (!same) {
          mismatch++;
          continue;
        }
        out.push({ id: String(one.id), signature: b64encode(p1363ToDer(await p256Sign(d.signKey!, m))) });
      }
    }
    d1 = undefined;
    let signedN = 0;
    let left: unknown;
    if (out.length) {
      try {
        const fin = await api<{ requests: { id: string | number; state: string; problem?: string }[] }>('POST', '/api/v1/m/sign/finish', { requests: out });
        for (const x of fin.requests ?? []) if (x.state === 'signed') signedN++;
      } catch (e) {
        // one request: its problem is the answer (signature-invalid after a wrong PIN)
        if (!(e instanceof ApiError && e.is('signature-invalid'))) throw e;
        failed = Math.max(failed, 1);
      }
      try {
        const info = await api<{ pin_failures?: number }>('GET', '/api/v1/m/me');
        if (failed && typeof info.pin_failures === 'number') left = Math.max(0, 5 - info.pin_failures);
      } catch (e) {
        if (fatal(e)) return;
      }
    }
    for (const r of reqs) details.delete(idOf(r));
    if (mismatch) status(t('wysiwys'), 'error');
    else if (failed || signedN < out.length) status(t('checkFailed') + (left !== undefined ? ' ' + t('attemptsLeft', { n: String(left) }) : ''), 'error');
    else status(reqs.length > 1 ? t('signedN', { n: signedN }) : t('signed'), 'ok');
    location.hash = '#/';
    await loadPending();
    show(pendingScreen());
  } catch (e) {
    d1 = undefined;
    if (fatal(e)) return;
    status(t('signFailed') + errorText(e), 'error');
    await loadPending();
    show(pendingScreen());
  }
}

// ---- live updates (docs/cosign.md §3 "Phone routes"; mobile.md §2.3) ---------------------------------

function startLive(): void {
  stopStream?.();
  stopStream = eventStream('/api/v1/m/events', (ev) => {
    if (ev.event === 'request' || ev.event === 'message') {
      try {
        const data = JSON.parse(ev.data) as { id?: unknown };
        if (data.id !== undefined) details.delete(String(data.id));
      } catch {
        /* not JSON: reload anyway */
      }
      void loadPending();
    }
  });
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && device) void loadPending();
});

// ---- 扫一扫 (mobile.md §2.4, §4) --------------------------------------------------------------------

/** The route of a scanned link when it is ours (same origin, /m/#/qr/{id} or #/enroll/{code}). */
function ourRoute(text: string): string | null {
  try {
    const u = new URL(text, location.href);
    if (u.origin !== location.origin || !u.pathname.startsWith('/m/')) return null;
    const m = /^#\/(qr|enroll)\/([A-Za-z0-9_-]+)$/.exec(u.hash);
    return m ? `#/${m[1]}/${m[2]}` : null;
  } catch {
    return null;
  }
}

function scanScreen(): HTMLElement {
  const video = h('video', { playsinline: true, muted: true, autoplay: true, 'data-testid': 'scan-video' }) as HTMLVideoElement;
  const msg = h('p.muted', { 'data-testid': 'scan-msg' }, t('scanIntro'));
  const manual = h('input', { placeholder: 'https://…/m/#/qr/…', 'data-testid': 'scan-manual' }) as HTMLInputElement;
  let stream: MediaStream | null = null;
  let timer = 0;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    stream?.getTracks().forEach((tr) => tr.stop());
  };
  const found = (text: string): boolean => {
    const r = ourRoute(text);
    if (!r) {
      msg.textContent = t('scanNotOurs');
      return false;
    }
    stop();
    location.hash = r;
    return true;
  };
  const canvas = document.createElement('canvas');
  const tick = (): void => {
    if (stopped) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const w = Math.min(video.videoWidth, 960);
      const hh = Math.round((video.videoHeight * w) / video.videoWidth);
      canvas.width = w;
      canvas.height = hh;
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(video, 0, 0, w, hh);
      const img = g.getImageData(0, 0, w, hh);
      const code = jsQR(img.data, w, hh, { inversionAttempts: 'attemptBoth' });
      if (code?.data && found(code.data)) return;
    }
    timer = window.setTimeout(tick, 150);
  };
  void (async () => {
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error(t('capCamera') + ' ' + t('capMissing'));
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      if (stopped) return stop();
      video.srcObject = stream;
      await video.play().catch(() => undefined);
      tick();
    } catch (e) {
      msg.textContent = t('scanNoCamera') + (e instanceof Error ? e.message : String(e)) + (inAppBrowser() ? ' ' + t('inApp') : '');
    }
  })();
  const el = h('section.card', { 'data-testid': 'scan' }, h('h2', t('scanTitle')), h('div.viewfinder', video, h('div.frame')), msg, h('label', t('scanManual'), manual), h('button.secondary', { onclick: () => void found(manual.value.trim()) }, t('scanGo')));
  setTimeout(() => (cleanupView = stop), 0);
  return el;
}

interface ScanResp {
  kind: 'login' | 'sign' | string;
  workstation?: string;
  ip?: string;
  user_agent?: string;
  created_at?: string;
  choices?: (number | string)[];
  request_id?: string | number;
  request?: Req;
}

const browserOf = (ua = ''): string => {
  const m = /(Edg|Chrome|Firefox|Safari)\/(\d+)/.exec(ua);
  const os = /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return m ? `${m[1] === 'Edg' ? 'Edge' : m[1]} ${m[2]}${os ? ' / ' + os : ''}` : ua.slice(0, 60);
};

async function qrScreen(id: string): Promise<void> {
  show(spinner(t('loading')));
  let s: ScanResp;
  try {
    s = await api<ScanResp>('POST', `/api/v1/m/qr/${encodeURIComponent(id)}/scan`);
  } catch (e) {
    if (fatal(e)) return;
    show(h('section.card', { 'data-testid': 'qr-error' }, h('h2', t('scanTitle')), h('p.error', errorText(e)), h('a.button', { href: '#/scan' }, t('retry'))));
    return;
  }
  if (s.kind === 'sign') {
    const rid = s.request_id ?? s.request?.id;
    await loadPending();
    if (rid !== undefined) {
      if (s.request) details.delete(String(rid));
      location.hash = `#/req/${encodeURIComponent(String(rid))}`;
    } else location.hash = '#/';
    return;
  }
  const choose = async (n: number | string): Promise<void> => {
    show(spinner(t('loading')));
    try {
      // QR login always needs the passkey (a PIN shows hpki nothing here).
      const approval = device?.credential_id ? await approve(device.credential_id, await qrChallenge(id, n)) : { method: 'pin' };
      await api('POST', `/api/v1/m/qr/${encodeURIComponent(id)}/confirm`, { number: n, approval });
      show(h('section.card.center', { 'data-testid': 'qr-done' }, h('h2', '✓'), h('p', t('qrConfirmed')), h('a.button', { href: '#/' }, t('done'))));
    } catch (e) {
      if (fatal(e)) return;
      show(h('section.card', { 'data-testid': 'qr-error' }, h('p.error', errorText(e)), h('a.button', { href: '#/' }, t('back'))));
    }
  };
  const fmtN = (n: number | string): string => (typeof n === 'number' ? String(n).padStart(2, '0') : n);
  show(
    h(
      'section.card',
      { 'data-testid': 'qr-confirm' },
      h('h2', t('qrLoginTitle')),
      h('dl', h('dt', t('qrWorkstation')), h('dd', { 'data-testid': 'qr-workstation' }, s.workstation ?? '—'), h('dt', t('qrIp')), h('dd', { 'data-testid': 'qr-ip' }, s.ip ?? '—'), h('dt', t('qrBrowser')), h('dd', browserOf(s.user_agent)), h('dt', t('qrTime')), h('dd', fmtTime(s.created_at, getLang()))),
      h('p', t('qrPickNumber')),
      h('div.choices', ...(s.choices ?? []).map((n) => h('button.choice', { 'data-testid': `qr-choice-${fmtN(n)}`, onclick: () => void choose(n) }, fmtN(n)))),
      h(
        'a.button.link',
        {
          href: '#/',
          'data-testid': 'qr-not-me',
          // "Not me": the PC's session is cancelled (a relayed QR code dies at once).
          onclick: () => void api('POST', `/api/v1/m/qr/${encodeURIComponent(id)}/cancel`, {}).catch(() => undefined),
        },
        t('qrNotMe'),
      ),
    ),
  );
}

// ---- decryption (docs/cosign.md §5) ------------------------------------------------------------------

function decryptScreen(): HTMLElement {
  const input = h('textarea', { rows: 5, 'data-testid': 'ct-input', 'aria-label': t('decryptCiphertext') }) as HTMLTextAreaElement;
  const out = h('pre.doc', { 'data-testid': 'pt-output' });
  const go = async (): Promise<void> => {
    const d = device!;
    out.textContent = '';
    try {
      if (d.algorithm !== 'sm2') throw new Error(t('decryptSm2Only'));
      const ct = sm2.parseCiphertext(b64decode(input.value.trim())); // C1 validated
      const pin = await askPin(t('approvePin'));
      if (pin === null) return;
      const d1 = await unwrapShare(d, pin);
      const st = sm2.decryptStart(ct.c1); // D1
      // D2 is a static-DH oracle: always the passkey (mobile.md §1.7(6)).
      const approval = d.credential_id ? await approve(d.credential_id, await decryptChallenge(sm2.hexToBytes(st.t1))) : { method: 'pin' };
      const rep = await api<{ t2: string }>('POST', '/api/v1/m/decrypt', { t1: st.t1, approval });
      const plain = sm2.decryptFinish(d1, st.w, ct, rep.t2); // D3 with the C3 check
      out.textContent = new TextDecoder().decode(plain);
      status(t('done'), 'ok');
    } catch (e) {
      if (fatal(e)) return;
      status(errorText(e), 'error');
    }
  };
  return h('section.card', { 'data-testid': 'decrypt' }, h('a.back', { href: '#/settings' }, '‹ ', t('back')), h('h2', t('decryptTitle')), h('p', t('decryptIntro')), input, h('button.primary', { 'data-testid': 'decrypt-go', onclick: () => void go() }, t('decryptGo')), h('h3', t('decryptResult')), out);
}

// ---- PIN change: share refresh (docs/cosign.md §2 "Share refresh"; mobile.md §1.7(9)) -----------------------------

/**
 * One refresh of the key shares by `factor` (1: a probe that changes nothing and succeeds only
 * when `d1` is the current share); hpki's answer (its new share point) is checked against d1·factor.
 */
async function refreshOnce(d: Device, d1: bigint, factor: bigint): Promise<void> {
  const P = sm2.pointFromHex(d.p!, 'P');
  const tb = sm2.bigToBytes(factor);
  const approval = await approve(d.credential_id!, await refreshChallenge(d.device_id, tb, sm2.sharePoint(d1, P)));
  const rep = await api<{ p2: string }>('POST', '/api/v1/m/refresh', { t: sm2.bytesToHex(tb), approval });
  if (rep.p2 !== sm2.bytesToHex(sm2.sharePoint(sm2.refreshShare(d1, factor), P))) throw new Error(t('refreshMismatch'));
}

function pinScreen(): HTMLElement {
  const d = device!;
  const a = h('input', { type: 'password', inputmode: 'numeric', maxlength: 6, autocomplete: 'new-password', 'data-testid': 'pin-new', 'aria-label': t('pinEnter') }) as HTMLInputElement;
  const b = h('input', { type: 'password', inputmode: 'numeric', maxlength: 6, autocomplete: 'new-password', 'data-testid': 'pin-repeat', 'aria-label': t('pinRepeat') }) as HTMLInputElement;
  const err = h('p.error', { 'data-testid': 'pin-error' });
  const go = async (): Promise<void> => {
    err.textContent = '';
    if (!/^\d{6}$/.test(a.value)) return void (err.textContent = t('pinFormat'));
    if (weakPin(a.value)) return void (err.textContent = t('pinWeak'));
    if (a.value !== b.value) return void (err.textContent = t('pinMismatch'));
    const oldPin = await askPin(t('pinOld'));
    if (oldPin === null) return;
    try {
      const d1 = await unwrapShare(d, oldPin);
      const tf = sm2.randomScalar();
      // The new share is kept (under the new PIN) before hpki is asked: an answer lost on the way
      // is settled later by a probe (settings), never by guessing.
      const next = await wrapShare(sm2.refreshShare(d1, tf), a.value);
      d.pending = next;
      await saveDevice(d);
      try {
        await refreshOnce(d, d1, tf);
      } catch (e) {
        if (e instanceof ApiError && e.status !== 0) {
          // hpki answered: nothing changed there (e.g. a wrong old PIN fails the approval).
          d.pending = undefined;
          await saveDevice(d);
        }
        throw e;
      }
      Object.assign(d, next);
      d.pending = undefined;
      await saveDevice(d);
      status(t('pinChanged'), 'ok');
      location.hash = '#/settings';
    } catch (e) {
      if (fatal(e)) return;
      err.textContent = e instanceof ApiError && e.is('approval-invalid') ? t('pinOldWrong') : errorText(e);
    }
  };
  return h('section.card', { 'data-testid': 'pin-change' }, h('a.back', { href: '#/settings' }, '‹ ', t('back')), h('h2', t('pinChangeTitle')), h('p', t('pinChangeIntro')), h('label', t('pinEnter'), a), h('label', t('pinRepeat'), b), err, h('button.primary', { 'data-testid': 'pin-change-go', onclick: () => void go() }, t('confirm')));
}

/** A PIN change whose answer was lost: which share is hpki's? A probe (t = 1) with the new one. */
async function settlePending(): Promise<void> {
  const d = device!;
  if (!d.pending) return;
  const pin = await askPin(t('pinNew'));
  if (pin === null) return;
  try {
    const cand = await unwrapShare({ ...d, ...d.pending }, pin);
    try {
      await refreshOnce(d, cand, 1n);
      Object.assign(d, d.pending);
      status(t('pinChanged'), 'ok');
    } catch (e) {
      if (!(e instanceof ApiError && e.is('approval-invalid'))) throw e;
      status(t('pinUnchanged'), 'info'); // hpki kept the old share: so does the phone
    }
    d.pending = undefined;
    await saveDevice(d);
    await settingsScreen();
  } catch (e) {
    if (fatal(e)) return;
    status(errorText(e), 'error');
  }
}

// ---- settings ---------------------------------------------------------------------------------------

async function settingsScreen(): Promise<void> {
  const d = device!;
  show(spinner(t('loading')));
  try {
    me = await api('GET', '/api/v1/m/me');
  } catch (e) {
    if (fatal(e)) return;
    status(errorText(e), 'error');
  }
  const cert = (me?.['certificate'] ?? {}) as Record<string, unknown> | string;
  const certObj = typeof cert === 'string' ? {} : cert;
  const notAfter = String(certObj['not_after'] ?? me?.['not_after'] ?? '');
  const serial = String(certObj['serial'] ?? me?.['serial'] ?? '');
  const subj = (me?.['subject'] ?? d.subject) as Record<string, unknown>;
  const days = notAfter ? Math.floor((new Date(notAfter).getTime() - Date.now()) / 86400000) : NaN;
  const method = h(
    'select',
    { 'data-testid': 'approval-method', disabled: d.algorithm === 'ecdsa-p256' || !d.credential_id, onchange: (e: Event) => localStorage.setItem('hpki.approval', (e.target as HTMLSelectElement).value) },
    h('option', { value: 'webauthn', selected: approvalMethod() === 'webauthn' }, t('methodPasskey')),
    h('option', { value: 'pin', selected: approvalMethod() === 'pin' }, t('methodPin')),
  );
  show(
    h(
      'section',
      { 'data-testid': 'settings' },
      h(
        'div.card',
        h('h2', t('certTitle')),
        h(
          'dl',
          h('dt', t('certSubject')),
          h('dd', { 'data-testid': 'cert-subject' }, String(subj?.['name'] ?? ''), subj?.['organization'] ? ` · ${String(subj['organization'])}` : ''),
          h('dt', t('certAlgorithm')),
          h('dd', { 'data-testid': 'cert-alg' }, d.algorithm === 'sm2' ? t('algSm2') : t('algP256')),
          serial ? h('dt', t('certSerial')) : null,
          serial ? h('dd', h('code', serial)) : null,
          h('dt', t('certExpiry')),
          h('dd', { 'data-testid': 'cert-expiry' }, fmtTime(notAfter, getLang()), Number.isFinite(days) ? ` (${t('certDaysLeft', { n: days })})` : ''),
          h('dt', t('deviceId')),
          h('dd', d.device_id),
        ),
        Number.isFinite(days) && days < 30 ? h('p.warn', t('certExpiring')) : null,
      ),
      h('div.card', h('label', t('approveWith'), method), h('label', t('language'), h('button.secondary.small', { onclick: () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); renderChrome(); void route(); } }, t('langSwitch')))),
      d.pending ? h('div.card', h('p.warn', t('pinPending')), h('button.primary', { 'data-testid': 'pin-settle', onclick: () => void settlePending() }, t('pinSettle'))) : null,
      h('div.card.links', h('a.button.secondary', { href: '#/redraw', 'data-testid': 'to-redraw' }, t('redraw')), d.algorithm === 'sm2' && d.credential_id ? h('a.button.secondary', { href: '#/pin', 'data-testid': 'to-pin' }, t('pinChangeTitle')) : null, d.algorithm === 'sm2' ? h('a.button.secondary', { href: '#/decrypt', 'data-testid': 'to-decrypt' }, t('decryptTitle')) : null, h('button.danger', { 'data-testid': 'reenroll', onclick: () => void reenroll() }, t('reenroll'))),
      h('p.muted.small', `hpki ${__APP_VERSION__}`),
    ),
  );
}

function redrawScreen(): HTMLElement {
  const { el, pad } = handwritingPad();
  const save = async (): Promise<void> => {
    if (pad.isEmpty()) return status(t('handEmpty'), 'error');
    try {
      await api('POST', '/api/v1/m/handwriting', handwritingOf(pad));
      status(t('redrawSaved'), 'ok');
      location.hash = '#/settings';
    } catch (e) {
      if (fatal(e)) return;
      status(errorText(e), 'error');
    }
  };
  setTimeout(() => (cleanupView = () => pad.off()), 0);
  return h('section.card', { 'data-testid': 'redraw' }, h('a.back', { href: '#/settings' }, '‹ ', t('back')), h('h2', t('handTitle')), h('p', t('handIntro')), el, h('button.primary', { onclick: () => void save() }, t('confirm')));
}

async function reenroll(): Promise<void> {
  if (!confirm(t('reenrollConfirm'))) return;
  stopStream?.();
  stopStream = null;
  await kvClear();
  device = undefined;
  setToken(null);
  pending = [];
  renderChrome();
  location.hash = '#/enroll';
  await route();
}

// ---- router ----------------------------------------------------------------------------------------

async function route(): Promise<void> {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [head, arg] = parts;
  if (head === 'enroll') {
    if (device) {
      show(h('section.card', h('h2', t('enrollTitle')), h('p', '✓ ', String(device.subject?.name ?? ''), ' — ', t('enrollDone')), h('button.danger', { onclick: () => void reenroll() }, t('reenroll')), h('a.button', { href: '#/' }, t('toPending'))));
      return;
    }
    show(enrollScreen(arg ?? ''));
    return;
  }
  if (!device) {
    show(capabilities().some((c) => c.required && !c.ok) ? unsupportedScreen() : enrollScreen(''));
    return;
  }
  switch (head) {
    case 'qr':
      if (arg) await qrScreen(arg);
      return;
    case 'req':
      if (arg) await requestScreen(arg);
      return;
    case 'scan':
      show(scanScreen());
      return;
    case 'settings':
      await settingsScreen();
      return;
    case 'decrypt':
      show(decryptScreen());
      return;
    case 'redraw':
      show(redrawScreen());
      return;
    case 'pin':
      show(pinScreen());
      return;
    default:
      show(pendingScreen());
      void loadPending();
  }
}

async function main(): Promise<void> {
  setLang(getLang());
  try {
    device = typeof indexedDB !== 'undefined' ? await loadDevice() : undefined;
  } catch {
    device = undefined;
  }
  if (device) setToken(device.device_token);
  renderChrome();
  window.addEventListener('hashchange', () => void route());
  await route();
  if (device) startLive();
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => undefined);
  }
}

void main();
