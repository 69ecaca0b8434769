// The PC-side QR page (served by hpki at /qr/; docs/cosign.md §4; mobile.md §2.4).
//   /qr/            QR login: creates a session (the PC secret arrives as the HttpOnly cookie
//                   hpki_qr and is never in the QR), shows the QR of {base_url}/m/#/qr/{id} and
//                   the 2-digit number for number matching, polls the state every second,
//                   redeems the one-time ticket once confirmed and renews an expired code.
//   /qr/#sign/{id}  QR signing: shows the QR of a signing request created with "qr": true.

import QRCode from 'qrcode';

type Lang = 'zh' | 'en';
const texts = {
  zh: {
    title: '扫码登录',
    titleSign: '扫码签名',
    intro: '请打开手机上的 hpki 医师移动签名，点“扫一扫”扫描下方二维码。',
    introSign: '请用手机“扫一扫”扫描二维码，在手机上确认并签名。',
    numberLabel: '手机上请选择此数字',
    created: '等待扫码…',
    scanned: '已扫码，请在手机上确认（{name}）',
    confirmed: '已确认，正在登录…',
    consumed: '登录成功',
    signed: '签名完成',
    expired: '二维码已过期',
    cancelled: '已取消（数字不匹配或被拒绝）',
    renew: '刷新二维码',
    expiresIn: '{n} 秒后过期',
    subject: '用户',
    organization: '机构',
    sessionUntil: '会话有效期至',
    error: '出错了：',
    lang: 'EN',
  },
  en: {
    title: 'QR login',
    titleSign: 'Sign with QR',
    intro: 'Open the hpki doctor app on your phone, tap "Scan" and scan this code.',
    introSign: 'Scan this code with the phone app ("Scan") to confirm and sign on the phone.',
    numberLabel: 'Pick this number on the phone',
    created: 'Waiting for a scan…',
    scanned: 'Scanned: confirm on the phone ({name})',
    confirmed: 'Confirmed, logging in…',
    consumed: 'Logged in',
    signed: 'Signed',
    expired: 'The QR code has expired',
    cancelled: 'Cancelled (wrong number or refused)',
    renew: 'New QR code',
    expiresIn: 'Expires in {n} s',
    subject: 'User',
    organization: 'Organization',
    sessionUntil: 'Session valid until',
    error: 'Error: ',
    lang: '中文',
  },
};
type TKey = keyof (typeof texts)['zh'];
let lang: Lang = localStorage.getItem('hpki.lang') === 'en' ? 'en' : 'zh';
const t = (k: TKey, vars: Record<string, string | number> = {}): string => texts[lang][k].replace(/\{(\w+)\}/g, (_, v: string) => String(vars[v] ?? ''));

const $ = (id: string): HTMLElement => document.getElementById(id)!;

interface Session {
  id: string;
  url: string;
  number?: string | number;
  expires_at?: string;
}

let current: Session | null = null;
let lastState = '';
let redeemed = false;
let timers: number[] = [];

function stopWatching(): void {
  timers.forEach((x) => clearInterval(x));
  timers = [];
}

function setState(text: string, kind: '' | 'ok' | 'error' = ''): void {
  const el = $('state');
  el.textContent = text;
  el.className = `state ${kind}`;
}

async function json(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) throw Object.assign(new Error(String(data['detail'] ?? data['title'] ?? `HTTP ${res.status}`)), { status: res.status, data });
  return data;
}

async function draw(url: string): Promise<void> {
  await QRCode.toCanvas($('qr') as HTMLCanvasElement, url, { width: 300, margin: 2, errorCorrectionLevel: 'M' });
}

function countdown(expiresAt?: string): void {
  if (!expiresAt) return;
  const end = new Date(expiresAt).getTime();
  const tick = (): void => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    $('expires').textContent = left > 0 ? t('expiresIn', { n: left }) : '';
  };
  tick();
  timers.push(window.setInterval(tick, 1000));
}

async function onState(s: Record<string, unknown>, mode: 'login' | 'sign'): Promise<void> {
  const state = String(s['state'] ?? '');
  const subject = s['subject'];
  const name = typeof subject === 'string' ? subject : String((subject as Record<string, unknown> | undefined)?.['name'] ?? '');
  if (state === lastState && state !== 'confirmed') return;
  lastState = state;
  switch (state) {
    case 'created':
      setState(t('created'));
      break;
    case 'scanned':
      setState(t('scanned', { name }));
      break;
    case 'confirmed':
      setState(t('confirmed'));
      if (mode === 'login' && typeof s['ticket'] === 'string' && !redeemed) await redeem(String(s['ticket']));
      break;
    case 'consumed':
      if (mode === 'sign') setState(t('signed'), 'ok');
      break;
    case 'signed':
      setState(t('signed'), 'ok');
      stopWatching();
      break;
    case 'expired':
      setState(t('expired'), 'error');
      stopWatching();
      showRenew();
      if (mode === 'login') setTimeout(() => void startLogin(), 1500); // a fresh code
      break;
    case 'cancelled':
      setState(t('cancelled'), 'error');
      stopWatching();
      showRenew();
      break;
    default:
      if (state) setState(state);
  }
}

async function redeem(ticket: string): Promise<void> {
  if (!current || redeemed) return;
  redeemed = true;
  try {
    const r = await json('POST', `/qr/api/sessions/${encodeURIComponent(current.id)}/redeem`, { ticket });
    stopWatching();
    setState(t('consumed'), 'ok');
    const subj = r['subject'];
    const name = typeof subj === 'string' ? subj : String((subj as Record<string, unknown> | undefined)?.['name'] ?? '');
    const dl = $('result');
    dl.replaceChildren();
    const row = (k: TKey, v: string, testid: string): void => {
      const dt = document.createElement('dt');
      dt.textContent = t(k);
      const dd = document.createElement('dd');
      dd.textContent = v;
      dd.dataset['testid'] = testid;
      dl.append(dt, dd);
    };
    row('subject', name, 'login-subject');
    row('organization', String(r['organization'] ?? ''), 'login-org');
    row('sessionUntil', r['expires_at'] ? new Date(String(r['expires_at'])).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB') : '', 'login-until');
    dl.hidden = false;
    ($('qr') as HTMLCanvasElement).hidden = true;
    $('number-box').hidden = true;
    $('expires').textContent = '';
  } catch (e) {
    setState(t('error') + (e instanceof Error ? e.message : String(e)), 'error');
  }
}

function showRenew(): void {
  const b = $('renew');
  b.textContent = t('renew');
  b.hidden = false;
}

function watch(id: string, mode: 'login' | 'sign'): void {
  const poll = async (): Promise<void> => {
    try {
      await onState(await json('GET', `/qr/api/sessions/${encodeURIComponent(id)}`), mode);
    } catch {
      /* no access (e.g. a signing QR this PC did not create): the QR stays shown */
    }
  };
  timers.push(window.setInterval(() => void poll(), 1000));
  void poll();
}

async function startLogin(): Promise<void> {
  stopWatching();
  redeemed = false;
  lastState = '';
  $('renew').hidden = true;
  $('result').hidden = true;
  ($('qr') as HTMLCanvasElement).hidden = false;
  $('number-box').hidden = false;
  setState('');
  try {
    const s = (await json('POST', '/qr/api/sessions', { kind: 'login' })) as unknown as Session;
    current = s;
    await draw(s.url);
    $('number').textContent = typeof s.number === 'number' ? String(s.number).padStart(2, '0') : String(s.number ?? '');
    countdown(s.expires_at);
    setState(t('created'));
    watch(s.id, 'login');
  } catch (e) {
    setState(t('error') + (e instanceof Error ? e.message : String(e)), 'error');
    showRenew();
  }
}

async function startSign(id: string): Promise<void> {
  stopWatching();
  $('number-box').hidden = true;
  $('renew').hidden = true;
  current = { id, url: `${location.origin}/m/#/qr/${encodeURIComponent(id)}` };
  await draw(current.url);
  setState(t('created'));
  watch(id, 'sign');
}

function render(): void {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  const sign = /^#\/?sign\/([A-Za-z0-9_-]+)$/.exec(location.hash);
  $('title').textContent = sign ? t('titleSign') : t('title');
  document.title = `${sign ? t('titleSign') : t('title')} · hpki`;
  $('intro').textContent = sign ? t('introSign') : t('intro');
  $('number-label').textContent = t('numberLabel');
  $('lang').textContent = t('lang');
}

function main(): void {
  render();
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('hpki.lang', lang);
    render();
  });
  $('renew').addEventListener('click', () => void startLogin());
  const go = (): void => {
    render();
    const sign = /^#\/?sign\/([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (sign) void startSign(sign[1]!);
    else void startLogin();
  };
  window.addEventListener('hashchange', go);
  go();
}

main();
