// Benchmark (not a test): times every model family of the built page (dist/) in Debian's headless Chromium,
// on SwiftShader's WebGPU adapter and/or the CPU path, through window.trilemma.bench, and prints a table.
//   node tests/browser/bench.mjs [--dist dist] [--backend webgpu|cpu|both] [--ddpm] [--repeats N]
//                                [--batches 1,16,64] [--families gan,vae,diffusion] [--dataset mnist] [--json out.json]
//                                [--workers 1,2] [--train] [--soak N]
// `./x bench [flags]` builds the page first. Exits non-zero when the page does not load or a benchmark fails.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from './serve.mjs';

const USAGE = `usage: node tests/browser/bench.mjs [options]
  --dist DIR              the built page (default: dist)
  --backend B             webgpu, cpu or both (default: both)
  --ddpm                  also time DDPM with 1000 steps (very slow on SwiftShader; off by default)
  --repeats N             timed repeats per row (default: 3)
  --batches LIST          batch sizes, comma separated (default: 1,16,64)
  --families LIST         gan,vae,diffusion (default: all three)
  --dataset NAME          mnist or fashion (default: mnist)
  --workers LIST          CPU workers per run, comma separated, e.g. 1,2 (default: one per core); with more
                          than one count, a table of throughput against the first count follows
  --train                 also time the Train view's training: the three families at once, batch 256
                          (steps per second each, and the issue's target of 30)
  --soak N                instead of the timing table: N generations in a row (GAN, VAE and diffusion in
                          turn, MNIST and Fashion), the workers' wasm memory, live GPU buffers and JS
                          heaps and the page's JS heap sampled every 100 (the README's soak)
  --json FILE             also write the results as JSON
  --help                  this text`;

function fail(msg, code = 1) {
  console.error(`bench: ${msg}`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { dist: 'dist', backend: 'both', ddpm: false, repeats: 3, batches: [1, 16, 64], families: null, dataset: 'mnist', json: null, workers: null, train: false, soak: 0 };
  const value = (i, flag) => {
    if (i >= argv.length || argv[i].startsWith('--')) fail(`${flag} needs a value\n${USAGE}`, 2);
    return argv[i];
  };
  const ints = (s, flag) => {
    const v = s.split(',').map((x) => Number(x.trim()));
    if (!v.length || v.some((x) => !Number.isInteger(x) || x < 1)) fail(`${flag} wants positive integers, got '${s}'`, 2);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--dist': o.dist = value(++i, a); break;
      case '--backend':
        o.backend = value(++i, a);
        if (!['webgpu', 'cpu', 'both'].includes(o.backend)) fail(`--backend must be webgpu, cpu or both, got '${o.backend}'`, 2);
        break;
      case '--ddpm': o.ddpm = true; break;
      case '--train': o.train = true; break;
      case '--repeats': [o.repeats] = ints(value(++i, a), a); break;
      case '--soak': [o.soak] = ints(value(++i, a), a); break;
      case '--batches': o.batches = ints(value(++i, a), a); break;
      case '--families': {
        o.families = value(++i, a).split(',').map((x) => x.trim());
        const bad = o.families.filter((f) => !['gan', 'vae', 'diffusion'].includes(f));
        if (bad.length || !o.families.length) fail(`--families takes gan, vae, diffusion; got '${bad.join(',')}'`, 2);
        break;
      }
      case '--dataset': o.dataset = value(++i, a); break;
      case '--workers': o.workers = ints(value(++i, a), a); break;
      case '--json': o.json = resolve(value(++i, a)); break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown argument '${a}'\n${USAGE}`, 2);
    }
  }
  return o;
}

const args = parseArgs(process.argv.slice(2));
const dist = resolve(args.dist);
if (!existsSync(join(dist, 'index.html'))) fail(`no built page at ${dist}/index.html (run \`./x bench\`, or \`trunk build --release\` first)`);

const benchOpts = {
  ...(args.families ? { families: args.families } : {}),
  batches: args.batches,
  diffusion: [{ sampler: 'ddim', steps: 10 }, { sampler: 'ddim', steps: 50 }, { sampler: 'dpmpp', steps: 20 }, ...(args.ddpm ? [{ sampler: 'ddpm' }] : [])],
  repeats: args.repeats,
  dataset: args.dataset,
};
const backends = args.backend === 'both' ? ['webgpu', 'cpu'] : [args.backend];

const BASE_FLAGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic',
];
const LOAD_TIMEOUT = 10 * 60_000; // wasm compile + model downloads; generous for SwiftShader
const FIRST_GRID_TIMEOUT = 30 * 60_000; // the page lands on a race of the three families; the bench waits for it

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${seconds(ms)}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

function formatConfig(c) {
  if (c === undefined || c === null || c === '') return '-';
  if (typeof c !== 'object') return String(c);
  return Object.entries(c).map(([k, v]) => (k === 'sampler' ? String(v) : `${k}=${v}`)).join(' ') || '-';
}

function formatNumber(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

function printTable(result) {
  const head = ['family', 'config', 'batch', 'ms/sample', 'samples/s', 'GFLOP/s', 'GPU dispatches'];
  const rows = (result.rows || []).map((r) => [
    String(r.family), formatConfig(r.config), String(r.batch), formatNumber(r.msPerSample), formatNumber(r.samplesPerSecond), formatNumber(r.gflops), String(r.dispatches ?? '-'),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  console.log(`\nbackend ${result.backend} — adapter: ${result.adapter ?? '(unknown)'}`);
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (!rows.length) console.log('(no rows)');
}

/// Throughput of every row against the first run's (the same rows with another number of workers).
function printScaling(runs) {
  const key = (r) => `${r.family} ${formatConfig(r.config)} ×${r.batch}`;
  const base = new Map(runs[0].rows.map((r) => [key(r), r.samplesPerSecond]));
  console.log(`\nthroughput against ${runs[0].workers} worker(s)`);
  console.log(['row', ...runs.map((r) => `${r.workers} workers`)].join('  |  '));
  for (const row of runs[0].rows) {
    const k = key(row);
    const cells = runs.map((run) => {
      const other = run.rows.find((r) => key(r) === k);
      return other ? `${(other.samplesPerSecond / base.get(k)).toFixed(2)}×` : '-';
    });
    console.log([k, ...cells].join('  |  '));
  }
}

const SOAK_EVERY = 100;
const mb = (bytes) => (bytes == null ? '-' : (bytes / 2 ** 20).toFixed(1));

/// `args.soak` generations in a row on the page's engine, usage sampled every SOAK_EVERY: the rows, printed
/// as they come, and the growth after warm-up (from the first sample after generation 0 to the last).
async function soak(page, backend) {
  const n = args.soak;
  console.log(`[${backend}] soak: ${n} generations (GAN ×16, VAE ×16, diffusion DDIM-2 ×1 in turn; MNIST and Fashion), usage every ${SOAK_EVERY}`);
  const head = ['generation', 'wasm MB', 'GPU MB', 'GPU buffers', 'worker heap MB', 'page heap MB', 'seconds'];
  console.log(head.join('  '));
  const rows = [];
  const t0 = Date.now();
  const sample = async (generation) => {
    const u = await page.evaluate(() => window.trilemma.usage());
    const row = { generation, seconds: (Date.now() - t0) / 1000, ...u };
    rows.push(row);
    const cells = [generation, mb(u.wasmBytes), mb(u.gpuBytes), u.gpuBuffers, mb(u.heapBytes), mb(u.pageHeapBytes), row.seconds.toFixed(0)];
    console.log(cells.map((c, i) => String(c).padStart(head[i].length)).join('  '));
  };
  await sample(0);
  for (let from = 0; from < n; from += SOAK_EVERY) {
    const count = Math.min(SOAK_EVERY, n - from);
    await page.evaluate(async ({ from, count }) => {
      for (let i = from; i < from + count; i++) {
        const family = ['gan', 'vae', 'diffusion'][i % 3];
        const dataset = Math.floor(i / 3) % 2 ? 'fashion' : 'mnist';
        const opts = family === 'diffusion' ? { sampler: 'ddim', steps: 2, n: 1 } : { n: 16 };
        await window.trilemma.generate({ family, dataset, seed: i, ...opts });
      }
    }, { from, count });
    await sample(from + count);
  }
  const [warm, last] = [rows[Math.min(1, rows.length - 1)], rows[rows.length - 1]];
  const growth = (k) => (warm[k] == null || last[k] == null ? '-' : `${last[k] >= warm[k] ? '+' : ''}${mb(last[k] - warm[k])} MB`);
  console.log(`[${backend}] soak: after warm-up (generation ${warm.generation} → ${last.generation}): wasm ${growth('wasmBytes')}, GPU ${growth('gpuBytes')}, worker heap ${growth('heapBytes')}, page heap ${growth('pageHeapBytes')}`);
  return { backend, soak: rows };
}

async function runBackend(backend, url) {
  const userDir = mkdtempSync(join(tmpdir(), 'trilemma-bench-chromium-'));
  const flags = [...BASE_FLAGS, backend === 'webgpu' ? '--enable-unsafe-webgpu' : '--disable-features=WebGPU'];
  // The soak reads JS heaps after a collection, to the byte.
  if (args.soak) flags.push('--js-flags=--expose-gc', '--enable-precise-memory-info');
  const browser = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: flags,
  });
  const errors = [];
  let forward = false;
  try {
    const page = browser.pages()[0] || (await browser.newPage());
    page.setDefaultTimeout(0);
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
      if (forward) console.log(`  [page ${m.type()}] ${m.text()}`);
    });
    page.on('crash', () => errors.push('the page crashed'));

    const t0 = Date.now();
    const response = await page.goto(url, { timeout: LOAD_TIMEOUT });
    if (!response || !response.ok()) throw new Error(`loading ${url} gave HTTP ${response ? response.status() : 'nothing'}`);
    try {
      await page.waitForFunction(() => window.trilemma && window.trilemma.ready, null, { timeout: LOAD_TIMEOUT });
    } catch {
      throw new Error(`window.trilemma never appeared (wasm failed to load?)`);
    }
    let info = await withTimeout(page.evaluate(() => window.trilemma.ready), LOAD_TIMEOUT, 'window.trilemma.ready');
    console.log(`[${backend}] page ready in ${seconds(Date.now() - t0)}: backend ${info.backend}, adapter ${info.adapter ?? '?'}`);
    if (info.backend !== backend) {
      info = await page.evaluate((b) => window.trilemma.setBackend(b), backend);
      if (info.backend !== backend) throw new Error(`asked for the ${backend} backend, the page is on ${info.backend}`);
    }
    // The page lands on the race of the three families: time it from the page's load to three filled
    // grids (and let it finish, so it does not share the device with the bench).
    try {
      await page.waitForFunction(
        () => ['gan', 'vae', 'diffusion'].every((f) => document.querySelector(`#compare-${f}-rate`)?.textContent), null, { timeout: FIRST_GRID_TIMEOUT });
      const lanes = await page.evaluate(() => ['gan', 'vae', 'diffusion'].map((f) => `${f} ${document.querySelector(`#compare-${f}-time`).textContent}`));
      console.log(`[${backend}] landing race: three grids filled ${seconds(Date.now() - t0)} after the page was opened (model time: ${lanes.join(', ')})`);
    } catch {
      console.log(`[${backend}] (the landing race did not finish within ${seconds(FIRST_GRID_TIMEOUT)}; benchmarking anyway)`);
    }
    if ((await page.evaluate(() => typeof window.trilemma.bench)) !== 'function') {
      throw new Error('window.trilemma.bench is missing from this build of the page');
    }

    if (args.soak) return [await soak(page, backend)];
    const runs = [];
    for (const workers of backend === 'cpu' && args.workers ? args.workers : [undefined]) {
      const opts = { backend, ...benchOpts, ...(workers ? { workers } : {}) };
      console.log(`[${backend}] benchmarking ${JSON.stringify(opts)} (this can take tens of minutes on SwiftShader)`);
      forward = true;
      const t1 = Date.now();
      // The page's benchmark status line names the row being timed: echo it, so long runs show progress.
      let shown = '';
      const poll = setInterval(async () => {
        const status = await page.textContent('#bench-status').catch(() => '');
        if (status && status !== shown) console.log(`  [${seconds(Date.now() - t1)}] ${(shown = status)}`);
      }, 10_000);
      const result = await page.evaluate((o) => window.trilemma.bench(o), opts).finally(() => clearInterval(poll));
      forward = false;
      console.log(`[${backend}] done in ${seconds(Date.now() - t1)}`);
      if (!result || !Array.isArray(result.rows)) throw new Error(`bench resolved to ${JSON.stringify(result)}`);
      if (result.backend && result.backend !== backend) throw new Error(`bench ran on ${result.backend}, not ${backend}`);
      runs.push({ ...result, backend: result.backend || backend, consoleErrors: errors.slice() });
    }
    if (args.train) {
      // The Train view's load: GAN, VAE and diffusion training at once (a worker each), 600 steps of 256.
      const t = await page.evaluate((b) => window.trilemma.train({ backend: b, steps: 600, batch: 256 }), backend);
      const final = Object.entries(t.families).map(([f, m]) => `${f} ${m.modes ?? '-'} modes, ${m.highQuality == null ? '-' : (100 * m.highQuality).toFixed(0)}% hq`);
      console.log(`[${backend}] training, three families at once, batch 256: ${t.stepsPerSecond.toFixed(1)} steps/s each (target ≥ 30); at step 600: ${final.join(', ')}`);
    }
    return runs;
  } catch (e) {
    const more = errors.length ? `\n  page errors:\n    ${errors.join('\n    ')}` : '';
    throw new Error(`[${backend}] ${e.message || e}${more}`);
  } finally {
    await browser.close().catch(() => {});
    rmSync(userDir, { recursive: true, force: true });
  }
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const results = [];
let failed = 0;
for (const backend of backends) {
  try {
    const runs = await runBackend(backend, url);
    results.push(...runs);
    runs.filter((r) => r.rows).forEach(printTable);
    if (runs.length > 1) printScaling(runs);
  } catch (e) {
    failed++;
    console.error(`\nbench FAILED: ${e.message}`);
  }
}
server.close();

if (args.json) {
  const out = { date: new Date().toISOString(), dist, options: { ...benchOpts, backends }, results };
  writeFileSync(args.json, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nresults written to ${args.json}`);
}
process.exit(failed ? 1 : 0);
