// trilemma's page: views, controls, share links and the `window.trilemma` scripting API. All tensor work
// happens in the wasm module (src/web/), run by engine workers (engine.js, worker.js); this file moves
// options in and bytes out, and draws them with the helpers of ui.js (loaded before it).
'use strict';

const BACKEND_NAMES = { webgpu: 'WebGPU', cpu: 'CPU' };
// Notice sources of the family panels: they go when a family switch hides their panel.
const PANEL_NOTICES = ['gan-walk', 'diffusion-walk', 'vae', 'encode', 'vae-ends', 'forward', 'inpaint', 'img2img', 'frame'];
// Errors of a WebGPU engine whose text says this mean the GPU went away: the page moves to the CPU.
const DEVICE_LOST = /\bdevice\b.{0,40}\blost\b|\blost\b.{0,40}\bdevice\b/i;

const wasmReady = new Promise((resolve) => {
  if (window.wasmBindings) resolve(window.wasmBindings);
  else addEventListener('TrunkApplicationStarted', () => resolve(window.wasmBindings), { once: true });
});

let bindings = null; // the wasm module's exports, once loaded
// The wasm module's vocabulary (src/vocabulary.rs: families, datasets, class names, option names, ranges,
// defaults, model files), read once at start: none of it is repeated here.
let vocab = null;

function datasetOf(name) {
  return vocab.datasets.find((d) => d.name === name);
}

function classNames(dataset) {
  return datasetOf(dataset).classes;
}

/// The controls take their ranges from the vocabulary; a slider with `data-span` shows only up to that
/// (a link's larger value still widens it, see setRange).
function applyVocabulary() {
  for (const [name, range] of Object.entries(vocab.ranges)) {
    const input = document.querySelector(`input[name="${name}"]`);
    if (!input) continue;
    input.min = String(range.min);
    input.max = String(Math.min(range.max, Number(input.dataset.span ?? Infinity)));
  }
  for (const [select, names] of [[f.family, vocab.families], [f.dataset, vocab.datasets.map((d) => d.name)], [f.sampler, vocab.samplers]]) {
    const missing = [...select.options].map((o) => o.value).filter((v) => !names.includes(v));
    if (missing.length) throw new Error(`the page offers ${missing.join(', ')}, which this build of the engine lacks`);
  }
  setClassOptions();
  form.classList.remove('starting');
}
let ready = null; // promise of {backend, adapter, workers}: the first engine is up
let form = null;
let f = null; // form.elements: the controls by name
let view = 'play';
let linkFrame = null; // the step the link asks the scrubber to show once the first run is done

// --- notices -----------------------------------------------------------------------------------------

const notices = new Map(); // source -> {text, details}; all of them are shown together

/// Shows (or, with no text, clears) the notice of `source`: one plain sentence, the technical `details`
/// folded away beneath it; the visitor can dismiss it.
function setNotice(source, text, details = '') {
  if (text) notices.set(source, { text, details });
  else notices.delete(source);
  showNotices();
}

function showNotices() {
  const el = $('#notice');
  // Text only (textContent): a notice never becomes HTML.
  el.replaceChildren(
    ...[...notices].map(([source, { text, details }]) =>
      h(
        'div',
        { className: 'notice-item' },
        h('span', { textContent: text }),
        details ? h('details', {}, h('summary', { textContent: 'details' }), h('pre', { textContent: details })) : '',
        h('button', { type: 'button', className: 'dismiss', textContent: '×', ariaLabel: 'dismiss this notice', onclick: () => setNotice(source, '') }),
      ),
    ),
  );
  el.hidden = notices.size === 0;
}

/// Runs fn: its error (a cancel excepted) becomes the notice of `source`, its success clears it.
async function attempt(source, label, fn) {
  try {
    const result = await fn();
    setNotice(source, '');
    return result;
  } catch (e) {
    if (!(e instanceof Cancelled)) setNotice(source, `${label}: ${errorText(e)}`);
  }
}

/// A page job started by sliders and clicks: only the latest call runs, errors become notices.
function job(source, label, fn) {
  return latestOnly((...args) => attempt(source, label, () => fn(...args)));
}

function timingText(n, ms, backend) {
  return `${n} samples in ${ms.toFixed(0)} ms on ${BACKEND_NAMES[backend]} (${(ms / n).toFixed(1)} ms per sample)`;
}

// --- weights -------------------------------------------------------------------------------------------

const modelBytes = new Map(); // "gan-mnist" -> Promise<Uint8Array>, shared by both backends
const loading = new Map(); // key -> progress text

function showLoading(key, text) {
  if (text) loading.set(key, text);
  else loading.delete(key);
  const el = $('#loading');
  el.textContent = [...loading.values()].join(' · ');
  el.hidden = loading.size === 0;
}

/// A response's body, reporting progress as it arrives.
async function readBody(response, onProgress) {
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onProgress(got, total);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

// A download that receives nothing for this long is given up (and tried again on the next use).
const STALL_MS = 20_000;

function fetchModel(key) {
  if (!modelBytes.has(key)) {
    const url = `models/${vocab.models[key]}`;
    const p = (async () => {
      showLoading(key, `loading ${key} weights…`);
      const stop = new AbortController();
      let timer = null;
      const watch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => stop.abort(new Error(`the download of ${url} stalled (nothing arrived for ${STALL_MS / 1000} s)`)), STALL_MS);
      };
      try {
        watch();
        const r = await fetch(url, { signal: stop.signal });
        if (!r.ok) throw new Error(`can't fetch ${url} (HTTP ${r.status})`);
        return await readBody(r, (got, total) => {
          watch();
          showLoading(key, total ? `loading ${key} weights ${Math.min(99, Math.floor((100 * got) / total))}%` : `loading ${key} weights ${(got / 1e6).toFixed(1)} MB`);
        });
      } finally {
        clearTimeout(timer);
        showLoading(key, '');
        offlineCopy();
      }
    })();
    p.catch(() => modelBytes.delete(key)); // a failed fetch may be retried
    modelBytes.set(key, p);
  }
  return modelBytes.get(key);
}

/// Loads a model into engine `e` once (the bytes are fetched once for all engines).
function ensureLoaded(e, key) {
  if (!e.loaded.has(key)) {
    const p = fetchModel(key)
      .then(async (bytes) => {
        const got = await e.lock(() => e.wasm.loadModel(bytes));
        // A file of another model (a mix-up on the server) is named as such, not as a missing model.
        if (got !== key) throw new Error(`models/${vocab.models[key]} holds the ${got} model`);
      })
      .catch((err) => {
        throw err instanceof EngineDied ? err : new Error(`couldn't load the ${key} weights: ${errorText(err)}`);
      });
    p.catch(() => e.loaded.delete(key));
    e.loaded.set(key, p);
  }
  return e.loaded.get(key);
}

/// The models the current view needs first: fetched at start, before anyone asks.
function neededModels() {
  const families = view === 'compare' ? vocab.families : view === 'play' ? [f.family.value] : [];
  return families.map((family) => `${family}-${f.dataset.value}`);
}

// Real test images: 100 per dataset, 784 bytes each, image i of class floor(i / 10).
const testSets = new Map();
function testImages(dataset) {
  if (!testSets.has(dataset)) {
    const url = `models/${datasetOf(dataset).picks}`;
    const p = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`can't fetch ${url} (HTTP ${r.status})`);
      const bytes = new Uint8Array(await r.arrayBuffer());
      if (bytes.length !== 100 * 784) throw new Error(`${url} has ${bytes.length} bytes, not 100 images of 784`);
      return bytes;
    });
    p.catch(() => testSets.delete(dataset));
    testSets.set(dataset, p);
  }
  return testSets.get(dataset);
}

// --- engines -----------------------------------------------------------------------------------------

const engines = new Map(); // "backend×workers" -> Promise<engine>: one each, shared by the page and the benchmark
let engine = null; // the page's engine: { backend, adapter, wasm: RemoteEngine, loaded: Map<key, Promise>, lock }

/// The browser's WebGPU adapter: its name, and whether it only emulates a GPU in software (SwiftShader and
/// the like, or what the browser marks as a fallback adapter), where these models run far slower than on
/// the CPU path (here: diffusion 38×, the GAN ~200×). Asked once: the start-up choice and the engine's
/// label share the answer.
let adapterAnswer = null;
function webgpuAdapter() {
  adapterAnswer ??= askAdapter();
  return adapterAnswer;
}

async function askAdapter() {
  try {
    const adapter = await navigator.gpu.requestAdapter();
    const info = adapter && (adapter.info || (adapter.requestAdapterInfo && (await adapter.requestAdapterInfo())));
    const text = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : '';
    const software = Boolean(adapter && (adapter.isFallbackAdapter || info?.isFallbackAdapter)) || /swiftshader|llvmpipe|lavapipe/i.test(text);
    return { name: text || 'unknown adapter', software };
  } catch (e) {
    return { name: 'unknown adapter', software: false };
  }
}

/// The backend a visit starts on: WebGPU, unless its only adapter is a software one — then the CPU path,
/// with a notice saying so (the backend menu still switches to WebGPU).
async function startingBackend() {
  if (!navigator.gpu) return { backend: 'webgpu' }; // setBackend then says that WebGPU is missing
  const { name, software } = await webgpuAdapter();
  if (!software) return { backend: 'webgpu' };
  const notice = `This browser's WebGPU adapter (${name}) emulates a GPU in software, slower than the CPU here: running on the CPU. The backend menu switches to WebGPU anyway.`;
  return { backend: 'cpu', notice };
}

// CPU workers per engine: one per core, 1–8 (setBackend and bench take another count).
let cpuWorkers = null; // set from the vocabulary's limit and navigator.hardwareConcurrency at start

function checkWorkers(workers, what) {
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= vocab.maxWorkers)) {
    throw new Error(`${what}: workers must be a whole number 1–${vocab.maxWorkers}, got ${JSON.stringify(workers)}`);
  }
  return workers;
}

/// The engine of `backend`: one WebGPU worker, or a pool of `workers` CPU workers sharing each batch.
function engineFor(backend, workers = cpuWorkers) {
  const size = backend === 'cpu' ? workers : 1;
  const key = `${backend}×${size}`;
  if (!engines.has(key)) {
    const p = (async () => {
      if (backend === 'webgpu' && !navigator.gpu) throw new Error('WebGPU is not available: this browser has no navigator.gpu');
      const wasm = await EnginePool.start(backend, size);
      wasm.onDeath = () => engines.get(key) === p && engines.delete(key); // the next call starts a new one
      const adapter = backend === 'webgpu' ? (await webgpuAdapter()).name : `wasm, SIMD, ${size} worker${size > 1 ? 's' : ''}`;
      return { backend, workers: size, adapter, wasm, loaded: new Map(), lock: makeLock() };
    })();
    p.catch(() => engines.delete(key));
    engines.set(key, p);
  }
  return engines.get(key);
}

function useEngine(e) {
  engine = e;
  f.backend.value = e.backend;
  $('#backend').textContent = `backend: ${BACKEND_NAMES[e.backend]} — ${e.adapter}`;
}

/// Switches to `backend` (the CPU path with `workers` workers, when given); WebGPU falls back to the CPU
/// with a visible notice when it can't start.
async function setBackend(backend, { workers } = {}) {
  if (backend !== 'webgpu' && backend !== 'cpu') throw new Error(`unknown backend "${backend}" (webgpu or cpu)`);
  if (workers !== undefined) cpuWorkers = checkWorkers(workers, 'setBackend');
  try {
    useEngine(await engineFor(backend));
    setNotice('backend', '');
  } catch (e) {
    if (backend !== 'webgpu') throw e;
    useEngine(await engineFor('cpu'));
    setNotice('backend', 'WebGPU is not available in this browser here, so the models run on the CPU instead (slower on large batches).', errorText(e));
  }
  return { backend: engine.backend, adapter: engine.adapter, workers: engine.workers };
}

/// Runs fn(engine) on the page's engine. When the engine's worker dies under it (a trap, out of memory)
/// it is replaced; when the GPU goes away the page moves to the CPU. Either way the page says so in a
/// notice and fn runs once more on the new engine.
async function withFallback(fn) {
  await ready;
  const e = engine;
  try {
    return await fn(e);
  } catch (err) {
    const died = err instanceof EngineDied;
    const lost = e.backend === 'webgpu' && (died || DEVICE_LOST.test(errorText(err)));
    if (err instanceof Cancelled || !(died || lost)) throw err;
    if (engine === e) {
      e.wasm.terminate(); // a lost GPU's worker too: its engine is of no further use
      useEngine(await engineFor(lost ? 'cpu' : e.backend));
      const what = lost ? 'The GPU engine stopped' : 'The engine stopped';
      setNotice('backend', `${what} and was replaced${lost ? ' by the CPU path' : ''}; the last request ran again.`, died ? err.reason : errorText(err));
    }
    return fn(engine);
  }
}

/// Runs fn(wasm engine) once `models` are loaded; resolves to {out, ms, backend}, where ms times fn
/// alone (not the wait for the weights or for other calls).
function engineCall(models, fn) {
  return withFallback(async (e) => {
    await Promise.all(models.map((key) => ensureLoaded(e, key)));
    return e.lock(async () => {
      const t0 = performance.now();
      const out = await fn(e.wasm);
      return { out, ms: performance.now() - t0, backend: e.backend };
    });
  });
}

// --- diffusion runs ----------------------------------------------------------------------------------

let runToken = null; // one diffusion run at a time: starting one cancels the one before

function beginRun() {
  if (runToken) runToken.cancel();
  runToken = makeToken();
  return runToken;
}

/// Frees a run's GPU memory, once (a dead device's errors are of no interest here).
function freeRun(live) {
  return live.engine.lock(async () => {
    if (live.freed) return;
    live.freed = true;
    try {
      await live.run.free();
    } catch (e) {
      // already gone with its device or its worker
    }
  });
}

/// Starts a diffusion run and steps it to the end, one step per task so the page stays responsive;
/// onStep(live) sees every step. Resolves to the finished run
/// `live = {engine, run, len, position, opts, start, images, ms}` (ms: from the start of the run to its
/// images, the loading of weights not included); the caller frees it.
function stepRun(opts, start, token, onStep) {
  return withFallback(async (e) => {
    await ensureLoaded(e, `diffusion-${opts.dataset}`);
    token.check();
    const t0 = performance.now();
    const run = await e.lock(() => e.wasm.startRun(opts, start));
    const live = { engine: e, run, len: run.len, position: 0, done: false, opts, start, freed: false };
    try {
      onStep(live);
      while (!live.done) {
        token.check();
        const taken = await e.lock(async () => {
          const k = await run.step(1);
          live.position = run.position;
          live.done = run.done || k === 0;
          return k;
        });
        if (taken) onStep(live);
      }
      token.check();
      live.images = await e.lock(() => run.images());
      live.ms = performance.now() - t0;
      return live;
    } catch (err) {
      freeRun(live);
      throw err;
    }
  });
}

/// A diffusion run on the page: progress, cancel, and the step scrubber over x_t and the predicted x̂0.
/// The last finished run stays scrubbable until the next one finishes; a cancelled run leaves it shown.
/// `onPreview(images)`, if given, sees each preview of the run in progress (x̂0, or the noise at its start).
class Player {
  constructor(slot, prefix, { what, onResult, onPreview }) {
    slot.append(fromTemplate('player-template', prefix));
    this.slot = slot;
    slot.hidden = true; // until its first run
    const part = (id) => $(`#${prefix}${id}`);
    this.progress = part('progress');
    this.cancelButton = part('cancel');
    this.status = part('status');
    this.scrubber = part('scrubber');
    this.info = part('frame-info');
    this.xt = part('xt');
    this.x0 = part('x0');
    this.onResult = onResult;
    this.onPreview = onPreview;
    this.shown = null; // the last finished run
    this.active = null; // the run in progress
    this.token = null;
    this.follow = true; // the scrubber follows the newest step until moved back
    this.lastPreview = 0;
    addDownload(this.xt, () => fileName(`${what}-xt-step${this.scrubber.value}`, 'diffusion'));
    addDownload(this.x0, () => fileName(`${what}-x0-step${this.scrubber.value}`, 'diffusion'));
    this.cancelButton.addEventListener('click', () => this.token && this.token.cancel());
    this.scrubber.addEventListener('input', () => {
      this.follow = Number(this.scrubber.value) >= Number(this.scrubber.max);
      this.showFrame(Number(this.scrubber.value));
      syncLink();
    });
    this.drawFrame = latestOnly(async (live, i) => {
      if (live.engine.wasm.dead && live !== this.active) await this.rerecord(live);
      const frame = await live.engine.lock(() => (live.freed ? null : live.run.frame(i)));
      if (!frame || live !== this.source) return; // a stale answer: another run is shown now
      const images = (pixels) => ({ n: frame.n, width: frame.width, height: frame.height, pixels });
      drawGrid(this.xt, images(frame.xt), { fit: 300 });
      drawGrid(this.x0, images(frame.x0 || new Uint8Array(frame.n * frame.width * frame.height)), { fit: 300 });
      this.info.value = `${frame.index} of ${live.len} · t = ${frame.t}${frame.x0 ? '' : ' (pure noise: no x̂0 yet)'}`;
      if (live === this.active && this.onPreview) this.onPreview(images(frame.x0 || frame.xt));
    });
  }

  get source() {
    return this.active || this.shown;
  }

  /// A finished run whose engine died since: recorded once more on the new engine (same options and
  /// start, so the same frames), so the scrubber keeps working.
  async rerecord(live) {
    this.status.textContent = 'the engine restarted: recording the run again…';
    const again = await stepRun(live.opts, live.start, makeToken(), () => {});
    Object.assign(live, { engine: again.engine, run: again.run, freed: false });
    if (live === this.shown) this.status.textContent = `done: ${live.len} steps (recorded again)`;
  }

  /// Runs to the end; resolves to {n, width, height, pixels, frames} (frames = steps + 1).
  async start(opts, start) {
    const token = beginRun();
    this.token = token;
    this.follow = true;
    this.slot.hidden = false;
    this.cancelButton.disabled = false;
    this.status.textContent = 'starting…';
    try {
      const live = await stepRun(opts, start, token, (l) => token === this.token && this.stepped(l));
      if (token.cancelled) {
        freeRun(live);
        throw new Cancelled();
      }
      if (this.shown) freeRun(this.shown);
      this.shown = live;
      this.active = null;
      this.status.textContent = `done: ${live.len} steps in ${(live.ms / 1000).toFixed(1)} s`;
      this.setScrubber(live.len, live.len);
      this.onResult(live);
      const { n, width, height, pixels } = live.images;
      return { n, width, height, pixels, frames: live.len + 1 };
    } catch (e) {
      if (token === this.token) {
        this.active = null;
        this.status.textContent = e instanceof Cancelled ? 'cancelled' : 'failed';
        this.back();
      }
      throw e;
    } finally {
      if (token === this.token) this.cancelButton.disabled = true;
    }
  }

  stepped(live) {
    if (this.active !== live) adoptRunOptions(live.opts); // the run started: the controls show its options
    this.active = live;
    this.progress.max = live.len;
    this.progress.value = live.position;
    this.status.textContent = `step ${live.position} of ${live.len}`;
    this.scrubber.disabled = false;
    this.scrubber.max = live.position;
    if (this.follow) {
      this.scrubber.value = live.position;
      // At most 5 previews a second: each reads images back and would slow the run.
      const now = performance.now();
      if (now - this.lastPreview > 200) {
        this.lastPreview = now;
        this.showFrame(live.position);
      }
    }
  }

  /// Shows the last finished run again (after a cancel or a failure).
  back() {
    this.progress.value = 0;
    if (this.shown) return this.setScrubber(this.shown.len, this.shown.len);
    this.scrubber.disabled = true;
    this.scrubber.max = this.scrubber.value = 0;
    this.info.value = '';
    clearCanvas(this.xt);
    clearCanvas(this.x0);
  }

  setScrubber(max, value) {
    this.scrubber.disabled = false;
    this.scrubber.max = max;
    this.scrubber.value = value;
    this.follow = value >= max;
    this.showFrame(value);
  }

  scrubTo(i) {
    if (this.source) this.setScrubber(Number(this.scrubber.max), Math.max(0, Math.min(i, Number(this.scrubber.max))));
  }

  showFrame(i) {
    if (!this.source) return;
    this.drawFrame(this.source, i).catch((e) => setNotice('frame', `Couldn't show step ${i}: ${errorText(e)}`));
  }

  /// The scrubber's step for the share link: only for a finished run from noise with exactly `opts`,
  /// and null at the last step (the finished samples).
  frameFor(opts) {
    const s = this.shown;
    if (!s || this.active || (s.start && s.start.kind !== 'noise')) return null;
    if (['dataset', 'class', 'seed', 'n', 'sampler', 'steps', 'eta', 'guidance'].some((k) => String(s.opts[k]) !== String(opts[k]))) return null;
    const value = Number(this.scrubber.value);
    return value < s.len ? value : null;
  }
}

// --- controls, state and share links ---------------------------------------------------------------

function classValue(value) {
  return value === 'none' ? 'none' : Number(value);
}

/// The generate options of the controls for `family` (its own knobs only).
function optionsFor(family) {
  const o = { family, dataset: f.dataset.value, class: classValue(f.class.value), seed: f.seed.valueAsNumber, n: f.n.valueAsNumber };
  if (family === 'gan') o.truncation = Number(f.truncation.value);
  if (family === 'vae') o.temperature = Number(f.temperature.value);
  if (family === 'diffusion') {
    Object.assign(o, { sampler: f.sampler.value, steps: Number(f.steps.value), eta: Number(f.eta.value), guidance: Number(f.guidance.value) });
  }
  return o;
}

/// The page's state under the share link's names.
function currentState() {
  const o = { ...optionsFor('diffusion'), truncation: Number(f.truncation.value), temperature: Number(f.temperature.value) };
  const frame = f.family.value !== 'diffusion' ? null : linkFrame ?? (mainPlayer ? mainPlayer.frameFor(o) : null);
  return { view, ...o, family: f.family.value, frame, t: Number($('#forward-t').value), strength: Number($('#strength').value) };
}

/// Sets the controls from a (partial) state.
function applyState(s) {
  if ('dataset' in s && s.dataset !== f.dataset.value) {
    f.dataset.value = s.dataset;
    setClassOptions();
  }
  for (const name of ['family', 'sampler']) if (name in s) f[name].value = s[name];
  if ('class' in s) f.class.value = String(s.class);
  for (const name of ['seed', 'n']) if (name in s) f[name].value = String(s[name]);
  for (const name of ['truncation', 'temperature', 'steps', 'eta', 'guidance']) if (name in s) setRange(f[name], s[name]);
  if ('t' in s) setRange($('#forward-t'), s.t);
  if ('strength' in s) setRange($('#strength'), s.strength);
  if ('view' in s) setView(s.view);
  syncControls();
}

/// The query of a link to the page: its state, and the speed result it shows from a link, if any.
function linkQuery() {
  return bindings.encodeLink(currentState()) + (sharedSpeed ? `&${bindings.encodeSpeedLink(sharedSpeed)}` : '');
}

/// Writes the current state into the address bar.
function syncLink() {
  if (!bindings) return;
  try {
    history.replaceState(history.state, '', location.pathname + linkQuery() + location.hash);
  } catch (e) {
    // A half-typed number: the link catches up once the state is valid again.
  }
}

function setClassOptions() {
  const keep = f.class.value;
  const names = classNames(f.dataset.value);
  const label = (name, i) => (name === String(i) ? name : `${i}: ${name}`);
  f.class.replaceChildren(new Option('none (unconditional)', 'none'), ...names.map((name, i) => new Option(label(name, i), String(i))));
  f.class.value = keep;
}

/// Shows what the view and family need, and moves the drawing pad to the visible family's panel.
function syncControls() {
  const family = f.family.value;
  for (const fs of form.querySelectorAll('fieldset[data-family]')) {
    fs.hidden = view === 'speed' || (view === 'play' && fs.dataset.family !== family);
  }
  for (const el of form.querySelectorAll('[data-hide-in]')) el.hidden = el.dataset.hideIn.split(' ').includes(view);
  for (const panel of document.querySelectorAll('.panel[data-family]')) panel.hidden = panel.dataset.family !== family;
  f.steps.disabled = f.sampler.value === 'ddpm';
  f.eta.disabled = f.sampler.value !== 'ddim'; // DDPM is η = 1, DPM-Solver++ deterministic
  const generate = $('#generate');
  generate.hidden = view === 'speed';
  generate.textContent = view === 'compare' ? 'Compare' : 'Generate';
  const slot = $(`[data-pad-slot="${family}"]`);
  if (slot && !slot.contains($('#pad'))) slot.append($('#pad'));
}

function setView(name) {
  view = name;
  for (const tab of document.querySelectorAll('[role=tab]')) tab.setAttribute('aria-selected', String(tab.dataset.view === name));
  for (const v of vocab.views) $(`#view-${v}`).hidden = v !== name;
  syncControls();
}

// Diffusion work a view starts by itself, in UNet passes (samples × steps × 2 with guidance): above this
// (≈ 8× the default grid) it waits for a click, so a link cannot set a phone denoising for minutes.
const AUTO_PASSES = 5000;

/// Whether a view may start this diffusion work itself (its cost as the engine counts it); if not, it
/// says what pressing the button costs.
function mayStart(o, button) {
  const cost = bindings.runCost(o);
  if (cost.passes <= AUTO_PASSES) return true;
  setNotice('work', `These settings ask for ${cost.passes.toLocaleString('en')} UNet passes (${cost.samples} samples × ${cost.steps} steps${cost.guided ? ' × 2 for guidance' : ''}), minutes on a phone: press ${button} to run them.`);
  return false;
}

/// What a view shows when it opens.
function enterView() {
  if (view === 'play') {
    if (!gridResult && (f.family.value !== 'diffusion' || mayStart(optionsFor('diffusion'), 'Generate'))) generatePage();
    refreshTools();
  } else if (view === 'compare') {
    showScoreboard();
    if (compareKey !== compareSettings() && mayStart(optionsFor('diffusion'), 'Compare')) track(attempt('compare', "Couldn't compare", runCompare));
  } else {
    drawSpeedChart();
  }
}

/// The main action of the view: the Generate (or Compare) button.
function act() {
  setNotice('work', ''); // a click runs whatever it costs
  if (view === 'play') generatePage();
  else if (view === 'compare') track(attempt('compare', "Couldn't compare", runCompare));
}

function onControl(name) {
  linkFrame = null;
  if (name === 'dataset') {
    setClassOptions();
    clearVaeEndpoints();
  }
  if (name === 'family') PANEL_NOTICES.forEach((source) => setNotice(source, ''));
  syncControls();
  syncLink();
  if (name === 'backend') {
    track(attempt('backend', "Couldn't switch the backend", () => setBackend(f.backend.value)).then(act));
    return;
  }
  if (view === 'compare' && name === 'dataset') showScoreboard();
  if (view !== 'play') return;
  const family = f.family.value;
  if (name === 'family' || family !== 'diffusion') generatePage(); // GAN and VAE are quick: follow every change
  else if (gridResult) $('#timing').textContent = 'Settings changed: press Generate.';
  if (['family', 'dataset', 'class', 'seed'].includes(name)) refreshTools();
}

/// The controls take the options of a diffusion run that started (from a button or the scripting API).
function adoptRunOptions(opts) {
  const key = () => ['family', 'dataset', 'class', 'seed'].map((k) => f[k].value).join();
  const before = key();
  applyState({ ...opts, family: 'diffusion' });
  if (key() !== before) refreshTools();
  syncLink();
}

function fileName(what, family = f.family.value) {
  return `trilemma-${what}-${family}-${f.dataset.value}-seed${f.seed.value}.png`;
}

// --- play: the grid ----------------------------------------------------------------------------------

let gridSeq = 0; // which generation owns #grid: older answers are dropped
let gridResult = null; // {opts, out} that #grid shows
let mainPlayer = null;

const gridJob = job('generate', "Couldn't generate", async (opts, seq) => {
  const { out, ms, backend } = await engineCall([`${opts.family}-${opts.dataset}`], (w) => w.generate(opts));
  if (seq !== gridSeq) return;
  showGrid(opts, out);
  $('#timing').textContent = timingText(out.n, ms, backend);
  syncLink();
  if (opts.family === 'gan') track(attempt('reference', "Couldn't score the real images", () => showRealReference(opts, seq)));
});

// What real images score: the discriminator's D of the shipped real test images of the grid's dataset and
// class (all 100 for a grid without a class), as the range a sample's D is read against.
const realScores = new Map(); // "dataset/class" -> Promise<sorted scores>

function realScoresOf(dataset, cls) {
  const key = `${dataset}/${cls}`;
  if (!realScores.has(key)) {
    const p = (async () => {
      const all = await testImages(dataset);
      const images = cls === 'none' ? all : all.subarray(cls * 7840, (cls + 1) * 7840); // image i has class i / 10
      const scores = [];
      const most = vocab.ranges.n.max * 784; // as many images as one request may hold
      for (let at = 0; at < images.length; at += most) {
        const part = images.slice(at, at + most);
        const { out } = await engineCall([`gan-${dataset}`], (w) => w.score({ dataset, class: cls, images: part }));
        scores.push(...out.scores);
      }
      return scores.sort((a, b) => a - b);
    })();
    p.catch(() => realScores.delete(key));
    realScores.set(key, p);
  }
  return realScores.get(key);
}

async function showRealReference(opts, seq) {
  const el = $('#d-reference');
  const s = await realScoresOf(opts.dataset, opts.class);
  if (seq !== gridSeq) return;
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))].toFixed(2);
  const what = opts.class === 'none' ? 'the 100 real test images' : `the 10 real test images of class ${opts.class}`;
  el.textContent = `D of ${what}: median ${q(0.5)}, middle half ${q(0.25)}–${q(0.75)}, range ${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)}.`;
  el.hidden = false;
}

async function startMain(opts, start) {
  gridSeq++;
  const timing = $('#timing');
  const before = timing.textContent;
  timing.textContent = 'denoising… (the steps are below)';
  try {
    return await mainPlayer.start(opts, start);
  } catch (e) {
    timing.textContent = before; // the grid goes back to the samples it showed
    if (gridResult) redrawGrid();
    else clearCanvas($('#grid'));
    throw e;
  }
}

/// Generates what the controls describe into #grid.
function generatePage() {
  const opts = optionsFor(f.family.value);
  if (opts.family === 'diffusion') return track(attempt('generate', "Couldn't generate", () => startMain(opts, { kind: 'noise' })));
  if (runToken) runToken.cancel(); // a diffusion run would draw over these samples
  if (!gridResult || gridResult.opts.family !== opts.family) $('#timing').textContent = 'generating…';
  return gridJob(opts, ++gridSeq);
}

function showGrid(opts, out) {
  gridResult = { opts, out };
  $('#d-reference').hidden = true; // until the reference of these samples' dataset and class is in
  walk.a = walk.b = null;
  vae.selected = null;
  for (const id of [...WALKS.flatMap((w) => [`#${w}-a`, `#${w}-b`]), '#vae-sample']) {
    $(id).value = '';
    $(id).max = String(out.n);
  }
  for (const w of WALKS) clearCanvas($(`#${w}-interp`));
  clearCanvas($('#vae-edit'));
  $('#vae-latents').replaceChildren();
  $('#vae-reset').disabled = true;
  $('#inpaint-use-grid').disabled = false;
  redrawGrid();
}

function redrawGrid() {
  const { opts, out } = gridResult;
  const marks = new Map();
  if (walk.a != null) marks.set(walk.a, { color: '#ffb000', text: 'A' });
  if (walk.b != null) marks.set(walk.b, { color: '#00c8ff', text: 'B' });
  if (vae.selected != null) marks.set(vae.selected, { color: '#ffb000', text: '✎' });
  const labels = out.scores && scoreLabels(out.scores);
  drawGrid($('#grid'), out, { labels, marks });
  $('#grid').setAttribute('aria-label', `${out.n} ${opts.family} samples`);
}

function scoreLabels(scores) {
  return Array.from(scores, (s) => `D ${s.toFixed(2)}`);
}

/// The latent code of grid sample i (GAN and VAE grids carry them; a diffusion grid its starting noise).
function latentOf(i) {
  const { out } = gridResult;
  if (!out.latents) throw new Error('these samples came without latent codes');
  const size = out.latent || out.latents.length / out.n;
  return out.latents.slice(i * size, (i + 1) * size);
}

/// A grid index typed into a "sample #" input, or null.
function typedIndex(input) {
  const i = input.valueAsNumber - 1;
  return gridResult && Number.isInteger(i) && i >= 0 && i < gridResult.out.n ? i : null;
}

function selectSample(i) {
  if (!gridResult) return;
  if (WALKS.includes(gridResult.opts.family)) {
    if (walk.a == null || walk.b != null) [walk.a, walk.b] = [i, null];
    else walk.b = i;
    updateWalk();
  }
  if (gridResult.opts.family === 'vae') selectVae(i);
}

/// `frames` images between two latent codes, drawn as a strip (with D for the GAN). `opts`: the request the
/// codes came from (a diffusion walk runs its sampler from every code).
async function interpolateInto(canvas, opts, from, to, stillWanted) {
  const { out } = await engineCall([`${opts.family}-${opts.dataset}`], (w) => w.interpolate({ ...opts, from, to, frames: 8 }));
  if (stillWanted()) drawGrid(canvas, out, { cols: 8, fit: 640, labels: out.scores && scoreLabels(out.scores) });
}

// --- play: latent walks (GAN codes, diffusion starting noise) ------------------------------------------

const WALKS = ['gan', 'diffusion']; // the families whose grid has a walk between two samples
const walk = { a: null, b: null }; // the two selected grid samples

// Each family's walk reports in its own panel.
const walkJobs = Object.fromEntries(
  WALKS.map((family) => [
    family,
    job(`${family}-walk`, "Couldn't interpolate", (seq, a, b) =>
      interpolateInto($(`#${family}-interp`), gridResult.opts, latentOf(a), latentOf(b), () => seq === gridSeq),
    ),
  ]),
);

function updateWalk() {
  const family = gridResult.opts.family;
  $(`#${family}-a`).value = walk.a == null ? '' : String(walk.a + 1);
  $(`#${family}-b`).value = walk.b == null ? '' : String(walk.b + 1);
  redrawGrid();
  if (walk.a != null && walk.b != null) walkJobs[family](gridSeq, walk.a, walk.b);
  else clearCanvas($(`#${family}-interp`));
}

// --- play: VAE -----------------------------------------------------------------------------------------

const vae = { selected: null, code: null, original: null }; // the grid sample being edited
let vaeSource = 'picker'; // what the encoder reads: 'picker' or 'drawing'
let encoding = null; // {mu, sigma, what} of the last encoded image
const vaeEnds = { a: null, b: null }; // encodings chosen as the ends of the interpolation
let pad = null;
let vaePicker = null;

function selectVae(i) {
  vae.selected = i;
  $('#vae-sample').value = String(i + 1);
  vae.original = latentOf(i);
  vae.code = vae.original.slice();
  buildLatentSliders(vae.code.length);
  showCode();
  const { out } = gridResult;
  const size = out.width * out.height;
  drawGrid($('#vae-edit'), { n: 1, width: out.width, height: out.height, pixels: out.pixels.subarray(i * size, (i + 1) * size) }, { fit: 224 });
  $('#vae-reset').disabled = false;
  redrawGrid();
}

function buildLatentSliders(count) {
  const box = $('#vae-latents');
  if (box.children.length === count) return;
  box.replaceChildren(
    ...Array.from({ length: count }, (_, d) => {
      const input = h('input', { type: 'range', min: '-3', max: '3', step: '0.05' });
      const label = h('label', {}, `z${d + 1}`, input, h('output'));
      bindRange(input, {
        format: (v) => v.toFixed(2),
        onInput: (v) => {
          vae.code[d] = v;
          decodeEdit(gridSeq);
        },
      });
      return label;
    }),
  );
}

/// Puts the code on the sliders; the outputs show the exact values (a slider shows at most ±3).
function showCode() {
  $('#vae-latents')
    .querySelectorAll('input')
    .forEach((input, d) => {
      input.value = String(vae.code[d]);
      input.nextElementSibling.value = vae.code[d].toFixed(2);
    });
}

const decodeEdit = job('vae', "Couldn't decode", async (seq) => {
  const { opts } = gridResult;
  const latents = vae.code.slice();
  const { out } = await engineCall([`vae-${opts.dataset}`], (w) => w.decode({ family: 'vae', dataset: opts.dataset, class: opts.class, latents }));
  if (seq === gridSeq) drawGrid($('#vae-edit'), out, { fit: 224 });
});

/// Encodes the drawing or the picked test image, whichever was touched last.
function encodeCurrent() {
  if (view !== 'play' || f.family.value !== 'vae') return;
  const image = vaeSource === 'drawing' ? pad.bytes() : vaePicker.image();
  if (image) encodeJob(image, vaeSource === 'drawing' ? 'your drawing' : vaePicker.describe());
}

const encodeJob = job('encode', "Couldn't encode", async (image, what) => {
  const dataset = f.dataset.value;
  const cls = classValue(f.class.value);
  const { out } = await engineCall([`vae-${dataset}`], (w) => w.encode({ dataset, class: cls, image }));
  encoding = { mu: out.mu, sigma: out.sigma, what };
  $('#vae-source').textContent = `encoded: ${what}${cls === 'none' ? '' : `, as class ${cls}`}`;
  drawGrid($('#vae-recon'), out, { fit: 168 });
  const dims = Array.from(out.mu, (_, d) => d + 1);
  drawColumns($('#vae-musigma'), Array.from(out.mu), { min: -3, max: 3, whiskers: Array.from(out.sigma), labels: dims, width: Math.max(200, 20 * dims.length + 8), height: 140 });
  const row = (cells, tag = 'td') => h('tr', {}, ...cells.map((c) => h(tag, { textContent: c })));
  $('#vae-musigma-table').replaceChildren(
    h('thead', {}, row(['dimension', 'μ', 'σ'], 'th')),
    h('tbody', {}, ...dims.map((d) => row([`z${d}`, out.mu[d - 1].toFixed(3), out.sigma[d - 1].toFixed(3)]))),
  );
  $('#vae-set-a').disabled = $('#vae-set-b').disabled = false;
});

const vaeInterpolation = job('vae-ends', "Couldn't interpolate", (dataset) =>
  interpolateInto($('#vae-interp'), { family: 'vae', dataset, class: classValue(f.class.value) }, vaeEnds.a.mu, vaeEnds.b.mu, () => vaeEnds.a && vaeEnds.b),
);

function setVaeEnd(which) {
  vaeEnds[which] = { mu: encoding.mu.slice(), what: encoding.what };
  showVaeEnds();
  if (vaeEnds.a && vaeEnds.b) vaeInterpolation(f.dataset.value);
}

function clearVaeEndpoints() {
  vaeEnds.a = vaeEnds.b = null;
  showVaeEnds();
  clearCanvas($('#vae-interp'));
}

function showVaeEnds() {
  $('#vae-ab').textContent = `A: ${vaeEnds.a ? vaeEnds.a.what : '—'} · B: ${vaeEnds.b ? vaeEnds.b.what : '—'}`;
}

// --- play: diffusion tools -----------------------------------------------------------------------------

let forwardPicker = null;
let inpaintPicker = null;
let inpaintPlayer = null;
let img2imgPlayer = null;
let mask = null;
let inpaintBase = null; // {bytes, from: 'picker' | 'grid' | 'api'}: the image under the mask

const forwardJob = job('forward', "Couldn't noise the image", async () => {
  const image = forwardPicker.image();
  if (!image) return;
  const t = Number($('#forward-t').value);
  const { out } = await engineCall([], (w) => w.noise({ image, t, seed: f.seed.valueAsNumber }));
  drawGrid($('#forward'), out, { fit: 224 });
});

function setInpaintBase(bytes, from) {
  inpaintBase = { bytes, from };
  drawGrid($('#inpaint-image'), { n: 1, width: 28, height: 28, pixels: bytes }, { zoom: 1, gap: 0 });
}

/// Re-runs the visible panel's tools that depend on the dataset, the class, the seed or a picker.
function refreshTools() {
  if (view !== 'play') return;
  const family = f.family.value;
  const dataset = f.dataset.value;
  const cls = classValue(f.class.value);
  if (family === 'vae') {
    track(vaePicker.show(dataset, cls)); // tracked: idle() waits for the test images too
    encodeCurrent();
  }
  if (family === 'diffusion') {
    track(forwardPicker.show(dataset, cls));
    track(inpaintPicker.show(dataset, cls));
  }
}

// --- compare -------------------------------------------------------------------------------------------

let compareKey = null; // the settings the compare canvases show
let scoreboard = null; // promise of models/scoreboard.json

function compareSettings() {
  return JSON.stringify(vocab.families.map(optionsFor));
}

async function runCompare() {
  const token = beginRun();
  compareKey = compareSettings();
  const progress = $('#compare-progress');
  const cancel = $('#compare-cancel');
  cancel.disabled = false;
  cancel.onclick = () => token.cancel();
  try {
    for (const family of vocab.families) {
      const opts = optionsFor(family);
      const time = $(`#compare-${family}-time`);
      time.textContent = 'generating…';
      let images, ms, backend;
      if (family === 'diffusion') {
        progress.hidden = false;
        const live = await stepRun(opts, { kind: 'noise' }, token, (l) => {
          progress.max = l.len;
          progress.value = l.position;
          time.textContent = `step ${l.position} of ${l.len}`;
        });
        [images, ms, backend] = [live.images, live.ms, live.engine.backend];
        freeRun(live);
      } else {
        ({ out: images, ms, backend } = await engineCall([`${family}-${opts.dataset}`], (w) => w.generate(opts)));
      }
      token.check();
      drawGrid($(`#compare-${family}`), images, { fit: 250 });
      time.textContent = timingText(images.n, ms, backend);
    }
  } catch (e) {
    compareKey = null;
    for (const family of vocab.families) {
      const time = $(`#compare-${family}-time`);
      if (!time.textContent.includes('samples in')) time.textContent = e instanceof Cancelled ? 'cancelled' : 'failed';
    }
    throw e;
  } finally {
    progress.hidden = true;
    cancel.disabled = true;
  }
}

function loadScoreboard() {
  if (!scoreboard) {
    scoreboard = fetch('models/scoreboard.json').then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.json();
    });
    scoreboard.catch(() => (scoreboard = null)); // try again next time
  }
  return scoreboard;
}

// The models/scoreboard.json schema this page reads (src/eval/scoreboard.rs documents it).
const SCOREBOARD_SCHEMA = 2;

function showScoreboard() {
  return track(attempt('scoreboard', "Couldn't show the scoreboard", renderScoreboard));
}

async function renderScoreboard() {
  const dataset = f.dataset.value;
  const status = $('#scoreboard-status');
  $('#scoreboard-dataset').textContent = datasetOf(dataset).title;
  let data, board;
  try {
    data = await loadScoreboard();
    if (data.schema !== SCOREBOARD_SCHEMA) throw new Error(`schema ${data.schema} (this page reads ${SCOREBOARD_SCHEMA})`);
    board = data.datasets.find((b) => b.dataset === dataset);
    if (!board) throw new Error(`it has no rows for ${dataset}`);
  } catch (e) {
    status.textContent = `Couldn't load the scoreboard (models/scoreboard.json): ${errorText(e)}`;
    $('#scoreboard-table').replaceChildren();
    $('#histograms').replaceChildren();
    return;
  }
  if (dataset !== f.dataset.value) return; // the dataset changed while loading
  const accuracy = board.classifier.test_accuracy;
  status.textContent = `${board.test_images} test images; features of ${board.classifier.file}${accuracy ? ` (${(100 * accuracy).toFixed(2)}% test accuracy)` : ''}.`;
  $('#scoreboard-space').textContent = `Feature space: ${data.feature_space}`;
  const fixed = (digits) => (v) => (v == null ? '' : v.toFixed(digits));
  const columns = [
    ['row', (r) => r.label],
    ['n', (r) => (r.unconditional && r.unconditional.n !== r.conditional.n ? `${r.conditional.n} (uncond. ${r.unconditional.n})` : String(r.conditional.n))],
    // No-break spaces keep "2.08 ± 0.06" on one line.
    ['FID ± SE ↓', (r) => `${fixed(2)(r.conditional.fid)}\u00a0±\u00a0${fixed(2)(r.conditional.fid_se)}`],
    ['precision ↑', (r) => fixed(3)(r.conditional.precision)],
    ['recall ↑', (r) => fixed(3)(r.conditional.recall)],
    ['class accuracy ↑', (r) => fixed(3)(r.conditional.accuracy)],
    ['uncond. classes ≥ 5%', (r) => (r.unconditional ? String(r.unconditional.classes_covered) : '')],
    ['ms / sample', (r) => fixed(2)(r.speed && r.speed.ms_per_sample)],
  ];
  $('#scoreboard-table').replaceChildren(
    h('thead', {}, h('tr', {}, ...columns.map(([name]) => h('th', { textContent: name, scope: 'col' })))),
    h(
      'tbody',
      {},
      ...board.rows.map((r) => {
        const tr = h('tr', {}, ...columns.map(([, cell]) => h('td', { textContent: cell(r) })));
        tr.dataset.model = r.model;
        return tr;
      }),
    ),
  );
  // The models' histograms and the real images' for reference, on one scale so heights compare.
  const rows = board.rows.filter((r) => r.unconditional && (r.model !== 'reference' || r.id === 'train'));
  const max = Math.max(0.2, ...rows.flatMap((r) => r.unconditional.histogram));
  const names = classNames(dataset);
  $('#histogram-classes').textContent = names.every((name, i) => name === String(i)) ? 'classes: the digits 0–9' : `classes: ${names.map((name, i) => `${i} ${name}`).join(' · ')}`;
  $('#histograms').replaceChildren(
    ...rows.map((r) => {
      const canvas = h('canvas', { className: 'chart' });
      canvas.setAttribute('aria-label', `class shares of ${r.label}: ${r.unconditional.histogram.map((v) => `${Math.round(100 * v)}%`).join(', ')}`);
      drawColumns(canvas, r.unconditional.histogram, { max, labels: names.map((_, i) => i), reference: 0.1, width: 220, height: 90, color: cssColor(r.model === 'reference' ? '--muted' : `--${r.model}`) });
      return h('figure', {}, canvas, h('figcaption', { textContent: `${r.label}: ${r.unconditional.classes_covered} classes ≥ 5%` }));
    }),
  );
}

// --- speed ---------------------------------------------------------------------------------------------

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
  if ('backend' in o && !(o.backend in BACKEND_NAMES)) fail(`backend must be webgpu or cpu, got ${JSON.stringify(o.backend)}`);
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

function median(values) {
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
      if (runToken) runToken.cancel(); // a diffusion run stepping beside the benchmark would skew it
      status.textContent = `starting ${BACKEND_NAMES[backend]}…`;
      const e = await engineFor(backend, workers);
      const result = { backend: e.backend, adapter: e.adapter, workers: e.workers, rows: [] };
      for (const item of plan) {
        status.textContent = `${BACKEND_NAMES[e.backend]}: loading ${item.family}-${dataset}…`;
        await ensureLoaded(e, `${item.family}-${dataset}`);
        // scores: false: the GAN row times the generator alone, not the discriminator's score beside it.
        const opts = { family: item.family, dataset, n: item.batch, seed: 0, scores: false, ...item.knobs };
        const times = [];
        // WebGPU compute dispatches of the last call (asked of the worker beside the timing, not in it).
        const gpu = e.backend === 'webgpu';
        let dispatches;
        for (let r = 0; r <= repeats; r++) {
          status.textContent = `${BACKEND_NAMES[e.backend]}: ${item.family} ${item.config} ×${item.batch}, ${r === 0 ? 'warm-up' : `run ${r} of ${repeats}`}`;
          times.push(
            await e.lock(async () => {
              const before = gpu && (await e.wasm.dispatches());
              const t0 = performance.now();
              await e.wasm.generate(opts);
              const ms = performance.now() - t0;
              if (gpu) dispatches = (await e.wasm.dispatches()) - before;
              return ms;
            }),
          );
          progress.value += 1;
          await nextTask();
        }
        const msPerSample = median(times.slice(1)) / item.batch;
        const row = { family: item.family, config: item.config, batch: item.batch, msPerSample, samplesPerSecond: 1000 / msPerSample, dispatches };
        result.rows.push(row);
        addSpeedRow({ ...row, backend: e.backend, adapter: e.adapter, workers: e.workers, dataset });
      }
      status.textContent = `done: ${result.rows.length} rows on ${BACKEND_NAMES[e.backend]} (${e.adapter})`;
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
async function bench(opts = {}) {
  checkBenchOptions(opts);
  await ready;
  const o = { ...benchDefaults(), backend: engine.backend, workers: cpuWorkers, ...opts };
  return runBench(benchPlan(o), o);
}

function addSpeedRow(row) {
  speedRows.push(row);
  const where = `${row.shared ? 'shared: ' : ''}${BACKEND_NAMES[row.backend]} (${row.adapter})`;
  const cells = [where, row.dataset, row.family, row.config, String(row.batch), row.msPerSample.toFixed(2), (1000 / row.msPerSample).toFixed(1)];
  $('#speed-table tbody').append(h('tr', { className: row.shared ? 'shared' : '' }, ...cells.map((c) => h('td', { textContent: c }))));
  drawSpeedChart();
}

// --- speed: results shared by link -------------------------------------------------------------------

let ownSpeed = null; // the newest result timed here: {backend, workers, adapter, dataset, rows}
let sharedSpeed = null; // a result a link shared (checked by the wasm link codec), shown beside

/// Shows a shared result's rows in the Speed view's table and chart, marked as shared.
function showSharedSpeed(speed) {
  sharedSpeed = speed;
  for (const row of speed.rows) addSpeedRow({ ...row, backend: speed.backend, adapter: speed.adapter, workers: speed.workers, dataset: speed.dataset, shared: true });
}

/// The link to the newest own result, copied (or shown selected where there is no clipboard).
async function shareSpeed() {
  const url = `${location.origin}${location.pathname}?view=speed&${bindings.encodeSpeedLink(ownSpeed)}`;
  const copied = await copyText(url, $('#bench-share-link'));
  $('#bench-share-status').textContent = copied ? 'link copied: open it anywhere to compare' : 'copy the link (Ctrl+C / ⌘C)';
}

function drawSpeedChart() {
  const rows = speedRows.map((r) => ({ label: `${r.shared ? 'shared · ' : ''}${r.family} ${r.config} ×${r.batch} · ${BACKEND_NAMES[r.backend]}`, value: r.msPerSample, color: cssColor(`--${r.family}`) }));
  drawLogBars($('#speed-chart'), rows, { width: Math.min(760, $('#view-speed').clientWidth || 720), unit: ' ms' });
}

function setUpSpeedPanel() {
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

// --- scripting API -------------------------------------------------------------------------------------

function checkOptions(opts, what) {
  if (typeof opts !== 'object' || opts === null) throw new Error(`${what}: opts must be an object`);
  for (const k of Object.keys(opts)) {
    if (!vocab.options.includes(k)) throw new Error(`unknown option "${k}" (known: ${vocab.options.join(', ')})`);
  }
}

/// 784 gray bytes from a Uint8Array or any list of numbers.
function bytes784(x, name) {
  if (!x || x.length !== 784) throw new Error(`${name} must be 784 gray bytes (28×28), got ${x && x.length != null ? `${x.length} values` : typeof x}`);
  return x instanceof Uint8Array ? x : Uint8Array.from(x);
}

/// Generates samples; rejects with a clear message on invalid options.
/// Calls `fn(wasm, opts)` on the model that `opts` names (family and dataset defaulted as links default
/// them); resolves to its answer with `ms` and `backend`.
async function modelCall(opts, fn) {
  const family = opts.family ?? vocab.defaults.family;
  const dataset = opts.dataset ?? vocab.defaults.dataset;
  if (!vocab.families.includes(family)) throw new Error(`unknown family "${family}" (${vocab.families.join(', ')})`);
  if (!datasetOf(dataset)) throw new Error(`unknown dataset "${dataset}" (${vocab.datasets.map((d) => d.name).join(', ')})`);
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
  return startMain({ ...optionsFor('diffusion'), ...opts }, s);
}

/// Inpaints in the inpainting panel; resolves to the result's pixels.
async function inpaintApi({ image, mask: maskBytes, ...opts } = {}) {
  checkOptions(opts, 'inpaint(opts)');
  const start = { kind: 'inpaint', image: bytes784(image, 'image'), mask: bytes784(maskBytes, 'mask') };
  await ready;
  setInpaintBase(start.image, 'api');
  mask.load(start.mask);
  const result = await inpaintPlayer.start({ ...optionsFor('diffusion'), ...opts }, start);
  return result.pixels;
}

function shareUrl() {
  return location.origin + location.pathname + linkQuery() + location.hash;
}

// --- offline -------------------------------------------------------------------------------------------

/// Asks the service worker to keep a copy of everything loaded so far (what this first visit fetched
/// before the worker controlled the page would otherwise be missing offline).
function offlineCopy() {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!worker) return;
  const urls = [location.href, ...performance.getEntriesByType('resource').map((r) => r.name)];
  worker.postMessage({ cache: urls.filter((u) => new URL(u).origin === location.origin) });
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol)) return;
  const register = () =>
    navigator.serviceWorker.register('sw.js').then(
      () => (navigator.serviceWorker.controller ? offlineCopy() : navigator.serviceWorker.addEventListener('controllerchange', offlineCopy, { once: true })),
      (e) => console.warn(`trilemma: no offline copy (the service worker did not register: ${errorText(e)})`),
    );
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}

// --- start ---------------------------------------------------------------------------------------------

function main() {
  form = $('#controls');
  f = form.elements;
  for (const name of ['truncation', 'temperature', 'steps', 'eta', 'guidance']) bindRange(f[name]);
  bindRange($('#forward-t'), { onInput: () => (forwardJob(), syncLink()) });
  bindRange($('#strength'), { onInput: syncLink });

  // Sliders and menus act as they move; typed numbers once committed (a half-typed n is no request).
  form.addEventListener('input', (e) => e.target.name && e.target.type !== 'number' && onControl(e.target.name));
  form.addEventListener('change', (e) => e.target.name && e.target.type === 'number' && onControl(e.target.name));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    linkFrame = null;
    act();
  });
  $('#new-seed').addEventListener('click', () => {
    f.seed.value = String(Math.floor(Math.random() * 2 ** 31));
    f.seed.dispatchEvent(new Event('change', { bubbles: true }));
  });
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => {
      linkFrame = null;
      setView(tab.dataset.view);
      syncLink();
      if (engine) enterView();
    });
  }
  $('#copy-link').addEventListener('click', copyLink);

  // Play: the grid and the GAN and VAE panels.
  mainPlayer = new Player($('[data-player="main"]'), '', {
    what: 'run',
    // The grid shows the run in progress (its x̂0 previews), never the samples of what was shown before.
    onPreview: (images) => {
      drawGrid($('#grid'), images);
      $('#grid').setAttribute('aria-label', `preview of ${images.n} diffusion samples in progress`);
    },
    onResult: (live) => {
      showGrid(live.opts, live.images);
      $('#timing').textContent = timingText(live.images.n, live.ms, live.engine.backend);
      if (linkFrame != null) mainPlayer.scrubTo(linkFrame);
      linkFrame = null;
      syncLink();
    },
  });
  $('#grid').addEventListener('click', (e) => {
    const i = cellAt($('#grid'), e);
    if (i >= 0) selectSample(i);
  });
  for (const family of WALKS) {
    for (const end of ['a', 'b']) {
      $(`#${family}-${end}`).addEventListener('change', () => {
        walk[end] = typedIndex($(`#${family}-${end}`));
        if (gridResult && gridResult.opts.family === family) updateWalk();
      });
    }
  }
  $('#vae-sample').addEventListener('change', () => {
    const i = typedIndex($('#vae-sample'));
    if (i != null && gridResult.opts.family === 'vae') selectVae(i);
  });
  $('#vae-reset').addEventListener('click', () => {
    vae.code = vae.original.slice();
    showCode();
    decodeEdit(gridSeq);
  });
  pad = new Sketch($('#pad-canvas'), {
    mode: 'gray',
    width: 2.5,
    onStroke: () => {
      vaeSource = 'drawing';
      encodeCurrent();
    },
  });
  $('#pad-clear').addEventListener('click', () => {
    pad.clear();
    encodeCurrent();
  });
  const pickerOptions = { load: testImages, classNames: (dataset) => classNames(dataset) };
  vaePicker = new Picker($('#vae-picker'), 'vae-picker-', {
    ...pickerOptions,
    onPick: (_, byUser) => {
      if (byUser) vaeSource = 'picker';
      encodeCurrent();
    },
  });
  $('#vae-set-a').addEventListener('click', () => setVaeEnd('a'));
  $('#vae-set-b').addEventListener('click', () => setVaeEnd('b'));
  showVaeEnds();

  // Play: the diffusion panel.
  forwardPicker = new Picker($('#forward-picker'), 'forward-picker-', { ...pickerOptions, onPick: () => forwardJob() });
  inpaintPicker = new Picker($('#inpaint-picker'), 'inpaint-picker-', {
    ...pickerOptions,
    onPick: (picker, byUser) => {
      if (byUser || !inpaintBase || inpaintBase.from === 'picker') setInpaintBase(picker.image(), 'picker');
    },
  });
  mask = new Sketch($('#inpaint-canvas'), { mode: 'mask', width: 3 });
  bindRange($('#inpaint-brush'), { onInput: (v) => (mask.width = v) });
  for (const preset of document.querySelectorAll('[data-mask]')) {
    preset.addEventListener('click', () => mask.fillRect(...preset.dataset.mask.split(' ').map(Number)));
  }
  $('#inpaint-clear').addEventListener('click', () => mask.clear());
  $('#inpaint-use-grid').addEventListener('click', () => setInpaintBase(Uint8Array.from(gridResult.out.pixels.subarray(0, 784)), 'grid'));
  const resultTo = (canvas, timing) => (live) => {
    drawGrid(canvas, live.images, { fit: 420 });
    timing.textContent = timingText(live.images.n, live.ms, live.engine.backend);
  };
  inpaintPlayer = new Player($('[data-player="inpaint"]'), 'inpaint-', { what: 'inpaint', onResult: resultTo($('#inpaint-result'), $('#inpaint-timing')) });
  img2imgPlayer = new Player($('[data-player="img2img"]'), 'img2img-', { what: 'img2img', onResult: resultTo($('#img2img-result'), $('#img2img-timing')) });
  $('#inpaint-run').addEventListener('click', () => {
    if (!inpaintBase) return;
    if (mask.isEmpty()) {
      inpaintPlayer.status.textContent = 'Paint the region to regenerate first (or use a preset).';
      return;
    }
    const start = { kind: 'inpaint', image: inpaintBase.bytes, mask: mask.bytes() };
    track(attempt('inpaint', "Couldn't inpaint", () => inpaintPlayer.start(optionsFor('diffusion'), start)));
  });
  $('#img2img-run').addEventListener('click', () => {
    const start = { kind: 'image', image: pad.bytes(), strength: Number($('#strength').value) };
    track(attempt('img2img', "Couldn't run image-to-image", () => img2imgPlayer.start(optionsFor('diffusion'), start)));
  });

  // A PNG button under every canvas of samples or frames.
  addDownload($('#grid'), () => fileName('samples'));
  for (const family of WALKS) addDownload($(`#${family}-interp`), () => fileName('interpolation', family));
  addDownload($('#vae-edit'), () => fileName('edited', 'vae'));
  addDownload($('#vae-recon'), () => fileName('reconstruction', 'vae'));
  addDownload($('#vae-interp'), () => fileName('interpolation', 'vae'));
  addDownload($('#forward'), () => fileName(`forward-t${$('#forward-t').value}`, 'diffusion'));
  addDownload($('#inpaint-result'), () => fileName('inpaint', 'diffusion'));
  addDownload($('#img2img-result'), () => fileName('img2img', 'diffusion'));

  syncControls();

  ready = track(
    (async () => {
      bindings = await wasmReady;
      vocab = bindings.vocabulary();
      cpuWorkers = Math.min(vocab.maxWorkers, Math.max(1, navigator.hardwareConcurrency || 1));
      applyVocabulary();
      setUpSpeedPanel();
      for (const family of vocab.families) addDownload($(`#compare-${family}`), () => fileName('compare', family));
      const { state, speed, notices: linkNotices } = bindings.decodeLink(location.search);
      if (speed) showSharedSpeed(speed);
      applyState(state);
      linkFrame = state.family === 'diffusion' ? state.frame : null;
      setNotice('link', linkNotices.map((n) => `Share link: ${n}`).join('\n'));
      for (const key of neededModels()) fetchModel(key).catch(() => {}); // errors are reported on use
      refreshTools();
      const start = await startingBackend();
      const info = await setBackend(start.backend);
      if (start.notice) setNotice('backend', start.notice);
      for (const button of document.querySelectorAll('.needs-engine')) button.disabled = false;
      return info;
    })(),
  );
  ready.then(enterView, (e) => setNotice('backend', "The page couldn't start.", errorText(e)));
  registerServiceWorker();

  window.trilemma = {
    ready,
    generate: (opts) => track(generate(opts)),
    setBackend: (backend, opts) => track(setBackend(backend, opts)),
    bench: (opts) => track(bench(opts)),
    run: (opts, start) => track(runApi(opts, start)),
    interpolate: (opts) => track(interpolateApi(opts)),
    inpaint: (opts) => track(inpaintApi(opts)),
    shareUrl,
    state: currentState,
    idle,
    drawGrid,
  };
}

/// Copies `text` (a link) to the clipboard; resolves to whether it got there. `input` holds it, and where
/// there is no clipboard access (e.g. plain http) it is shown selected, ready for the visitor to copy.
async function copyText(text, input) {
  input.value = text;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    input.hidden = false;
    input.select();
    try {
      return document.execCommand('copy');
    } catch (err) {
      return false; // the selected text stays for the visitor to copy
    }
  }
}

async function copyLink() {
  syncLink();
  const status = $('#copy-status');
  const copied = await copyText(location.href, $('#link-text'));
  status.textContent = copied ? 'copied' : 'press Ctrl+C (⌘C) to copy';
  clearTimeout(copyLink.timer);
  copyLink.timer = setTimeout(() => (status.textContent = ''), 2500);
}

// The script is loaded from <head>: wait for the controls to exist.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
else main();
