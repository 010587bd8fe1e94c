// The browser tests' harness: the built page (dist/) served on 127.0.0.1, Debian's headless Chromium with
// WebGPU (SwiftShader) or without, a test runner that counts, and helpers that read the page's canvases.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from './serve.mjs';

export const dist = resolve(process.argv[2] || 'dist');
export const shots = resolve(process.argv[3] || join(tmpdir(), 'trilemma-shots'));
mkdirSync(shots, { recursive: true });
export const server = await serve(dist);
export const root = server.url;

/// A built page's manifest (www/seal.mjs): `{build, assets}`, `assets` mapping each shipped data file
/// (`models/gan-mnist.bpk`) to its content-addressed name in that build.
export function manifestOf(folder) {
  const block = readFileSync(join(folder, 'index.html'), 'utf8').match(/<script type="application\/json" id="build">(.*?)<\/script>/s);
  if (!block) throw new Error(`${folder}/index.html has no build manifest`);
  return JSON.parse(block[1]);
}
export const assets = manifestOf(dist).assets;

const BASE_FLAGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic',
];

/// A fresh browser (WebGPU on SwiftShader, or WebGPU disabled); pages opened with `visit` record their
/// console errors in `errors`. `serviceWorkers: 'block'` keeps the page's service worker out, so that
/// `context.route` sees every request.
export async function launch(webgpu, { serviceWorkers = 'allow' } = {}) {
  const flags = [...BASE_FLAGS, webgpu ? '--enable-unsafe-webgpu' : '--disable-features=WebGPU'];
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'trilemma-chromium-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: flags,
    viewport: { width: 1280, height: 900 },
    serviceWorkers,
  });
  const errors = [];
  // The page runs under its Content-Security-Policy: anything it refuses is an error.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} refused ${e.blockedURI || 'inline code'} (${e.sourceFile}:${e.lineNumber})`)),
  );
  const visit = async (query = '', at = root) => {
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(`${query}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${query}: ${e}`));
    page.on('dialog', (d) => {
      errors.push(`${query}: a dialog opened: ${d.message()}`);
      d.dismiss();
    });
    await page.goto(at + query);
    return page;
  };
  return { context, visit, errors };
}

let passed = 0;
let failed = 0;
export async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}
export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export const small = { n: 4, seed: 3, class: 7 };
export const fast = { sampler: 'ddim', steps: 3, guidance: 1 };

/// Calls window.trilemma.generate in the page; pixels come back as a plain array.
export function generateIn(page, opts) {
  return page.evaluate(async (o) => {
    const r = await window.trilemma.generate(o);
    return { ...r, pixels: Array.from(r.pixels) };
  }, opts);
}

export function checkImages(out, n) {
  assert(out.n === n && out.width === 28 && out.height === 28, `shape ${out.n}×${out.width}×${out.height}`);
  assert(out.pixels.length === n * 784, `pixels ${out.pixels.length}`);
  const mean = out.pixels.reduce((a, b) => a + b, 0) / out.pixels.length;
  assert(mean > 5 && mean < 200, `implausible mean brightness ${mean}`);
}

/// Waits until the page has started and nothing is generating.
export async function settle(page) {
  await page.evaluate(async () => {
    await window.trilemma.ready;
    await window.trilemma.idle();
  });
}

/// Each dataset's default guidance, as the page's vocabulary (vocab.js) names it.
export function defaultGuidance(page) {
  return page.evaluate(async () => {
    const { vocab } = await import(new URL('vocab.js', document.querySelector('script[src$="/main.js"]').src));
    return Object.fromEntries(vocab.datasets.map((d) => [d.name, d.guidance]));
  });
}

/// Moves the range input `selector` to `value` as a visitor's drag would (an input event).
export function slide(page, selector, value) {
  return page.evaluate(
    ([sel, v]) => {
      const s = document.querySelector(sel);
      s.value = String(v);
      s.dispatchEvent(new Event('input', { bubbles: true }));
    },
    [selector, value],
  );
}

/// A canvas's size, its pixels' FNV-1a hash and how many are bright: enough to compare two canvases.
export function canvasFacts(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0x811c9dc5;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) {
      h = Math.imul(h ^ d[i], 0x01000193) >>> 0;
      lit += d[i] > 64;
    }
    return { size: `${c.width}×${c.height}`, hash: h, lit };
  }, selector);
}

/// The `n` 28×28 images that `drawGrid` drew on canvas `selector` in `cols` columns (without labels), read
/// back from the canvas: one array of 784 gray bytes each.
export function canvasImages(page, selector, n, cols) {
  return page.evaluate(([sel, n, cols]) => {
    const c = document.querySelector(sel);
    const rows = Math.ceil(n / cols);
    const gap = 2;
    const cellW = (c.width - gap) / cols;
    const zoom = Math.floor((cellW - gap) / 28);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return Array.from({ length: n }, (_, i) => {
      const x0 = gap + (i % cols) * cellW;
      const y0 = gap + Math.floor(i / cols) * ((c.height - gap) / rows);
      return Array.from({ length: 784 }, (_, p) => d[4 * ((y0 + zoom * Math.floor(p / 28)) * c.width + x0 + zoom * (p % 28))]);
    });
  }, [selector, n, cols]);
}

/// The viewport coordinates of the middle of cell `i` of the `n` images on canvas `selector` in `cols`
/// columns (scrolled into view first).
export async function cellCenter(page, selector, i, n, cols) {
  await page.locator(selector).scrollIntoViewIfNeeded();
  return page.evaluate(([sel, i, n, cols]) => {
    const c = document.querySelector(sel);
    const r = c.getBoundingClientRect();
    const rows = Math.ceil(n / cols);
    const [cellW, cellH] = [(c.width - 2) / cols, (c.height - 2) / rows];
    const [x, y] = [2 + ((i % cols) + 0.5) * cellW, 2 + (Math.floor(i / cols) + 0.5) * cellH];
    return { x: r.left + (x * r.width) / c.width, y: r.top + (y * r.height) / c.height };
  }, [selector, i, n, cols]);
}

/// Real test image k of MNIST (class floor(k/10)), as shipped for the page.
export function testImage(page, k) {
  return page.evaluate(async (i) => {
    const all = new Uint8Array(await (await fetch(JSON.parse(document.getElementById('build').textContent).assets['models/test-mnist.bin'])).arrayBuffer());
    return Array.from(all.subarray(i * 784, (i + 1) * 784));
  }, k);
}


/// Prints the tally, closes the server and exits non-zero on any failure.
export function finish() {
  server.close();
  console.log(`screenshots in ${shots}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
