// Browser end-to-end tests: the built page (dist/) in Debian's headless Chromium, on SwiftShader's WebGPU
// adapter and on the CPU path. Prints "N passed, N failed" and exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from './serve.mjs';

const dist = resolve(process.argv[2] || 'dist');
const shots = resolve(process.argv[3] || join(tmpdir(), 'trilemma-shots'));
mkdirSync(shots, { recursive: true });
const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;

const BASE_FLAGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic',
];

async function open(webgpu) {
  const flags = [...BASE_FLAGS, webgpu ? '--enable-unsafe-webgpu' : '--disable-features=WebGPU'];
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'trilemma-chromium-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: flags,
  });
  const page = browser.pages()[0] || (await browser.newPage());
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { browser, page, errors };
}

let passed = 0;
let failed = 0;
async function test(name, fn) {
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
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const small = { n: 4, seed: 3, class: 7 };
const fast = { sampler: 'ddim', steps: 3, guidance: 1 };

/// Calls window.trilemma.generate in the page; pixels come back as a plain array.
function generateIn(page, opts) {
  return page.evaluate(async (o) => {
    const r = await window.trilemma.generate(o);
    return { ...r, pixels: Array.from(r.pixels) };
  }, opts);
}

function checkImages(out, n) {
  assert(out.n === n && out.width === 28 && out.height === 28, `shape ${out.n}×${out.width}×${out.height}`);
  assert(out.pixels.length === n * 784, `pixels ${out.pixels.length}`);
  const mean = out.pixels.reduce((a, b) => a + b, 0) / out.pixels.length;
  assert(mean > 5 && mean < 200, `implausible mean brightness ${mean}`);
}

const gpu = await open(true);
let gpuPixels = {};
await test('WebGPU: the page starts on the WebGPU backend and draws its first grid', async () => {
  const info = await gpu.page.evaluate(() => window.trilemma.ready);
  assert(info.backend === 'webgpu', `backend ${info.backend}`);
  await gpu.page.waitForFunction(() => document.querySelector('#timing').textContent.includes('samples in'), null, { timeout: 900_000 });
  const lit = await gpu.page.evaluate(() => {
    const c = document.querySelector('#grid');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) n += d[i] > 64;
    return n;
  });
  assert(lit > 100, `only ${lit} bright pixels on the canvas`);
  await gpu.page.screenshot({ path: join(shots, 'webgpu.png'), fullPage: true });
});
for (const family of ['gan', 'vae', 'diffusion']) {
  await test(`WebGPU: ${family} generates`, async () => {
    const out = await generateIn(gpu.page, { family, ...small, ...(family === 'diffusion' ? fast : {}) });
    assert(out.backend === 'webgpu', out.backend);
    checkImages(out, 4);
    gpuPixels[family] = out.pixels;
  });
}
await test('invalid options reject with a clear message', async () => {
  await gpu.page.evaluate(() => window.trilemma.ready);
  const msgs = await gpu.page.evaluate(async () => {
    const bad = [{ family: 'flow' }, { n: 1000 }, { class: 12 }, { colour: 'red' }, { family: 'diffusion', steps: -3 }, { family: 'gan', seed: 'x' }];
    const out = [];
    for (const o of bad) {
      try {
        await window.trilemma.generate(o);
        out.push(null);
      } catch (e) {
        out.push(String(e.message || e));
      }
    }
    return out;
  });
  const expected = ['family', 'n must', 'class', 'colour', 'steps', 'seed'];
  msgs.forEach((m, i) => assert(m && m.includes(expected[i]), `option ${i}: expected a message about ${expected[i]}, got ${m}`));
});

await test('CPU switch: same seed gives the same images as WebGPU within tolerance', async () => {
  const info = await gpu.page.evaluate(() => window.trilemma.setBackend('cpu'));
  assert(info.backend === 'cpu', info.backend);
  for (const family of ['gan', 'vae', 'diffusion']) {
    const out = await generateIn(gpu.page, { family, ...small, ...(family === 'diffusion' ? fast : {}) });
    assert(out.backend === 'cpu', out.backend);
    checkImages(out, 4);
    let worst = 0;
    out.pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - gpuPixels[family][i]))));
    console.log(`     ${family}: largest CPU vs WebGPU pixel difference ${worst}/255`);
    assert(worst <= 8, `${family}: CPU and WebGPU differ by up to ${worst}/255`);
  }
});
await test('no console errors on the WebGPU page', async () => {
  assert(gpu.errors.length === 0, gpu.errors.join('\n'));
});
await gpu.browser.close();

const cpu = await open(false);
await test('without WebGPU the page falls back to the CPU with a visible notice', async () => {
  const info = await cpu.page.evaluate(() => window.trilemma.ready);
  assert(info.backend === 'cpu', `backend ${info.backend}`);
  const notice = await cpu.page.locator('#notice');
  assert(await notice.isVisible(), 'no notice shown');
  assert((await notice.textContent()).includes('WebGPU'), await notice.textContent());
  await cpu.page.waitForFunction(() => document.querySelector('#timing').textContent.includes('samples in'), null, { timeout: 900_000 });
  await cpu.page.screenshot({ path: join(shots, 'cpu-fallback.png'), fullPage: true });
  const out = await generateIn(cpu.page, { family: 'gan', n: 2 });
  checkImages(out, 2);
});
await test('no console errors on the CPU page', async () => {
  assert(cpu.errors.length === 0, cpu.errors.join('\n'));
});
await cpu.browser.close();
server.close();

console.log(`screenshots in ${shots}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
