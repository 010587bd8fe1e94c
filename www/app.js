// trilemma's page shell: controls, canvases and the `window.trilemma` scripting API. All tensor work
// happens in the wasm module (src/web.rs); this file only moves options in and pixels out.
'use strict';

function main() {
  const $ = (sel) => document.querySelector(sel);
  const form = $('#controls');
  const CLASS_NAMES = {
    mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    fashion: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  };

  const wasmReady = new Promise((resolve) => {
    if (window.wasmBindings) resolve(window.wasmBindings);
    else addEventListener('TrunkApplicationStarted', () => resolve(window.wasmBindings), { once: true });
  });

  function notice(text) {
    const el = $('#notice');
    el.textContent = text; // textContent: never interpreted as HTML
    el.hidden = !text;
  }

  // --- engines and model bytes -------------------------------------------------------------------
  const modelBytes = new Map(); // "gan-mnist" -> Promise<Uint8Array>, shared by both backends
  let engine = null; // { backend, adapter, wasm: Engine, loaded: Map<key, Promise> }

  function fetchModel(key) {
    if (!modelBytes.has(key)) {
      const p = fetch(`models/${key}.bpk`).then(async (r) => {
        if (!r.ok) throw new Error(`can't fetch models/${key}.bpk (HTTP ${r.status})`);
        return new Uint8Array(await r.arrayBuffer());
      });
      p.catch(() => modelBytes.delete(key)); // a failed fetch may be retried
      modelBytes.set(key, p);
    }
    return modelBytes.get(key);
  }

  async function adapterName() {
    try {
      const adapter = await navigator.gpu.requestAdapter();
      const info = adapter && (adapter.info || (adapter.requestAdapterInfo && (await adapter.requestAdapterInfo())));
      if (!info) return 'unknown adapter';
      return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
    } catch (e) {
      return 'unknown adapter';
    }
  }

  async function createEngine(backend) {
    const bindings = await wasmReady;
    if (backend === 'webgpu') {
      if (!navigator.gpu) throw new Error('WebGPU is not available: this browser has no navigator.gpu');
      const wasm = await bindings.Engine.create('webgpu');
      return { backend, adapter: await adapterName(), wasm, loaded: new Map() };
    }
    return { backend: 'cpu', adapter: 'CPU (wasm, SIMD)', wasm: await bindings.Engine.create('cpu'), loaded: new Map() };
  }

  /// Switches to `backend`; WebGPU falls back to the CPU with a visible notice when it can't start.
  async function setBackend(backend) {
    if (backend !== 'webgpu' && backend !== 'cpu') throw new Error(`unknown backend "${backend}" (webgpu or cpu)`);
    try {
      engine = await createEngine(backend);
      notice('');
    } catch (e) {
      if (backend !== 'webgpu') throw e;
      engine = await createEngine('cpu');
      notice(`${e.message || e} — running on the CPU instead.`);
    }
    form.elements.backend.value = engine.backend;
    $('#backend').textContent = `backend: ${engine.backend === 'webgpu' ? 'WebGPU' : 'CPU'} — ${engine.adapter}`;
    return { backend: engine.backend, adapter: engine.adapter };
  }

  function ensureLoaded(key) {
    if (!engine.loaded.has(key)) {
      const current = engine;
      const p = fetchModel(key).then((bytes) => current.wasm.loadModel(bytes));
      p.catch(() => current.loaded.delete(key));
      current.loaded.set(key, p);
    }
    return engine.loaded.get(key);
  }

  const OPTION_KEYS = ['family', 'dataset', 'class', 'seed', 'n', 'truncation', 'temperature', 'sampler', 'steps', 'eta', 'guidance'];

  /// Generates samples; rejects with a clear message on invalid options.
  async function generate(opts = {}) {
    if (typeof opts !== 'object' || opts === null) throw new Error('generate(opts): opts must be an object');
    for (const k of Object.keys(opts)) {
      if (!OPTION_KEYS.includes(k)) throw new Error(`unknown option "${k}" (known: ${OPTION_KEYS.join(', ')})`);
    }
    await ready;
    const family = opts.family ?? 'diffusion';
    const dataset = opts.dataset ?? 'mnist';
    if (!['gan', 'vae', 'diffusion'].includes(family)) throw new Error(`unknown family "${family}"`);
    if (!['mnist', 'fashion'].includes(dataset)) throw new Error(`unknown dataset "${dataset}"`);
    await ensureLoaded(`${family}-${dataset}`);
    const t0 = performance.now();
    const out = await engine.wasm.generate({ ...opts, family, dataset });
    return { ...out, ms: performance.now() - t0, backend: engine.backend };
  }

  // --- page ----------------------------------------------------------------------------------------
  function formOptions() {
    const f = form.elements;
    const o = { family: f.family.value, dataset: f.dataset.value, class: f.class.value, seed: Number(f.seed.value), n: Number(f.n.value) };
    if (o.family === 'gan') o.truncation = Number(f.truncation.value);
    if (o.family === 'vae') o.temperature = Number(f.temperature.value);
    if (o.family === 'diffusion') {
      Object.assign(o, { sampler: f.sampler.value, steps: Number(f.steps.value), eta: Number(f.eta.value), guidance: Number(f.guidance.value) });
    }
    return o;
  }

  function drawGrid(canvas, { n, width, height, pixels }) {
    const cols = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / cols);
    const gap = 2;
    canvas.width = cols * (width + gap) + gap;
    canvas.height = rows * (height + gap) + gap;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const img = ctx.createImageData(width, height);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < width * height; p++) {
        const v = pixels[i * width * height + p];
        img.data.set([v, v, v, 255], p * 4);
      }
      ctx.putImageData(img, gap + (i % cols) * (width + gap), gap + Math.floor(i / cols) * (height + gap));
    }
  }

  function syncControls() {
    const f = form.elements;
    for (const fs of form.querySelectorAll('fieldset[data-family]')) fs.hidden = fs.dataset.family !== f.family.value;
    for (const input of form.querySelectorAll('input[type=range]')) input.nextElementSibling.value = input.value;
    f.steps.disabled = f.eta.disabled = f.sampler.value === 'ddpm';
    const names = CLASS_NAMES[f.dataset.value];
    const keep = f.class.value;
    f.class.replaceChildren(new Option('none (unconditional)', 'none'), ...names.map((name, i) => new Option(`${i}: ${name}`, String(i))));
    f.class.value = [...f.class.options].some((o) => o.value === keep) ? keep : 'none';
  }

  async function run() {
    const button = $('#generate');
    button.disabled = true;
    $('#timing').textContent = 'generating…';
    try {
      const out = await generate(formOptions());
      drawGrid($('#grid'), out);
      $('#timing').textContent = `${out.n} samples in ${out.ms.toFixed(0)} ms on ${out.backend} (${(out.ms / out.n).toFixed(1)} ms per sample)`;
    } catch (e) {
      $('#timing').textContent = '';
      notice(`Couldn't generate: ${e.message || e}`);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('input', syncControls);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  form.elements.backend.addEventListener('change', async () => {
    await setBackend(form.elements.backend.value);
    run();
  });
  syncControls();

  const ready = setBackend('webgpu').then((info) => {
    $('#generate').disabled = false;
    return info;
  });
  ready.then(run);

  window.trilemma = { ready, generate, setBackend, drawGrid };
}

// The script is loaded from <head>: wait for the controls to exist.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
else main();
