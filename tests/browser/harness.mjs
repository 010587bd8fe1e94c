// The browser tests' harness: the built page (dist/) served on 127.0.0.1, Debian's headless Chromium with
// WebGPU (SwiftShader) or without, a test runner that counts, and helpers that read the page's canvases.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from './serve.mjs';

export const dist = resolve(process.argv[2] || 'dist');
export const shots = resolve(process.argv[3] || join(tmpdir(), 'trilemma-shots'));
mkdirSync(shots, { recursive: true });
export const server = await serve(dist);
export const root = `http://127.0.0.1:${server.address().port}/`;

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
  const visit = async (query = '') => {
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(`${query}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${query}: ${e}`));
    page.on('dialog', (d) => {
      errors.push(`${query}: a dialog opened: ${d.message()}`);
      d.dismiss();
    });
    await page.goto(root + query);
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

/// Real test image k of MNIST (class floor(k/10)), as shipped for the page.
export function testImage(page, k) {
  return page.evaluate(async (i) => {
    const all = new Uint8Array(await (await fetch('models/test-mnist.bin')).arrayBuffer());
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
