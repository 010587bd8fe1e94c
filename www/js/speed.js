// The Speed view: the benchmark, its table and chart, and results shared by link.
import { errorText, makeLock, nextTask, track } from './async.js';
import { cssColor, drawLogBars } from './charts.js';
import { $, copyText, h } from './dom.js';
import { checkWorkers, cpuWorkers, engine, engineFor, ready } from './engine.js';
import { attempt } from './notices.js';
import { cancelRun } from './runs.js';
import { f, syncLink } from './state.js';
import { backendLabel, bindings, datasetOf, vocab } from './vocab.js';
import { ensureLoaded } from './weights.js';

const benchDefaults = () => ({
  families: vocab.families,
  batches: [1, 16, 64],
  diffusion: [{ sampler: 'ddim', steps: 10 }, { sampler: 'dpmpp', steps: 10 }, { sampler: 'ddim', steps: 50 }, { sampler: 'ddpm' }],
  repeats: 3,
  dataset: vocab.defaults.dataset,
});
const BENCH_KEYS = ['backend', 'workers', 'families', 'batches', 'diffusion', 'repeats', 'dataset'];
const DIFFUSION_KEYS = ['sampler', 'steps', 'eta', 'guidance'];
const benchLock = makeLock(); // one benchmark at a time, so timings never overlap
const speedRows = []; // every result so far, with its backend and adapter
let benchPanelPlan = [];

function configName(knobs) {
  // DDPM always takes every step; the others name theirs or the default.
  const steps = () => knobs.steps ?? vocab.defaults.steps;
  const base = knobs.sampler === 'ddpm' ? 'DDPM 1000' : `${knobs.sampler === 'dpmpp' ? 'DPM-Solver++' : 'DDIM'} ${steps()}`;
  const extra = ['eta', 'guidance'].filter((k) => k in knobs).map((k) => `${k} ${knobs[k]}`);
  return extra.length ? `${base} (${extra.join(', ')})` : base;
}

/// The rows to time: GAN and VAE at every batch; each diffusion config at batch 1, DDIM 10 at the
/// larger batches, and the page's default diffusion grid with a class.
function benchPlan({ families, batches, diffusion }) {
  const plan = [];
  for (const family of families) {
    if (family !== 'diffusion') {
      for (const batch of batches) plan.push({ family, config: 'one pass', batch, knobs: {} });
      continue;
    }
    for (const knobs of diffusion) plan.push({ family, config: configName(knobs), batch: 1, knobs });
    for (const batch of batches.filter((b) => b !== 1)) plan.push({ family, config: 'DDIM 10', batch, knobs: { sampler: 'ddim', steps: 10 } });
    // The page's default grid with a class chosen (guidance on: two passes a step).
    const grid = vocab.defaults.n;
    plan.push({ family, config: `${configName({ sampler: vocab.defaults.sampler })}, class 3`, batch: grid, knobs: { class: 3 } });
  }
  return plan;
}

function checkBenchOptions(o) {
  const fail = (what) => {
    throw new Error(`bench: ${what}`);
  };
  if (typeof o !== 'object' || o === null) fail('opts must be an object');
  for (const k of Object.keys(o)) if (!BENCH_KEYS.includes(k)) fail(`unknown option "${k}" (known: ${BENCH_KEYS.join(', ')})`);
  if ('backend' in o && !vocab.backends.some((b) => b.name === o.backend)) fail(`backend must be ${vocab.backends.map((b) => b.name).join(' or ')}, got ${JSON.stringify(o.backend)}`);
  if ('dataset' in o && !datasetOf(o.dataset)) fail(`dataset must be one of ${vocab.datasets.map((d) => d.name).join(', ')}, got ${JSON.stringify(o.dataset)}`);
  if ('families' in o && !(Array.isArray(o.families) && o.families.every((x) => vocab.families.includes(x)))) fail(`families must be a list of ${vocab.families.join(', ')}`);
  const n = vocab.ranges.n;
  if ('batches' in o && !(Array.isArray(o.batches) && o.batches.every((b) => Number.isInteger(b) && b >= n.min && b <= n.max))) fail(`batches must be a list of whole numbers ${n.min}–${n.max}`);
  if ('repeats' in o && !(Number.isInteger(o.repeats) && o.repeats >= 1 && o.repeats <= 20)) fail('repeats must be a whole number 1–20');
  if ('workers' in o) checkWorkers(o.workers, 'bench');
  if ('diffusion' in o && !(Array.isArray(o.diffusion) && o.diffusion.every((d) => d && typeof d === 'object' && Object.keys(d).every((k) => DIFFUSION_KEYS.includes(k))))) {
    fail(`diffusion must be a list of objects with ${DIFFUSION_KEYS.join(', ')}`);
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/// Times every row of `plan`: one warm-up, then the median of `repeats` generates. Runs on the page's
/// engine when it is on `backend`, else on a separate engine for it (the page keeps its backend).
function runBench(plan, { backend, workers, repeats, dataset }) {
  return benchLock(async () => {
    const progress = $('#bench-progress');
    const status = $('#bench-status');
    const buttons = [$('#bench-webgpu'), $('#bench-cpu')];
    buttons.forEach((b) => (b.disabled = true));
    progress.hidden = false;
    progress.max = Math.max(1, plan.length * (repeats + 1));
    progress.value = 0;
    try {
      await ready;
      cancelRun(); // a diffusion run stepping beside the benchmark would skew it
      status.textContent = `starting ${backendLabel(backend)}…`;
      const e = await engineFor(backend, workers);
      const result = { backend: e.backend, adapter: e.adapter, workers: e.workers, rows: [] };
      for (const item of plan) {
        status.textContent = `${backendLabel(e.backend)}: loading ${item.family}-${dataset}…`;
        await ensureLoaded(e, `${item.family}-${dataset}`);
        // scores: false: the GAN row times the generator alone, not the discriminator's score beside it.
        const opts = { family: item.family, dataset, n: item.batch, seed: 0, scores: false, ...item.knobs };
        const times = [];
        // WebGPU compute dispatches of the last call (asked of the worker beside the timing, not in it).
        const gpu = e.backend === 'webgpu';
        let dispatches;
        for (let r = 0; r <= repeats; r++) {
          status.textContent = `${backendLabel(e.backend)}: ${item.family} ${item.config} ×${item.batch}, ${r === 0 ? 'warm-up' : `run ${r} of ${repeats}`}`;
          times.push(
            await e.lock(async () => {
              const before = gpu && (await e.wasm.usage()).dispatches;
              const t0 = performance.now();
              await e.wasm.generate(opts);
              const ms = performance.now() - t0;
              if (gpu) dispatches = (await e.wasm.usage()).dispatches - before;
              return ms;
            }),
          );
          progress.value += 1;
          await nextTask();
        }
        const msPerSample = median(times.slice(1)) / item.batch;
        // The model's floating-point work per sample over its time: how well the engine uses the device.
        const flops = await e.lock(() => e.wasm.flops(opts));
        const row = { family: item.family, config: item.config, batch: item.batch, msPerSample, samplesPerSecond: 1000 / msPerSample, gflops: flops / (msPerSample * 1e6), dispatches };
        result.rows.push(row);
        addSpeedRow({ ...row, backend: e.backend, adapter: e.adapter, workers: e.workers, dataset });
      }
      status.textContent = `done: ${result.rows.length} rows on ${backendLabel(e.backend)} (${e.adapter})`;
      ownSpeed = { ...result, dataset };
      $('#bench-share-row').hidden = false;
      return result;
    } catch (err) {
      status.textContent = `stopped: ${errorText(err)}`;
      throw err;
    } finally {
      progress.hidden = true;
      buttons.forEach((b) => (b.disabled = false));
    }
  });
}

/// The scripting API's benchmark (also the headless benchmark script's).
export async function bench(opts = {}) {
  checkBenchOptions(opts);
  await ready;
  const o = { ...benchDefaults(), backend: engine.backend, workers: cpuWorkers, ...opts };
  return runBench(benchPlan(o), o);
}

function addSpeedRow(row) {
  speedRows.push(row);
  const where = `${row.shared ? 'shared: ' : ''}${backendLabel(row.backend)} (${row.adapter})`;
  const cells = [where, row.dataset, row.family, row.config, String(row.batch), row.msPerSample.toFixed(2), (1000 / row.msPerSample).toFixed(1), row.gflops ? row.gflops.toFixed(1) : '–'];
  $('#speed-table tbody').append(h('tr', { className: row.shared ? 'shared' : '' }, ...cells.map((c) => h('td', { textContent: c }))));
  drawSpeedChart();
}

// --- speed: results shared by link -------------------------------------------------------------------

let ownSpeed = null; // the newest result timed here: {backend, workers, adapter, dataset, rows}
export let sharedSpeed = null; // a result a link shared (checked by the wasm link codec), shown beside

/// Shows a shared result's rows in the Speed view's table and chart, marked as shared.
export function showSharedSpeed(speed) {
  sharedSpeed = speed;
  for (const row of speed.rows) addSpeedRow({ ...row, backend: speed.backend, adapter: speed.adapter, workers: speed.workers, dataset: speed.dataset, shared: true });
}

/// The link to the newest own result, copied (or shown selected where there is no clipboard).
async function shareSpeed() {
  const url = `${location.origin}${location.pathname}?view=speed&${bindings.encodeSpeedLink(ownSpeed)}`;
  const copied = await copyText(url, $('#bench-share-link'));
  $('#bench-share-status').textContent = copied ? 'link copied: open it anywhere to compare' : 'copy the link (Ctrl+C / ⌘C)';
}

export function drawSpeedChart() {
  const rows = speedRows.map((r) => ({ label: `${r.shared ? 'shared · ' : ''}${r.family} ${r.config} ×${r.batch} · ${backendLabel(r.backend)}`, value: r.msPerSample, color: cssColor(`--${r.family}`) }));
  drawLogBars($('#speed-chart'), rows, { width: Math.min(760, $('#view-speed').clientWidth || 720), unit: ' ms' });
}

export function setUpSpeedPanel() {
  benchPanelPlan = benchPlan(benchDefaults());
  $('#bench-rows').append(
    ...benchPanelPlan.map((item, i) =>
      h('label', {}, h('input', { type: 'checkbox', checked: item.config !== 'DDPM 1000', value: String(i) }), `${item.family} · ${item.config} · batch ${item.batch}`),
    ),
  );
  for (const backend of ['webgpu', 'cpu']) {
    $(`#bench-${backend}`).addEventListener('click', () => {
      const plan = [...$('#bench-rows').querySelectorAll('input:checked')].map((c) => benchPanelPlan[Number(c.value)]);
      const repeats = Math.max(1, Math.min(20, Math.round($('#bench-repeats').valueAsNumber) || 3));
      track(attempt('bench', 'The benchmark stopped', () => runBench(plan, { backend, repeats, dataset: f.dataset.value })));
    });
  }
  $('#bench-clear').addEventListener('click', () => {
    speedRows.length = 0;
    sharedSpeed = null;
    $('#speed-table tbody').replaceChildren();
    drawSpeedChart();
    syncLink();
  });
  $('#bench-share').addEventListener('click', () => track(attempt('bench', "Couldn't make the link", shareSpeed)));
}
