// Builds the static files of the phone app and of the PC-side QR page, and the unit-test
// bundles. Run by the CMake target `web` (after `tsc --noEmit`):
//   node build.mjs --out <build>/web --test-out <build>/web-test
// Writes <out>/m/ (index.html, app.js, app.css, manifest.webmanifest, sw.js, icons/) and
// <out>/qr/ (index.html, qr.js); <test-out>/*.test.cjs (node --test, Node 18).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : dflt;
};
const out = opt('--out', join(here, 'dist'));
const testOut = opt('--test-out', join(here, 'dist-test'));
const m = join(out, 'm');
const qr = join(out, 'qr');
for (const d of [m, qr, testOut]) {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
}

const common = { bundle: true, minify: true, sourcemap: false, target: ['es2020', 'chrome90', 'safari14'], logLevel: 'warning', legalComments: 'none' };
const version = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).version;

await build({ ...common, entryPoints: [join(here, 'mobile/src/app.ts')], outfile: join(m, 'app.js'), format: 'iife', define: { __APP_VERSION__: JSON.stringify(version) } });
await build({ ...common, entryPoints: [join(here, 'mobile/src/sw.ts')], outfile: join(m, 'sw.js'), format: 'iife' });
await build({ ...common, entryPoints: [join(here, 'qr/src/qr.ts')], outfile: join(qr, 'qr.js'), format: 'iife' });
for (const f of ['index.html', 'app.css', 'manifest.webmanifest']) cpSync(join(here, 'mobile', f), join(m, f));
cpSync(join(here, 'qr/index.html'), join(qr, 'index.html'));
cpSync(join(here, 'mobile/icons'), join(m, 'icons'), { recursive: true });
for (const size of [192, 512]) writeFileSync(join(m, 'icons', `icon-${size}.png`), icon(size));

// Unit tests: one CommonJS bundle per test file (Node 18 runs no TypeScript).
const tests = readdirSync(join(here, 'test')).filter((f) => f.endsWith('.test.ts'));
await build({
  ...common,
  minify: false,
  entryPoints: tests.map((f) => join(here, 'test', f)),
  outdir: testOut,
  outExtension: { '.js': '.cjs' },
  platform: 'node',
  format: 'cjs',
  target: 'node18',
});

// The app icon as PNG (Android wants 192 and 512 px PNGs to offer installation): a teal
// rounded square with a white seal ring and a check mark, drawn pixel by pixel.
function icon(size) {
  const px = Buffer.alloc(size * (size * 4 + 1));
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    px[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const i = y * (size * 4 + 1) + 1 + x * 4;
      const r = size * 0.18; // corner radius
      const dx = Math.max(r - x, x - (size - 1 - r), 0);
      const dy = Math.max(r - y, y - (size - 1 - r), 0);
      const inside = dx * dx + dy * dy <= r * r;
      const d = Math.hypot(x - c, y - c);
      const ring = d > size * 0.3 && d < size * 0.36;
      // the check mark: two thick segments
      const seg = (x1, y1, x2, y2) => {
        const vx = x2 - x1, vy = y2 - y1;
        const t = Math.max(0, Math.min(1, ((x - x1) * vx + (y - y1) * vy) / (vx * vx + vy * vy)));
        return Math.hypot(x - (x1 + t * vx), y - (y1 + t * vy)) < size * 0.035;
      };
      const check = seg(size * 0.38, size * 0.5, size * 0.47, size * 0.6) || seg(size * 0.47, size * 0.6, size * 0.64, size * 0.4);
      const white = ring || check;
      const [R, G, B, A] = !inside ? [0, 0, 0, 0] : white ? [255, 255, 255, 255] : [0, 122, 116, 255];
      px[i] = R; px[i + 1] = G; px[i + 2] = B; px[i + 3] = A;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let k = n;
    for (let j = 0; j < 8; j++) k = k & 1 ? 0xedb88320 ^ (k >>> 1) : k >>> 1;
    return k >>> 0;
  });
  const crc = (buf) => {
    let k = 0xffffffff;
    for (const b of buf) k = crcTable[(k ^ b) & 0xff] ^ (k >>> 8);
    return (k ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const cs = Buffer.alloc(4);
    cs.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, cs]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(px)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
