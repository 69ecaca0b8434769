// The phone app's service worker: the app shell is cached so that the app opens without a
// network; every request goes to the network first (a new build is used at once), the cache
// is only the fallback. The API (/api/) is never cached.
// (Typed with the few service-worker interfaces it uses: the DOM and WebWorker libraries
// cannot share one TypeScript program.)
export {};
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface Worker {
  addEventListener(type: 'install' | 'activate', fn: (ev: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (ev: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  location: Location;
}
const sw = self as unknown as Worker;

const CACHE = 'hpki-m-v1';
const SHELL = ['./', './index.html', './app.js', './app.css', './manifest.webmanifest', './icons/icon-192.png'];

sw.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => sw.skipWaiting()));
});
sw.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => sw.clients.claim()));
});
sw.addEventListener('fetch', (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== sw.location.origin || !url.pathname.startsWith('/m/')) return;
  ev.respondWith(
    fetch(ev.request)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          void caches.open(CACHE).then((c) => c.put(ev.request, copy));
        }
        return res;
      })
      .catch(async () => (await caches.match(ev.request)) ?? (await caches.match('./index.html')) ?? Response.error()),
  );
});
