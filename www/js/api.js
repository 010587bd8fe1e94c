// The scripting API, `window.trilemma`.
import { idle, track } from './async.js';
import { drawGrid } from './canvas.js';
import { startAll } from './channel.js';
import { classify } from './classifier.js';
import { inpaintInPanel } from './diffusion-tools.js';
import { engine, engineCall, ready, setBackend } from './engine.js';
import { NEIGHBOURS, neighbours } from './neighbours.js';
import { startMain } from './play.js';
import { bench } from './speed.js';
import { currentState, diffusionOptionsWith, linkQuery } from './state.js';
import { familiesOf, firstWorker, TrainWorker } from './train-client.js';
import { trainState } from './train.js';
import { datasetOf, vocab } from './vocab.js';

/// The option names of a call, and its dataset's: the one check of both where a call's options enter.
function checkOptions(opts, what) {
  if (typeof opts !== 'object' || opts === null) throw new Error(`${what}: opts must be an object`);
  for (const k of Object.keys(opts)) {
    if (!vocab.options.includes(k)) throw new Error(`unknown option "${k}" (known: ${vocab.options.join(', ')})`);
  }
  if ('dataset' in opts) checkDataset(opts.dataset);
}

/// 784 gray bytes from a Uint8Array or any list of numbers.
function bytes784(x, name) {
  if (!x || x.length !== 784) throw new Error(`${name} must be 784 gray bytes (28×28), got ${x && x.length != null ? `${x.length} values` : typeof x}`);
  return x instanceof Uint8Array ? x : Uint8Array.from(x);
}

/// Generates samples; rejects with a clear message on invalid options.
/// Calls `fn(wasm, opts)` on the model that `opts` (past checkOptions) names, family and dataset defaulted
/// as links default them; resolves to its answer with `ms` and `backend`.
async function modelCall(opts, fn) {
  const family = opts.family ?? vocab.defaults.family;
  const dataset = opts.dataset ?? vocab.defaults.dataset;
  if (!vocab.families.includes(family)) throw new Error(`unknown family "${family}" (${vocab.families.join(', ')})`);
  const { out, ms, backend } = await engineCall([`${family}-${dataset}`], (w) => fn(w, { ...opts, family, dataset }));
  return { ...out, ms, backend };
}

async function generate(opts = {}) {
  checkOptions(opts, 'generate(opts)');
  return modelCall(opts, (w, o) => w.generate(o));
}

/// `frames` samples along the path between two latent codes `from` and `to` (GAN / VAE codes, diffusion
/// starting noise); opts as for generate.
async function interpolateApi({ from, to, frames = 8, ...opts } = {}) {
  checkOptions(opts, 'interpolate(opts)');
  const codes = (v, name) => {
    if (!v || typeof v.length !== 'number') throw new Error(`${name} is required (an array of latent values)`);
    return Float32Array.from(v);
  };
  const [a, b] = [codes(from, 'from'), codes(to, 'to')];
  return modelCall(opts, (w, o) => w.interpolate({ ...o, from: a, to: b, frames }));
}

/// A diffusion run shown in the Play view's scrubber; opts default to the controls' diffusion options.
async function runApi(opts = {}, start = { kind: 'noise' }) {
  checkOptions(opts, 'run(opts, start)');
  const s = { ...start };
  if ('image' in s) s.image = bytes784(s.image, 'start.image');
  if ('mask' in s) s.mask = bytes784(s.mask, 'start.mask');
  await ready;
  return startMain(diffusionOptionsWith(opts), s);
}

/// Inpaints in the inpainting panel; resolves to the result's pixels.
async function inpaintApi({ image, mask: maskBytes, ...opts } = {}) {
  checkOptions(opts, 'inpaint(opts)');
  const start = { kind: 'inpaint', image: bytes784(image, 'image'), mask: bytes784(maskBytes, 'mask') };
  await ready;
  const result = await inpaintInPanel(opts, start);
  return result.pixels;
}

/// The checked `{dataset, pixels, ...more}` of a call on images: the dataset (the default when absent) and
/// the pixels as n·784 gray bytes.
function imagesRequest(opts, what, more) {
  if (typeof opts !== 'object' || opts === null) throw new Error(`${what}(opts): opts must be an object`);
  const known = ['dataset', 'pixels', ...more];
  for (const key of Object.keys(opts)) if (!known.includes(key)) throw new Error(`${what}(opts): unknown option "${key}" (known: ${known.join(', ')})`);
  const { dataset = vocab.defaults.dataset, pixels, ...rest } = opts;
  checkDataset(dataset);
  if (!pixels || typeof pixels.length !== 'number' || pixels.length === 0 || pixels.length % 784) {
    throw new Error(`pixels must be n·784 gray bytes (n 28×28 images), got ${pixels && pixels.length != null ? `${pixels.length} values` : typeof pixels}`);
  }
  return { dataset, images: pixels instanceof Uint8Array ? pixels : Uint8Array.from(pixels), ...rest };
}

function checkDataset(dataset) {
  if (!datasetOf(dataset)) throw new Error(`unknown dataset "${dataset}" (${vocab.datasets.map((d) => d.name).join(', ')})`);
}

/// The page's classifier (the scoreboard's) on n 28×28 images (`pixels`: n·784 gray bytes, n 1–64): each
/// one's class and confidence, and its features in the scoreboard's feature space.
async function scoreApi(opts = {}) {
  const { dataset, images } = imagesRequest(opts, 'score', []);
  await ready;
  const r = await classify(dataset, images);
  return { classes: Array.from(r.classes), confidences: Array.from(r.confidences), features: r.features, dim: r.dim };
}

/// For each of n 28×28 images (`pixels`: n·784 gray bytes), its `k` nearest training images in the
/// classifier's feature space: `[{neighbours: [{index, distance, pixels}], nearerThan}]`.
async function neighboursApi(opts = {}) {
  const { dataset, images, k = NEIGHBOURS } = imagesRequest(opts, 'neighbours', ['k']);
  if (!(Number.isInteger(k) && k >= 1 && k <= vocab.maxNeighbours)) throw new Error(`k must be a whole number 1–${vocab.maxNeighbours}, got ${JSON.stringify(k)}`);
  await ready;
  return neighbours(dataset, images, k);
}

/// What the engine holds now, for the soak benchmark: its workers' wasm memory, live GPU buffers, JS heap
/// and WebGPU dispatches so far, and the page's own JS heap (heaps after a collection where the browser
/// exposes `gc`; null where it does not tell).
async function usage() {
  await ready;
  const e = engine;
  const workers = await e.lock(() => e.wasm.usage());
  window.gc?.();
  return { backend: e.backend, workers: e.workers, ...workers, pageHeapBytes: performance.memory?.usedJSHeapSize ?? null };
}

function shareUrl() {
  return location.origin + location.pathname + linkQuery() + location.hash;
}

const ROUND = 100; // steps per call: the curves come back in pieces, each call well within its time limit

/// The API's `train(options)`: checks the options (a bad one rejects, naming it), trains each family
/// from scratch in its own worker, all at once, and resolves to the curves and the last measures.
async function trainHeadless(options) {
  if (typeof options !== 'object' || options === null) throw new Error('train(options): options must be an object');
  // The backend is checked where the trainers start (a bad name rejects, naming the known ones).
  const { backend = 'cpu', ...setup } = options;
  const fields = await (await firstWorker()).call('checkSetup', { fields: setup });
  const families = familiesOf(fields);
  // Workers of its own: the Train view's training (if any) goes on beside it, untouched.
  const pool = await startAll(families.length, () => TrainWorker.start());
  try {
    return await trainIn(pool, families, fields, backend);
  } finally {
    for (const w of pool) w.terminate();
  }
}

async function trainIn(pool, families, fields, backend) {
  await Promise.all(families.map((family, i) => pool[i].call('start', { backend, family, fields })));
  const started = performance.now();
  const out = await Promise.all(
    families.map(async (family, i) => {
      const loss = [];
      let progress;
      do {
        progress = await pool[i].call('advance', { steps: ROUND, from: loss.length });
        loss.push(...progress.loss);
      } while (!progress.done);
      const last = progress.measures[progress.measures.length - 1];
      return [family, { loss, modes: last.modes, highQuality: last.highQuality, distance: last.distance }];
    }),
  );
  const steps = Number(fields.steps);
  return { steps, stepsPerSecond: steps / ((performance.now() - started) / 1000), backend, families: Object.fromEntries(out) };
}

/// `window.trilemma`: the page's scripting API (the tests and the benchmark use it too).
export function installApi() {
  window.trilemma = {
    ready,
    generate: (opts) => track(generate(opts)),
    setBackend: (backend, opts) => track(setBackend(backend, opts)),
    bench: (opts) => track(bench(opts)),
    run: (opts, start) => track(runApi(opts, start)),
    interpolate: (opts) => track(interpolateApi(opts)),
    inpaint: (opts) => track(inpaintApi(opts)),
    score: (opts) => track(scoreApi(opts)),
    neighbours: (opts) => track(neighboursApi(opts)),
    train: (opts) => track(trainHeadless(opts)),
    trainState,
    usage: () => track(usage()),
    shareUrl,
    state: currentState,
    idle,
    drawGrid,
  };
}
