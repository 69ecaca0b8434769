// The phone's HTTP client for /api/v1/m/... (docs/cosign.md §2-§5): JSON in and out, RFC 9457
// problems turned into ApiError (with the stable `type` of docs/cosign.md §6), the device token
// as a bearer credential, and the event stream.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string, // e.g. "cosign/device-locked" (the part after the last "/problems/" or the whole)
    readonly title: string,
    readonly detail: string,
    readonly body: Record<string, unknown>,
  ) {
    super(detail || title || `HTTP ${status}`);
    this.name = 'ApiError';
  }
  /** True when the problem's type ends with the given stable suffix (e.g. "device-locked"). */
  is(suffix: string): boolean {
    return this.type === suffix || this.type.endsWith('/' + suffix) || this.type.endsWith(suffix);
  }
}

let token: string | null = null;
export const setToken = (t: string | null): void => {
  token = t;
};

export async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers['Authorization'] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', 'network', String(e), {});
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  if (text) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { detail: text };
    }
  }
  if (!res.ok) {
    const type = typeof json['type'] === 'string' ? (json['type'] as string) : `http-${res.status}`;
    throw new ApiError(res.status, type, String(json['title'] ?? ''), String(json['detail'] ?? ''), json);
  }
  return json as T;
}

export interface StreamEvent {
  event: string;
  data: string;
  id: string;
}

/**
 * Reads a text/event-stream with fetch, so that the request carries the device token
 * (EventSource cannot send an Authorization header). Reconnects like EventSource: after the
 * server's `retry:` (default 1 s), with Last-Event-ID. Returns a function that stops it.
 */
export function eventStream(path: string, onEvent: (e: StreamEvent) => void, onError?: (e: unknown) => void): () => void {
  let stopped = false;
  let lastId = '';
  let retry = 1000;
  let ctrl: AbortController | null = null;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        if (token) headers['Authorization'] = `Bearer ${token}`;
        if (lastId) headers['Last-Event-ID'] = lastId;
        const res = await fetch(path, { headers, signal: ctrl.signal, cache: 'no-store' });
        if (!res.ok || !res.body) throw new ApiError(res.status, `http-${res.status}`, '', '', {});
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let pending = '';
        let ev: StreamEvent = { event: 'message', data: '', id: '' };
        let hasData = false;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          pending += dec.decode(value, { stream: true });
          let nl: number;
          while ((nl = pending.search(/\r\n|\n|\r/)) >= 0) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + (pending.startsWith('\r\n', nl) ? 2 : 1));
            if (line === '') {
              if (hasData) onEvent({ ...ev, data: ev.data.replace(/\n$/, '') });
              ev = { event: 'message', data: '', id: lastId };
              hasData = false;
              continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') ev.event = val;
            else if (field === 'data') {
              ev.data += val + '\n';
              hasData = true;
            } else if (field === 'id') {
              lastId = val;
              ev.id = val;
            } else if (field === 'retry' && /^\d+$/.test(val)) retry = Number(val);
          }
        }
      } catch (e) {
        if (stopped) return;
        onError?.(e);
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) retry = Math.max(retry, 10000);
      }
      if (!stopped) await new Promise((r) => setTimeout(r, retry));
    }
  };
  void loop();
  return () => {
    stopped = true;
    ctrl?.abort();
  };
}
